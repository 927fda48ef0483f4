package integration

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsReloadKeepsVMAC: a use_vmac master handed over by a reload keeps
// its macvlan (same interface index, so its VIPs never leave it): once
// through an instance-by-instance reload (a changed priority) and twice
// through a whole-part hand-over (a new instance with a VMAC of its own,
// then that one removed and another added). The backup never takes
// the VIP, and a graceful stop at the end removes the VMAC and puts eth0's
// ARP settings back as they were before lvsd.
func TestOpsReloadKeepsVMAC(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	arpIgnore := func() string {
		return strings.TrimSpace(n1.MustExec("cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"))
	}
	ignoreBefore := arpIgnore()
	vi1 := func(prio int) instance { return instance{Priority: prio, Version: 3, Advert: fast, VMAC: true} }
	cfg := filepath.Join(dir, "n1.toml")
	write := func(conf string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(lvsdConf(vi1(200)))
	p1 := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfg, "--socket", filepath.Join(dir, "n1.sock"),
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast, VMAC: true}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	index := func() string {
		out, err := n1.Exec(t.Context(), "ip", "-o", "link", "show", "dev", "vrrp.51")
		if err != nil {
			return "none"
		}
		return strings.SplitN(string(out), ":", 2)[0]
	}
	idx := index()
	if idx == "none" {
		t.Fatal("no vrrp.51 on n1")
	}
	watch := watchOwner(vip4, n1, n2)

	reload := func(what string, n int) {
		t.Helper()
		if err := p1.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if !netlab.WaitFor(10*time.Second, func() bool {
			return strings.Count(p1.Out.String(), "configuration reloaded") == n
		}) {
			t.Fatalf("%s: no reload", what)
		}
		time.Sleep(2 * time.Second)
		if got := index(); got != idx {
			t.Errorf("%s: vrrp.51 is interface %s, was %s: the VMAC was recreated", what, got, idx)
		}
		if !n1.HasAddr(vip4) {
			t.Errorf("%s: VIP gone", what)
		}
	}
	// A changed priority: the instance alone is handed over.
	write(lvsdConf(vi1(210)))
	reload("instance reload", 1)
	// A new instance (with a VMAC of its own): the whole VRRP part is
	// handed over.
	write(lvsdConf(vi1(210), instance{Name: "VI_2", VRID: 52, Priority: 200, Version: 3, Advert: fast, VMAC: true,
		VIPs: []string{"10.99.0.200/24 dev eth0"}}))
	reload("whole-part reload", 2)
	if !netlab.WaitFor(5*time.Second, func() bool { return n1.HasAddr(netip.MustParseAddr("10.99.0.200")) }) {
		t.Error("VI_2 not master")
	}
	// VI_2 gone (its VMAC removed), another one new: a hand-over again.
	write(lvsdConf(vi1(210), instance{Name: "VI_3", VRID: 53, Priority: 200, Version: 3, Advert: fast,
		VIPs: []string{"10.99.0.201/24 dev eth0"}}))
	reload("whole-part reload removing a VMAC", 3)
	if _, err := n1.Exec(t.Context(), "ip", "link", "show", "dev", "vrrp.52"); err == nil {
		t.Error("vrrp.52 left behind by the removed VI_2")
	}
	// The changed VI_1 resumes at the instance reload; unchanged in the
	// whole-part reloads, it takes over its predecessor's state quietly.
	if n := strings.Count(p1.Out.String(), "resuming as master across the reload"); n != 1 {
		t.Errorf("%d resumes across the reloads, want 1", n)
	}
	if n := strings.Count(p1.Out.String(), `take over their state quietly" instances=[VI_1]`); n != 2 {
		t.Errorf("%d quiet take-overs of VI_1 across the reloads, want 2", n)
	}
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the reloads: %s", bad)
	}

	if err := p1.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p1.Wait(10 * time.Second); err != nil {
		t.Fatalf("lvsd on n1 after SIGTERM: %v", err)
	}
	if got := index(); got != "none" {
		t.Errorf("vrrp.51 left behind after a graceful stop (interface %s)", got)
	}
	if got := arpIgnore(); got != ignoreBefore {
		t.Errorf("eth0 arp_ignore %s after the stop, was %s before lvsd", got, ignoreBefore)
	}
}
