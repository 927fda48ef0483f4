package healthcheck

import (
	"context"
	"net/netip"
	"sync"
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
		s := New(Options{})
		s.Set(specs)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond)
		v0 := s.View()
		u0, s0 := cpuSplit()
		t0 := time.Now()
		time.Sleep(3 * time.Second)
		u1, s1 := cpuSplit()
		el := time.Since(t0)
		v1 := s.View()
		cancel()
		wg.Wait()
		checks := v1.Results[ReasonOK] - v0.Results[ReasonOK]
		if checks == 0 {
			b.Fatalf("no check passed: %v", v1.Results)
		}
		b.ReportMetric(float64(checks)/el.Seconds(), "checks/s")
		b.ReportMetric(float64(u1-u0+s1-s0)/float64(checks), "cpu-ns/check")
		b.ReportMetric(float64(u1-u0)/float64(checks), "user-ns/check")
	}
}
