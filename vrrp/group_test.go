package vrrp

import (
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/fsm"
)

// groupNode is one router with two instances (VRID 51 and 52) in a sync group.
type groupNode struct {
	vi1, vi2 *node
	g        *SyncGroup
	mu       sync.Mutex
	trans    []GroupTransition
}

var vip2 = netip.MustParsePrefix("10.99.0.200/24")

func groupCfgs(i int, prio uint8) (Config, Config) {
	c1 := baseCfg(i, prio)
	c2 := baseCfg(i, prio)
	c2.Name, c2.VRID, c2.VIPs = "VI_2", 52, []VIP{{Prefix: vip2}}
	return c1, c2
}

func startGroupNode(t *testing.T, h *hub, i int, prio uint8) *groupNode {
	t.Helper()
	c1, c2 := groupCfgs(i, prio)
	gn := &groupNode{}
	gn.vi1 = newNode(t, h, c1)
	gn.vi2 = newNode(t, h, c2)
	g, err := NewSyncGroup("VG_1", GroupOptions{Logger: testLogger(t), OnTransition: func(tr GroupTransition) {
		gn.mu.Lock()
		gn.trans = append(gn.trans, tr)
		gn.mu.Unlock()
	}}, gn.vi1.inst, gn.vi2.inst)
	if err != nil {
		t.Fatal(err)
	}
	gn.g = g
	gn.vi1.run()
	gn.vi2.run()
	return gn
}

func (gn *groupNode) stop(t *testing.T) {
	gn.vi1.stop(t)
	gn.vi2.stop(t)
}

func lastTransition(t *testing.T, n *node) Transition {
	t.Helper()
	tr := n.transitions()
	if len(tr) == 0 {
		t.Fatal("no transitions")
	}
	return tr[len(tr)-1]
}

func TestSyncGroup(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startGroupNode(t, h, 1, 200)
		b := startGroupNode(t, h, 2, 100)
		settle(10 * time.Second)
		wantState(t, "a vi1", a.vi1, StateMaster)
		wantState(t, "a vi2", a.vi2, StateMaster)
		wantState(t, "b vi1", b.vi1, StateBackup)
		wantState(t, "b vi2", b.vi2, StateBackup)
		if a.g.State() != StateMaster || b.g.State() != StateBackup {
			t.Fatalf("group states a %v b %v", a.g.State(), b.g.State())
		}

		// A fault on one member of a takes the whole group to FAULT, and b's
		// whole group takes over after its skew time.
		at := time.Now()
		a.vi1.inst.SetFault(true)
		synctest.Wait()
		wantState(t, "a vi2 follows into fault", a.vi2, StateFault)
		if l := lastTransition(t, a.vi2); l.Cause != fsm.CauseSyncGroup || !l.Time.Equal(at) {
			t.Errorf("a vi2 transition %+v", l)
		}
		if a.vi1.addrs.has(vip) || a.vi2.addrs.has(vip2) {
			t.Error("VIPs kept in FAULT")
		}
		settle(2 * time.Second)
		wantState(t, "b vi1", b.vi1, StateMaster)
		wantState(t, "b vi2", b.vi2, StateMaster)
		for _, n := range []*node{b.vi1, b.vi2} {
			if got := n.becameMaster(t).Sub(at); got != skew100 {
				t.Errorf("%s took over after %v, want %v", n.inst.cfg.Name, got, skew100)
			}
		}
		if a.g.State() != StateFault || b.g.State() != StateMaster {
			t.Errorf("group states a %v b %v", a.g.State(), b.g.State())
		}

		// Fault cleared: a preempts with both members together.
		cleared := time.Now()
		a.vi1.inst.SetFault(false)
		settle(10 * time.Second)
		for _, n := range []*node{a.vi1, a.vi2} {
			wantState(t, n.inst.cfg.Name, n, StateMaster)
			if got := n.becameMaster(t).Sub(cleared); got != mdi200 {
				t.Errorf("a %s master after %v, want %v", n.inst.cfg.Name, got, mdi200)
			}
		}
		wantState(t, "b vi1", b.vi1, StateBackup)
		wantState(t, "b vi2", b.vi2, StateBackup)

		// A stranger with a higher priority for VRID 52 only: a's VI_2 yields,
		// and its VI_1 goes with it at the same instant.
		c2 := baseCfg(3, 250)
		c2.Name, c2.VRID, c2.VIPs = "VI_2", 52, []VIP{{Prefix: vip2}}
		start := time.Now()
		c := startNode(t, h, c2)
		settle(10 * time.Second)
		wantState(t, "c", c, StateMaster)
		wantState(t, "a vi2", a.vi2, StateBackup)
		wantState(t, "a vi1 follows", a.vi1, StateBackup)
		l2, l1 := lastTransition(t, a.vi2), lastTransition(t, a.vi1)
		if l2.Cause != fsm.CauseHigherPriority || l1.Cause != fsm.CauseSyncGroup || !l1.Time.Equal(l2.Time) {
			t.Errorf("a transitions: vi2 %+v, vi1 %+v", l2, l1)
		}
		if !l2.Time.Equal(start.Add(fsm.MasterDownInterval(2, 250, time.Second))) {
			t.Errorf("c took over at +%v", l2.Time.Sub(start))
		}
		if a.vi1.addrs.has(vip) {
			t.Error("a vi1 kept its VIP")
		}
		a.mu.Lock()
		gt := append([]GroupTransition(nil), a.trans...)
		a.mu.Unlock()
		var states []State
		for _, x := range gt {
			states = append(states, x.To)
		}
		want := []State{StateBackup, StateMaster, StateFault, StateBackup, StateMaster, StateBackup}
		if len(states) != len(want) {
			t.Errorf("group transitions %v, want %v", states, want)
		} else {
			for k := range want {
				if states[k] != want[k] {
					t.Errorf("group transitions %v, want %v", states, want)
					break
				}
			}
		}
		c.stop(t)
		a.stop(t)
		b.stop(t)
	})
}

func TestSyncGroupErrors(t *testing.T) {
	h := newHub()
	c1, c2 := groupCfgs(1, 100)
	n1, n2 := newNode(t, h, c1), newNode(t, h, c2)
	if _, err := NewSyncGroup("empty", GroupOptions{}); err == nil {
		t.Error("empty group accepted")
	}
	if _, err := NewSyncGroup("dup", GroupOptions{}, n1.inst, n1.inst); err == nil {
		t.Error("repeated member accepted")
	}
	if _, err := NewSyncGroup("g1", GroupOptions{}, n1.inst, n2.inst); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSyncGroup("g2", GroupOptions{}, n2.inst); err == nil {
		t.Error("member of two groups accepted")
	}
}
