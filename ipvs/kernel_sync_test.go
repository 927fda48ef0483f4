package ipvs

import (
	"os/exec"
	"testing"
	"time"
)

// TestKernelSyncMasterAndBackup: one namespace runs the master and the
// backup sync daemon at once (N active directors each send their
// connections and receive the others'), started and stopped through the
// Manager.
func TestKernelSyncMasterAndBackup(t *testing.T) {
	c, ns := kernelNS(t)
	for _, args := range [][]string{
		{"-n", ns, "link", "add", "sync0", "type", "veth", "peer", "name", "sync1"},
		{"-n", ns, "addr", "add", "10.250.0.1/24", "dev", "sync0"},
		{"-n", ns, "link", "set", "sync0", "up"},
		{"-n", ns, "link", "set", "sync1", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	m := NewManager(c, nil)
	both := []SyncDaemon{
		{State: SyncMaster, Interface: "sync0", SyncID: 7},
		{State: SyncBackup, Interface: "sync0", SyncID: 7},
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- m.SetSyncDaemons(both) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("starting master and backup did not return in 20 s")
	}
	t.Logf("master+backup started in %v", time.Since(start))
	ds, err := c.SyncDaemons()
	if err != nil || len(ds) != 2 {
		t.Fatalf("daemons %+v, %v", ds, err)
	}
	t.Logf("ipvsadm --daemon:\n%s", ipvsadm(t, ns, "-L", "--daemon"))
	go func() { done <- m.SetSyncDaemons(nil) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("stopping master and backup did not return in 20 s")
	}
	if ds, err := c.SyncDaemons(); err != nil || len(ds) != 0 {
		t.Fatalf("after stop: %+v, %v", ds, err)
	}
}
