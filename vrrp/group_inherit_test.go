package vrrp

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// TestSyncGroupInheritQuiet: a sync group whose members are all handed
// over (reload) and take over their predecessors' states with
// Options.Inherit, the group with GroupOptions.Inherit, fires no member and
// no group transition, stays MASTER (resp. BACKUP) and the peer group
// never notices. Then a member's fault still moves the whole group.
func TestSyncGroupInheritQuiet(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startGroupNode(t, h, 1, 200)
		b := startGroupNode(t, h, 2, 100)
		settle(10 * time.Second)
		if a.g.State() != StateMaster || b.g.State() != StateBackup {
			t.Fatalf("groups %v / %v, want MASTER / BACKUP", a.g.State(), b.g.State())
		}
		for _, gn := range []*groupNode{a, b} {
			p1, p2 := handOver(t, gn.vi1), handOver(t, gn.vi2)
			gstate := gn.g.State()
			c1, c2 := gn.vi1.inst.cfg, gn.vi2.inst.cfg
			n1 := newNodeOpts(t, h, c1, Options{Inherit: &p1})
			n2 := newNodeOpts(t, h, c2, Options{Inherit: &p2})
			if p1.State == StateMaster {
				if err := n1.addrs.AddVIPs(t.Context(), c1.VIPs); err != nil {
					t.Fatal(err)
				}
				if err := n2.addrs.AddVIPs(t.Context(), c2.VIPs); err != nil {
					t.Fatal(err)
				}
			}
			ng := &groupNode{vi1: n1, vi2: n2}
			var mu sync.Mutex
			g, err := NewSyncGroup("VG_1", GroupOptions{Logger: testLogger(t), Inherit: gstate, OnTransition: func(tr GroupTransition) {
				mu.Lock()
				ng.trans = append(ng.trans, tr)
				mu.Unlock()
			}}, n1.inst, n2.inst)
			if err != nil {
				t.Fatal(err)
			}
			ng.g = g
			n1.run()
			settle(500 * time.Millisecond) // the second member starts late
			n2.run()
			settle(10 * time.Second)
			for _, n := range []*node{n1, n2} {
				if tr := n.transitions(); len(tr) != 0 {
					t.Errorf("%s transitions %+v, want none", n.inst.cfg.Name, tr)
				}
			}
			mu.Lock()
			if len(ng.trans) != 0 {
				t.Errorf("group transitions %+v, want none", ng.trans)
			}
			mu.Unlock()
			if g.State() != gstate {
				t.Errorf("group %v, want %v", g.State(), gstate)
			}
			*gn = groupNode{vi1: n1, vi2: n2, g: g}
		}
		wantState(t, "a VI_1", a.vi1, StateMaster)
		wantState(t, "a VI_2", a.vi2, StateMaster)
		wantState(t, "b VI_1", b.vi1, StateBackup)
		wantState(t, "b VI_2", b.vi2, StateBackup)

		// The group rules continue: a fault of one member of a takes a
		// down, and b's group takes over.
		a.vi2.inst.SetFault(true)
		settle(5 * time.Second)
		if a.g.State() != StateFault || b.g.State() != StateMaster {
			t.Errorf("after the fault: groups %v / %v, want FAULT / MASTER", a.g.State(), b.g.State())
		}
		a.stop(t)
		b.stop(t)
	})
}
