package integration

import (
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsUpgradeFailsAfterState: the new process dies after the old one
// stopped quietly and handed its state over, before it starts from it
// (gdb stops it at daemon.startFrom and kills it). The old process starts
// again from that state: `lvsd upgrade` exits 1 saying it runs on, the pid
// stays, the VIP never leaves the master, the backup never takes it, and
// the master's adverts pause for less than the backup's
// Master_Down_Interval.
func TestOpsUpgradeFailsAfterState(t *testing.T) {
	t.Parallel()
	gdb := testenv.NeedBinary(t, "gdb") // stops the new process after the state arrived
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	u := startUpgradeNode(t, n1, lvsdConf(instance{Priority: 200}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)

	real, err := os.ReadFile(testenv.LvsdBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	realPath := u.bin + ".real"
	if err := os.WriteFile(realPath, real, 0o755); err != nil {
		t.Fatal(err)
	}
	u.installBytes(t, []byte("#!/bin/sh\nexec "+gdb+` -q -batch -nx -ex 'set startup-with-shell off' -ex 'set pagination off' `+
		`-ex "break 'github.com/lvsd/lvsd/cmd/lvsd/internal/daemon.(*daemon).startFrom'" -ex run -ex kill --args `+realPath+` "$@"`+"\n"))
	before := u.pid()
	adverts := sniff(t, cl, ethIPv4)
	watch := watchOwner(vip4, n1, n2)
	from := time.Now()
	_, errs, code := lvsdCmd(t, "upgrade", "--socket", u.sock)
	t.Logf("upgrade with a new process killed after the state: exit %d: %s", code, strings.TrimSpace(errs))
	if code != 1 || !strings.Contains(errs, "runs on") {
		t.Errorf("upgrade: exit %d, %q (want 1, this process runs on)", code, errs)
	}
	if u.pid() != before || syscall.Kill(before, 0) != nil {
		t.Errorf("the old process %d does not run on (pid file %d)", before, u.pid())
	}
	if _, errs, code := lvsdCmd(t, "status", "--socket", u.sock); code != 0 {
		t.Errorf("status after the failed upgrade: exit %d: %s", code, errs)
	}
	time.Sleep(5 * time.Second) // longer than the backup's Master_Down_Interval
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the failed upgrade: %s", bad)
	}
	got := adverts.since(from, isAdvert(51, netip.MustParseAddr("10.99.0.1")))
	gap := longestGap(got)
	t.Logf("%d adverts from the master through the failed upgrade, longest gap %v", len(got), gap.Round(time.Millisecond))
	if len(got) < 4 || gap >= 2*time.Second {
		t.Errorf("master adverts through the failed upgrade: %d, longest gap %v (want < 2 s)", len(got), gap)
	}
	if n2.HasAddr(vip4) {
		t.Error("the backup holds the VIP")
	}
	if !n1.HasAddr(vip4) {
		t.Error("the master lost the VIP")
	}
}
