package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// BenchmarkBGPWithdraw: the namespace lab of TestBGPScaleOut (FRR router,
// multipath) with two directors announcing the VIP. Per iteration:
//
//   - rs-failure: d1's real server stops (its VRRP track_script fails,
//     interval 1 s) -> d1's next hop gone from the router's RIB;
//   - stop: SIGTERM to d2 (graceful_shutdown_delay 1 s, another director
//     still announces) -> d2's next hop gone;
//   - stop-last: SIGTERM to the only director left announcing -> the
//     route gone (GRACEFUL_SHUTDOWN keeps it until the withdrawal).
//
// The figure is ms-to-withdrawal, the mean over the iterations; ns/op also
// counts putting the lab back. Run: make bench-bgp.
func BenchmarkBGPWithdraw(b *testing.B) {
	testenv.NeedFRR(b)
	bb := testenv.NeedBinary(b, "busybox")
	testenv.NeedBinary(b, "curl")
	lab := netlab.New(b, "router", "d1", "d2", "rs")
	router, d1n, d2n, rsn := lab.Node("router"), lab.Node("d1"), lab.Node("d2"), lab.Node("rs")
	r := startFRR(b, router, bgpRouterConf(map[string]int{d1n.IP.String(): 65001, d2n.IP.String(): 65001}))
	www := b.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("ok\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	var httpd *netlab.Process
	serve := func() { httpd = rsn.Start(bb, "httpd", "-f", "-p", "8081", "-h", www) }
	serve()
	startLvsd(b, d1n, bgpDirectorConf(d1n, 65001, bgpPassword, 8081))
	start2 := func() *daemon { return startLvsd(b, d2n, bgpStaticDirectorConf(d2n, 65001, bgpPassword)) }
	d2 := start2()
	both := []string{d1n.IP.String(), d2n.IP.String()}
	r.waitNexthops(b, bgpVIP, 30*time.Second, both...)

	report := func(b *testing.B, total time.Duration) {
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-withdrawal")
	}
	b.Run("rs-failure", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			failed := time.Now()
			httpd.Kill()
			total += r.waitNexthops(b, bgpVIP, 15*time.Second, d2n.IP.String()).Sub(failed)
			serve()
			r.waitNexthops(b, bgpVIP, 30*time.Second, both...)
		}
		report(b, total)
	})
	stop := func(b *testing.B, d *daemon, want ...string) time.Duration {
		stopped := time.Now()
		if err := d.proc.Signal(syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
		var took time.Duration
		if len(want) > 0 {
			took = r.waitNexthops(b, bgpVIP, 15*time.Second, want...).Sub(stopped)
		} else {
			// the route itself gone, not only uninstalled for a moment
			// (zebra re-installing the GRACEFUL_SHUTDOWN path)
			if !netlab.WaitFor(15*time.Second, func() bool {
				out, err := r.vtysh("show ip route " + bgpVIP.String() + " json")
				return err == nil && !strings.Contains(string(out), `"protocol":"bgp"`)
			}) {
				b.Fatal("the route stays at the router")
			}
			took = time.Since(stopped)
		}
		if err := d.proc.Wait(15 * time.Second); err != nil {
			b.Fatalf("lvsd exit: %v", err)
		}
		return took
	}
	b.Run("stop", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			total += stop(b, d2, d1n.IP.String())
			d2 = start2()
			r.waitNexthops(b, bgpVIP, 30*time.Second, both...)
		}
		report(b, total)
	})
	b.Run("stop-last", func(b *testing.B) {
		// d1 out of the way: its real server down, so d2 announces alone
		httpd.Kill()
		r.waitNexthops(b, bgpVIP, 15*time.Second, d2n.IP.String())
		var total time.Duration
		for range b.N {
			total += stop(b, d2)
			d2 = start2()
			r.waitNexthops(b, bgpVIP, 30*time.Second, d2n.IP.String())
		}
		report(b, total)
		serve()
	})
}
