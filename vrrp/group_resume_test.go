package vrrp

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/fsm"
)

// resumeGroupNode builds a's two members of VG_1 with their VIPs in place
// (left by the previous run) and Resume as given, and runs them.
func resumeGroupNode(t *testing.T, h *hub, resume1, resume2 bool) (*node, *node, *SyncGroup) {
	t.Helper()
	c1, c2 := groupCfgs(1, 200)
	n1 := newNodeOpts(t, h, c1, Options{Resume: resume1})
	n2 := newNodeOpts(t, h, c2, Options{Resume: resume2})
	g, err := NewSyncGroup("VG_1", GroupOptions{Logger: testLogger(t)}, n1.inst, n2.inst)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		n *node
		c Config
	}{{n1, c1}, {n2, c2}} {
		if err := x.n.addrs.AddVIPs(t.Context(), x.c.VIPs); err != nil {
			t.Fatal(err)
		}
	}
	n1.run()
	n2.run()
	return n1, n2, g
}

// TestSyncGroupResume: a restarted master whose sync group members all
// resume is MASTER at once with its whole group, VIPs kept, and the
// backups' group never takes over.
func TestSyncGroupResume(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		b := startGroupNode(t, h, 2, 100)
		settle(2 * time.Second)
		a1, a2, g := resumeGroupNode(t, h, true, true)
		synctest.Wait()
		for _, n := range []*node{a1, a2} {
			wantState(t, n.inst.cfg.Name, n, StateMaster)
			if tr := n.transitions(); len(tr) != 1 || tr[0].Cause != fsm.CauseResume {
				t.Errorf("%s transitions %+v, want one INIT->MASTER (resume)", n.inst.cfg.Name, tr)
			}
		}
		if g.State() != StateMaster {
			t.Errorf("group %v, want MASTER", g.State())
		}
		settle(10 * time.Second)
		for _, n := range []*node{a1, a2} {
			wantState(t, n.inst.cfg.Name, n, StateMaster)
			if d := n.addrs.ops("del"); len(d) != 0 {
				t.Errorf("%s removed addresses: %+v", n.inst.cfg.Name, d)
			}
		}
		for _, n := range []*node{b.vi1, b.vi2} {
			if k := n.inst.Stats().BecameMaster; k != 0 {
				t.Errorf("b %s took over %d times", n.inst.cfg.Name, k)
			}
		}
		a1.stop(t)
		a2.stop(t)
		b.stop(t)
	})
}

// TestSyncGroupPartialResume: when one member resumes and the other starts
// as a backup (its VIPs were gone, say), the group is not MASTER: the
// resumed member goes BACKUP with it at once, VIPs removed, and the
// group becomes MASTER together later, by election.
func TestSyncGroupPartialResume(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		start := time.Now()
		a1, a2, g := resumeGroupNode(t, h, true, false)
		synctest.Wait()
		wantState(t, "a1", a1, StateBackup)
		wantState(t, "a2", a2, StateBackup)
		if l := lastTransition(t, a1); l.Cause != fsm.CauseSyncGroup || !l.Time.Equal(start) {
			t.Errorf("a1 last transition %+v, want MASTER->BACKUP (sync_group) at once", l)
		}
		if a1.addrs.has(vip) || a2.addrs.has(vip2) {
			t.Error("VIPs kept by a group that is not MASTER")
		}
		if g.State() != StateBackup {
			t.Errorf("group %v, want BACKUP", g.State())
		}
		settle(5 * time.Second)
		wantState(t, "a1 later", a1, StateMaster)
		wantState(t, "a2 later", a2, StateMaster)
		a1.stop(t)
		a2.stop(t)
	})
}
