package integration

import (
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// watchDual polls every 5 ms whether two nodes hold addr at once until the
// returned function is called; it returns when that first happened.
func watchDual(addr netip.Addr, a, b *netlab.Node) func() string {
	stop := make(chan struct{})
	res := make(chan string, 1)
	go func() {
		bad := ""
		for {
			select {
			case <-stop:
				res <- bad
				return
			default:
			}
			if bad == "" && a.HasAddr(addr) && b.HasAddr(addr) {
				bad = "on " + a.Name + " and " + b.Name + " at " + time.Now().Format("15:04:05.000")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() string { close(stop); return <-res }
}

// restartNode runs lvsd on n with a state file that survives restarts.
func restartNode(t *testing.T, n *netlab.Node, dir, conf string) func() *netlab.Process {
	cfg := writeFile(t, n.Name+".toml", conf)
	return func() *netlab.Process {
		p := n.Start(testenv.LvsdBinary(t), "run", "-f", cfg, "--socket", filepath.Join(dir, n.Name+".sock"),
			"--state-file", filepath.Join(dir, n.Name+".state"), "--log-level", "debug")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("lvsd on %s:\n%s", n.Name, p.Out.String())
			}
		})
		return p
	}
}

// TestOpsRestartSlowTracker: the master is killed -9 and restarted at once,
// but its weight-0 vrrp_script takes 5 s to give a first result, longer
// than the backup's Master_Down_Interval (3.6 s). The restarted lvsd must
// not resume (the backup takes over meanwhile), and the VIP is never on
// both nodes: the leftover VIP goes before the backup can take over.
// (Before: the resume was decided before the wait and the VIP kept.)
func TestOpsRestartSlowTracker(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	start1 := restartNode(t, n1, dir, lvsdConf(instance{Priority: 200})+"track_script = [\"slow\"]\n\n"+
		"[global]\nscript_user = \"root\"\n\n[[vrrp_script]]\nname = \"slow\"\nscript = \"/bin/sleep 5\"\ninterval = 10\ntimeout = 8\n")
	p1 := start1()
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 20*time.Second, time.Second, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool { return fileContains(filepath.Join(dir, "n1.state"), `"MASTER"`) }) {
		t.Fatal("the state file does not record MASTER")
	}
	dual := watchDual(vip4, n1, n2)
	p1.Kill()
	p1 = start1()
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2) // n1 preempts once its tracker is ready
	if bad := dual(); bad != "" {
		t.Errorf("VIP on two nodes after the restart: %s", bad)
	}
	if out := p1.Out.String(); strings.Contains(out, "cause=resume") {
		t.Error("the restarted lvsd resumed as master after the backup could take over")
	}
}

// TestOpsRestartAfterSIGSTOP: a master stopped (SIGSTOP) for longer than
// the backup's Master_Down_Interval sends no advert: its heartbeat ages as
// the backup sees it. Killed while stopped and restarted, it does not
// resume; stopped again, continued (it advertises and takes the VIP back),
// killed and restarted, it resumes. The VIP is never on both nodes after
// the backup released it.
func TestOpsRestartAfterSIGSTOP(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	start1 := restartNode(t, n1, dir, lvsdConf(instance{Priority: 200}))
	p1 := start1()
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)

	// Stopped past Master_Down_Interval, killed while stopped.
	if err := p1.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(10*time.Second, func() bool { return n2.HasAddr(vip4) }) {
		t.Fatal("the backup did not take over from the stopped master")
	}
	p1.Kill()
	p1 = start1()
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(p1.Out.String(), "stopped too long ago") }) {
		t.Error("a master stopped past Master_Down_Interval resumed")
	}
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2) // preempts as usual

	// Stopped, continued: it advertises again and the backup releases.
	if err := p1.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(10*time.Second, func() bool { return n2.HasAddr(vip4) }) {
		t.Fatal("the backup did not take over from the stopped master")
	}
	if err := p1.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitOwner(t, vip4, n1, 5*time.Second, 2*time.Second, n1, n2)
	dual := watchDual(vip4, n1, n2)
	p1.Kill()
	p1 = start1()
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(p1.Out.String(), "cause=resume") }) {
		t.Error("a master that advertised again did not resume")
	}
	waitOwner(t, vip4, n1, 5*time.Second, 5*time.Second, n1, n2)
	if bad := dual(); bad != "" {
		t.Errorf("VIP on two nodes after the restart: %s", bad)
	}
}
