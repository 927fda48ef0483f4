package integration

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// upgradeNode runs lvsd on n from a copy of the binary (so the test can
// replace it on disk) with a pid file; the process an upgrade starts is not
// the test's child, so cleanup kills whatever the pid file names.
type upgradeNode struct {
	bin, conf, sock, pidFile string
	p                        *netlab.Process
}

func startUpgradeNode(t *testing.T, n *netlab.Node, conf string) *upgradeNode {
	dir := t.TempDir()
	u := &upgradeNode{bin: filepath.Join(dir, "lvsd"), conf: filepath.Join(dir, "n.toml"),
		sock: filepath.Join(dir, "n.sock"), pidFile: filepath.Join(dir, "n.pid")}
	u.install(t)
	if err := os.WriteFile(u.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	u.p = n.Start(u.bin, "run", "-f", u.conf, "--socket", u.sock, "--pid-file", u.pidFile,
		"--state-file", filepath.Join(dir, "n.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if pid := u.pid(); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("lvsd on %s:\n%s", n.Name, u.p.Out.String())
		}
	})
	if !netlab.WaitFor(5*time.Second, func() bool { return u.pid() > 0 }) {
		t.Fatal("no pid file")
	}
	return u
}

// install puts a fresh copy of the lvsd binary at u.bin (rename over: the
// running process keeps its inode, as with a package upgrade).
func (u *upgradeNode) install(t *testing.T) {
	u.installBytes(t, nil)
}

func (u *upgradeNode) installBytes(t *testing.T, b []byte) {
	if b == nil {
		var err error
		if b, err = os.ReadFile(testenv.LvsdBinary(t)); err != nil {
			t.Fatal(err)
		}
	}
	tmp := u.bin + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, u.bin); err != nil {
		t.Fatal(err)
	}
}

// upgrade installs a fresh copy of the binary and runs `lvsd upgrade`
// (the i-th, for messages): it must exit 0 and the pid file must name a
// new process. It returns the command's output.
func (u *upgradeNode) upgrade(t *testing.T, i int) string {
	t.Helper()
	before := u.pid()
	u.install(t)
	out, errs, code := lvsdCmd(t, "upgrade", "--socket", u.sock)
	if code != 0 {
		t.Fatalf("upgrade %d: exit %d: %s", i, code, errs)
	}
	t.Logf("upgrade %d: %s", i, strings.TrimSpace(out))
	if after := u.pid(); after == before {
		t.Errorf("upgrade %d: pid %d unchanged", i, before)
	}
	return out
}

// longestGap is the longest time between two consecutive frames.
func longestGap(frames []stamped) time.Duration {
	var gap time.Duration
	for i := 1; i < len(frames); i++ {
		gap = max(gap, frames[i].at.Sub(frames[i-1].at))
	}
	return gap
}

func (u *upgradeNode) pid() int {
	b, err := os.ReadFile(u.pidFile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// TestOpsUpgrade: `lvsd upgrade` on the master three times in a row. Each
// time the pid changes, the VIP never leaves the master (polled every
// 5 ms), the backup never takes it, the master's adverts seen on the
// segment never pause longer than their 1 s interval, and the new process
// took the instance over quietly (no transition).
func TestOpsUpgrade(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	u := startUpgradeNode(t, n1, lvsdConf(instance{Priority: 200}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)

	adverts := sniff(t, cl, ethIPv4)
	watch := watchOwner(vip4, n1, n2)
	from := time.Now()
	for i := range 3 {
		before := u.pid()
		u.install(t)
		out, errs, code := lvsdCmd(t, "upgrade", "--socket", u.sock)
		if code != 0 {
			t.Fatalf("upgrade %d: exit %d: %s", i+1, code, errs)
		}
		after := u.pid()
		t.Logf("upgrade %d: %s (pid file %d -> %d)", i+1, strings.TrimSpace(out), before, after)
		if after == before || !strings.Contains(out, fmt.Sprintf("-> pid %d", after)) {
			t.Errorf("upgrade %d: pid %d -> %d, reply %q", i+1, before, after, out)
		}
		if syscall.Kill(before, 0) == nil && netlab.WaitFor(3*time.Second, func() bool { return syscall.Kill(before, 0) != nil }) == false {
			t.Errorf("upgrade %d: the old process %d still runs", i+1, before)
		}
		if _, errs, code := lvsdCmd(t, "status", "--socket", u.sock); code != 0 {
			t.Errorf("status after upgrade %d: exit %d: %s", i+1, code, errs)
		}
		time.Sleep(1500 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // longer than the backup's Master_Down_Interval
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the upgrades: %s", bad)
	}
	got := adverts.since(from, isAdvert(51, netip.MustParseAddr("10.99.0.1")))
	gap := longestGap(got)
	t.Logf("%d adverts from the master through 3 upgrades, longest gap %v", len(got), gap.Round(time.Millisecond))
	// Adverts go every second: the longest gap is the regular one; the
	// hand-over adds no silence (the new process's first advert follows
	// the old one's last by milliseconds, alignAdverts) - a pause would
	// show as a gap of 1 s plus the hand-over.
	if len(got) < 8 || gap >= 1100*time.Millisecond {
		t.Errorf("master adverts through the upgrades: %d, longest gap %v (want < 1.1 s: the advert interval, no pause)", len(got), gap)
	}
	if o := u.p.Out.String(); strings.Count(o, "upgrade: took over") != 3 || strings.Contains(o, "cause=resume") {
		t.Errorf("want 3 quiet take-overs and no resume in the log")
	}
	if n2.HasAddr(vip4) {
		t.Error("the backup holds the VIP")
	}
}

// TestOpsUpgradeRefused: an upgrade whose new process cannot start (a
// broken configuration, a binary that exits at once) exits 1 with the
// reason, and the old process runs on as master.
func TestOpsUpgradeRefused(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	good := lvsdConf(instance{Priority: 200})
	u := startUpgradeNode(t, n1, good)
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	before := u.pid()
	watch := watchOwner(vip4, n1)

	if err := os.WriteFile(u.conf, []byte(good+"\nbogus_key = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := lvsdCmd(t, "upgrade", "--socket", u.sock)
	t.Logf("broken configuration: exit %d: %s", code, strings.TrimSpace(errs))
	if code != 1 || !strings.Contains(errs, "bogus_key") {
		t.Errorf("upgrade with a broken configuration: exit %d, %q (want 1 naming the key)", code, errs)
	}
	if err := os.WriteFile(u.conf, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	u.installBytes(t, []byte("#!/bin/sh\necho broken binary >&2\nexit 3\n"))
	_, errs, code = lvsdCmd(t, "upgrade", "--socket", u.sock)
	t.Logf("broken binary: exit %d: %s", code, strings.TrimSpace(errs))
	if code != 1 || !strings.Contains(errs, "exit status 3") {
		t.Errorf("upgrade to a binary that exits: exit %d, %q (want 1 with its exit status)", code, errs)
	}
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the refused upgrades: %s", bad)
	}
	if u.pid() != before || syscall.Kill(before, 0) != nil {
		t.Errorf("the old process %d does not run on (pid file %d)", before, u.pid())
	}
	if _, errs, code := lvsdCmd(t, "status", "--socket", u.sock); code != 0 {
		t.Errorf("status after the refused upgrades: exit %d: %s", code, errs)
	}
}
