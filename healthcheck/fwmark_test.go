package healthcheck

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestFwmarkAndBind proves SO_MARK end to end: in a lab, packets marked 7
// are routed by a policy rule to an "unreachable" route, so a check with
// fwmark 7 fails with reason unreachable while the same check without the
// mark passes. bindto/bind_port choose the source.
func TestFwmarkAndBind(t *testing.T) {
	testenv.NeedNetns(t)
	busybox := testenv.NeedBinary(t, "busybox")
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "index.html"), page, 0o644)
	n2.Start(busybox, "httpd", "-f", "-p", "10.99.0.2:8080", "-h", www)
	n1.MustExec("ip", "rule", "add", "fwmark", "7", "lookup", "100", "pref", "100")
	n1.MustExec("ip", "route", "add", "unreachable", "10.99.0.2/32", "table", "100")

	target := netip.MustParseAddrPort("10.99.0.2:8080")
	check := func(spec HTTPSpec) Result {
		spec.Target, spec.Timeout = target, 2*time.Second
		spec.URLs = []URLSpec{{Path: "/index.html", Digest: md5hex(page)}}
		c := mustHTTP(t, spec)
		var r Result
		if err := n1.Do(func() error { r = c.Check(context.Background()); return nil }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if !netlab.WaitFor(5*time.Second, func() bool { return check(HTTPSpec{}).OK() }) {
		t.Fatalf("server in n2 not reachable: %s", check(HTTPSpec{}).Detail())
	}
	if r := check(HTTPSpec{Fwmark: 7}); r.Reason != ReasonUnreachable {
		t.Fatalf("fwmark 7: %s, want unreachable", r.Detail())
	}
	if r := check(HTTPSpec{Fwmark: 8}); !r.OK() {
		t.Fatalf("fwmark 8: %s", r.Detail())
	}
	if r := check(HTTPSpec{Bind: netip.MustParseAddrPort("10.99.0.1:40001")}); !r.OK() {
		t.Fatalf("bindto: %s", r.Detail())
	}
	if r := check(HTTPSpec{Bind: netip.MustParseAddrPort("10.99.0.77:0")}); r.Reason != ReasonConnect {
		t.Fatalf("bindto a foreign address: %s, want connect_error", r.Detail())
	}
	// tcp_check takes the same path.
	tc, _ := NewTCPChecker(TCPSpec{Target: target, Fwmark: 7, Timeout: time.Second})
	var r Result
	n1.Do(func() error { r = tc.Check(context.Background()); return nil })
	if r.Reason != ReasonUnreachable {
		t.Fatalf("tcp_check fwmark 7: %s", r.Detail())
	}
}
