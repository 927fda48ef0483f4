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

// TestOpsAHSuccessorKeepalived: an lvsd master with auth_type AH next to
// a keepalived 2.2.7 backup, through two `lvsd upgrade`s and then a
// kill -9 and restart without outage. keepalived accepts only sequence
// numbers above the last it heard: the successor continues the sequence
// (handed over by the upgrade; estimated from the state file by the
// restart), so keepalived hears it at once, logs no replay and never takes
// the VIP. Before, the successor started again from 1 and keepalived took
// over after its Master_Down_Interval.
func TestOpsAHSuccessorKeepalived(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	t.Parallel()
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ahsucc"}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	// 2 s adverts: the restart's freshness limit is 5 s, which a loaded
	// machine's start fits in; keepalived's Master_Down_Interval is 6.6 s.
	in1 := instance{Priority: 200, Master: true, Pass: "s3cr3t", AH: true, Advert: "2"}
	in2 := instance{Priority: 100, Pass: "s3cr3t", AH: true, Advert: "2"}
	ka := startKeepalived(t, n2, keepalivedConf("n2", in2))
	u := startUpgradeNode(t, n1, lvsdConf(in1))
	waitOwner(t, vip4, n1, 20*time.Second, 3*time.Second, n1, n2)
	kaBefore := len(ka.proc.Out.String())

	watch := watchOwner(vip4, n1, n2)
	for i := range 2 {
		u.upgrade(t, i+1)
		time.Sleep(2500 * time.Millisecond)
	}
	time.Sleep(7 * time.Second) // longer than keepalived's Master_Down_Interval
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the upgrades: %s", bad)
	}

	// kill -9 and start again with the same state file: a restart without
	// outage resumes as master.
	// Kill right after a heartbeat (the state file's modification time is
	// the last advert), so that the restart is within its freshness limit
	// (5 s at 2 s adverts) whatever the phase.
	dir := filepath.Dir(u.conf)
	state := filepath.Join(dir, "n.state")
	if !netlab.WaitFor(5*time.Second, func() bool {
		fi, err := os.Stat(state)
		return err == nil && time.Since(fi.ModTime()) < 2200*time.Millisecond && time.Since(fi.ModTime()) > 0
	}) {
		t.Fatal("no recent heartbeat in the state file")
	}
	if fi, err := os.Stat(state); err == nil {
		t.Logf("last heartbeat %v before the kill", time.Since(fi.ModTime()).Round(time.Millisecond))
	}
	watch = watchOwner(vip4, n1, n2)
	pid := u.pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	p := n1.Start(u.bin, "run", "-f", u.conf, "--socket", u.sock, "--pid-file", u.pidFile,
		"--state-file", state, "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("restarted lvsd on n1:\n%s", p.Out.String())
		}
	})
	if !netlab.WaitFor(10*time.Second, func() bool { return strings.Contains(p.Out.String(), "cause=resume") }) {
		// (the restart took longer than the freshness limit: it removed the
		// VIP and started as backup, as it must)
		t.Fatal("the restarted lvsd did not resume as master")
	}
	time.Sleep(7 * time.Second)
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the restart: %s", bad)
	}
	if o := ka.proc.Out.String()[kaBefore:]; strings.Contains(o, "Entering MASTER") || strings.Contains(o, "IPSEC-AH") {
		t.Errorf("keepalived took over or rejected a sequence number:\n%s", o)
	}
}
