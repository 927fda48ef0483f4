package integration

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsReloadSyncGroupQuiet: a reload that adds an instance hands the
// whole VRRP part over; the unchanged sync group VG_1 (two MASTER members,
// with instance and group notify scripts) takes over quietly: no
// notification of the members or the group, no gratuitous ARP for their
// VIPs, no resume, the VIPs never leave n1 and the backup group never
// takes over.
func TestOpsReloadSyncGroupQuiet(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	dir := t.TempDir()
	notifyLog := filepath.Join(dir, "notify.log")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$*\" >> "+notifyLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	vip200 := netip.MustParseAddr("10.99.0.200")
	conf := func(prio int, notify string, extra ...instance) string {
		ins := append([]instance{
			{Priority: prio, Version: 3, Advert: fast, Notify: notify},
			{Name: "VI_2", VRID: 52, Priority: prio, Version: 3, Advert: fast, VIPs: []string{"10.99.0.200/24 dev eth0"}, Notify: notify},
		}, extra...)
		s := lvsdConf(ins...) + "[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\", \"VI_2\"]\n"
		if notify != "" {
			s += "notify = \"" + notify + "\"\n\n[global]\nscript_user = \"root\"\n"
		}
		return s
	}
	cfgPath := filepath.Join(dir, "n1.toml")
	if err := os.WriteFile(cfgPath, []byte(conf(200, script)), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "n1.sock")
	p1 := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	// n2, the backup, has notify scripts of its own (a second log).
	notifyLog2 := filepath.Join(dir, "notify2.log")
	script2 := filepath.Join(dir, "notify2.sh")
	if err := os.WriteFile(script2, []byte("#!/bin/sh\necho \"$*\" >> "+notifyLog2+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath2, sock2 := filepath.Join(dir, "n2.toml"), filepath.Join(dir, "n2.sock")
	if err := os.WriteFile(cfgPath2, []byte(conf(100, script2)), 0o644); err != nil {
		t.Fatal(err)
	}
	p2 := n2.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath2, "--socket", sock2,
		"--state-file", filepath.Join(dir, "n2.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n2:\n%s", p2.Out.String())
		}
	})
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	waitOwner(t, vip200, n1, time.Second, 0, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool {
		l := readFileString(notifyLog)
		return strings.Contains(l, "GROUP VG_1 MASTER") && strings.Contains(l, "INSTANCE VI_1 MASTER") && strings.Contains(l, "INSTANCE VI_2 MASTER")
	}) {
		t.Fatalf("notify log lacks the MASTER lines:\n%s", readFileString(notifyLog))
	}
	time.Sleep(6 * time.Second) // past the second GARP burst (garp_master_delay 5 s)
	before := readFileString(notifyLog)
	st := statusJSON(t, sock)
	arp := sniff(t, cl, ethARP)
	watch4, watch200 := watchOwner(vip4, n1, n2), watchOwner(vip200, n1, n2)
	from := time.Now()

	vi3 := instance{Name: "VI_3", VRID: 53, Priority: 200, Version: 3, Advert: fast, VIPs: []string{"10.99.0.103/24 dev eth0"}}
	if err := os.WriteFile(cfgPath, []byte(conf(200, script, vi3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload: exit %d: %s", code, errs)
	}
	waitOwner(t, netip.MustParseAddr("10.99.0.103"), n1, 5*time.Second, 0, n1, n2)
	time.Sleep(5 * time.Second) // longer than the backup's Master_Down_Interval
	if bad := watch4(); bad != "" {
		t.Errorf("VI_1's VIP through the reload: %s", bad)
	}
	if bad := watch200(); bad != "" {
		t.Errorf("VI_2's VIP through the reload: %s", bad)
	}
	for _, v := range []netip.Addr{vip4, vip200} {
		if g := arp.since(from, isGARP(v, n1.MAC)); len(g) != 0 {
			t.Errorf("%d gratuitous ARPs for %v after the reload", len(g), v)
		}
	}
	if g := arp.since(from, isGARP(netip.MustParseAddr("10.99.0.103"), n1.MAC)); len(g) == 0 {
		t.Error("no gratuitous ARP for the new VI_3 (is the sniffer working?)")
	}
	if after := readFileString(notifyLog); after != before {
		t.Errorf("notify scripts ran during the reload: %q -> %q", before, after)
	}
	after := statusJSON(t, sock)
	for _, name := range []string{"VI_1", "VI_2"} {
		if a, b := after[name], st[name]; a.State != "MASTER" || a.LastTransition != b.LastTransition || a.LastCause != b.LastCause || a.Transitions != b.Transitions {
			t.Errorf("%s disturbed by the reload: %+v -> %+v", name, b, a)
		}
	}
	out := p1.Out.String()
	if !strings.Contains(out, "handing over to new instances") || !strings.Contains(out, "take over their state quietly") {
		t.Error("the reload did not hand over the part with a quiet take-over")
	}
	if strings.Contains(out, "cause=resume") || strings.Contains(out, "cause=sync_group") {
		t.Error("a member resumed or was moved by its group")
	}

	// The same on the backup: its members stay BACKUP without a
	// notification, and n1 keeps the VIPs.
	if !netlab.WaitFor(5*time.Second, func() bool {
		l := readFileString(notifyLog2)
		return strings.Contains(l, "GROUP VG_1 BACKUP") && strings.Contains(l, "INSTANCE VI_2 BACKUP")
	}) {
		t.Fatalf("n2's notify log lacks the BACKUP lines:\n%s", readFileString(notifyLog2))
	}
	before2, st2 := readFileString(notifyLog2), statusJSON(t, sock2)
	watch4, watch200 = watchOwner(vip4, n1, n2), watchOwner(vip200, n1, n2)
	vi3.Priority = 100
	if err := os.WriteFile(cfgPath2, []byte(conf(100, script2, vi3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock2); code != 0 {
		t.Fatalf("lvsd reload on n2: exit %d: %s", code, errs)
	}
	time.Sleep(5 * time.Second)
	if bad := watch4(); bad != "" {
		t.Errorf("VI_1's VIP through the backup's reload: %s", bad)
	}
	if bad := watch200(); bad != "" {
		t.Errorf("VI_2's VIP through the backup's reload: %s", bad)
	}
	if after := readFileString(notifyLog2); after != before2 {
		t.Errorf("n2's notify scripts ran during its reload: %q -> %q", before2, after)
	}
	after2 := statusJSON(t, sock2)
	for _, name := range []string{"VI_1", "VI_2"} {
		if a, b := after2[name], st2[name]; a.State != "BACKUP" || a.LastTransition != b.LastTransition || a.Transitions != b.Transitions {
			t.Errorf("n2's %s disturbed by the reload: %+v -> %+v", name, b, a)
		}
	}
	if !strings.Contains(p2.Out.String(), "take over their state quietly") {
		t.Error("n2's reload did not take over quietly")
	}
}
