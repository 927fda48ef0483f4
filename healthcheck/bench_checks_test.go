package healthcheck

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkSchedulerHTTP200 is BenchmarkSchedulerTCP200 with http_get:
// bench-director's HTTP_GET scenario on the host, 200 real servers checked
// every second against nginx on loopback through the scheduler for 3 s.
// At that rate a check's CPU is mostly waking threads, which a back-to-back
// benchmark (BenchmarkHTTPGetCheck) does not see.
func BenchmarkSchedulerHTTP200(b *testing.B) {
	const servers = 200
	n := newNginxB(b)
	for b.Loop() {
		specs := make([]RealServerSpec, servers)
		for i := range specs {
			c, err := NewHTTPChecker(HTTPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second,
				Bind: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(i%250 + 1)}), 0),
				URLs: []URLSpec{{Path: "/index.html", Digest: md5hex(page)}}})
			if err != nil {
				b.Fatal(err)
			}
			specs[i] = RealServerSpec{
				Key:    RealServerKey{VirtualServer: "bench", Addr: netip.AddrFrom4([4]byte{10, 3, byte(i >> 8), byte(i)}), Port: 80},
				Weight: 1,
				Checks: []CheckConfig{{Name: "http", Checker: c, Policy: Policy{DelayLoop: time.Second, Warmup: time.Second}}},
			}
		}
		measureScheduler(b, specs)
	}
}
