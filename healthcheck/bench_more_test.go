package healthcheck

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// benchCheck runs c in a loop and reports its own CPU per check (the
// server is another process).
func benchCheck(b *testing.B, c Checker) {
	ctx := context.Background()
	if r := c.Check(ctx); !r.OK() {
		b.Fatal(r.Detail())
	}
	b.ReportAllocs()
	u0, s0 := cpuSplit()
	start := time.Now()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK() {
			b.Fatal(r.Detail())
		}
	}
	u1, s1 := cpuSplit()
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/check")
	b.ReportMetric(float64(u1-u0)/float64(b.N), "user-ns/check")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checks/s")
}

// BenchmarkSMTPCheck: one smtp_check exchange against aiosmtpd on loopback.
func BenchmarkSMTPCheck(b *testing.B) {
	py := testenv.NeedPythonModule(b, "aiosmtpd")
	port := freePort(b)
	addr := netip.AddrPortFrom(loopback, port)
	startServer(b, tcpReady(addr), py, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:"+strconv.Itoa(int(port)))
	c, _ := NewSMTPChecker(SMTPSpec{Target: addr, Timeout: 2 * time.Second, Helo: "smtpchecker.keepalived.org"})
	benchCheck(b, c)
}

// BenchmarkDNSCheck: one dns_check query against dnsmasq on loopback.
func BenchmarkDNSCheck(b *testing.B) {
	bin := testenv.NeedBinary(b, "dnsmasq")
	port := freeUDPPort(b)
	c, _ := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: netip.AddrPortFrom(loopback, port), Timeout: time.Second}, Type: "A", Name: "ok.test"})
	startServer(b, func() bool { return c.Check(context.Background()).OK() },
		bin, "-d", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=",
		"--user=root", "--listen-address=127.0.0.1", "--bind-interfaces", "--port="+strconv.Itoa(int(port)),
		"--address=/ok.test/10.9.9.9")
	benchCheck(b, c)
}

// BenchmarkUDPCheck: one udp_check with a required, matched reply against a
// Go echo socket in this process (socat forks per datagram, too slow to
// measure the checker); the echo's CPU is in the figure.
func BenchmarkUDPCheck(b *testing.B) {
	addr := fakeUDPB(b)
	c, _ := NewUDPChecker(UDPSpec{UDPConn: UDPConn{Target: addr, Timeout: time.Second}, Payload: []byte("ping"), Reply: []byte("ping")})
	benchCheck(b, c)
}

// BenchmarkFileCheck: one file_check read.
func BenchmarkFileCheck(b *testing.B) {
	p := filepath.Join(b.TempDir(), "w")
	os.WriteFile(p, []byte("3\n"), 0o644)
	c, _ := NewFileChecker(FileSpec{Path: p, Weight: 1, Configured: 1})
	benchCheck(b, c)
}

// BenchmarkHTTPGetRegexCheck: http_get with a url regex against nginx.
func BenchmarkHTTPGetRegexCheck(b *testing.B) {
	n := newNginxB(b)
	c, err := NewHTTPChecker(HTTPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second, URLs: []URLSpec{{Path: "/index.html", Regex: `health (page|ok)`}}})
	if err != nil {
		b.Fatal(err)
	}
	benchCheck(b, c)
}
