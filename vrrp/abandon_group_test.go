package vrrp

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// TestAbandonLeavesSyncGroup: a sync group member that is abandoned (reload
// hand-over, restart) leaves its group when its goroutine returns: when
// another member then goes to FAULT or BACKUP, the abandoned one is not
// driven (no priority 0, no VIP removal, no transition callback) and the
// group's state is the remaining members'.
func TestAbandonLeavesSyncGroup(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startGroupNode(t, h, 1, 200)
		b := startGroupNode(t, h, 2, 100)
		settle(10 * time.Second)
		wantState(t, "a vi1", a.vi1, StateMaster)
		wantState(t, "a vi2", a.vi2, StateMaster)

		a.vi1.inst.Abandon()
		a.vi1.stop(t)
		trans := len(a.vi1.transitions())
		dels := len(a.vi1.addrs.ops("del"))
		sent := len(h.sends(nodeIP(1)))

		// The remaining member fails: the group (now vi2 alone) goes to
		// FAULT; the abandoned member is left as it was.
		a.vi2.inst.SetFault(true)
		settle(5 * time.Second)
		wantState(t, "a vi2", a.vi2, StateFault)
		if got := a.vi1.transitions(); len(got) != trans {
			t.Errorf("abandoned member made transitions after it returned: %+v", got[trans:])
		}
		if got := a.vi1.addrs.ops("del"); len(got) != dels || !a.vi1.addrs.has(vip) {
			t.Errorf("abandoned member's VIP removed: %+v", got)
		}
		if st := a.vi1.inst.State(); st != StateMaster {
			t.Errorf("abandoned member's state %v, want MASTER (as it was left)", st)
		}
		if a.g.State() != StateFault {
			t.Errorf("group state %v, want FAULT", a.g.State())
		}
		if n := a.vi1.inst.Stats().PriorityZeroSent + a.vi1.inst.Stats().SendErrors; n != 0 {
			t.Errorf("abandoned member sent %d adverts (or tried)", n)
		}
		// vi2 sent its priority 0; a's vi1 address is shared by both members,
		// so count priority-0 adverts from 10.99.0.1: exactly vi2's one.
		zero := 0
		for _, p := range h.sends(nodeIP(1))[sent:] {
			if p.prio == 0 {
				zero++
			}
		}
		if zero != 1 {
			t.Errorf("%d priority-0 adverts from a after the fault, want 1 (vi2's)", zero)
		}

		// Fault released: vi2 goes master on its own, the group with it,
		// still without touching the abandoned member.
		a.vi2.inst.SetFault(false)
		settle(10 * time.Second)
		wantState(t, "a vi2", a.vi2, StateMaster)
		if a.g.State() != StateMaster {
			t.Errorf("group state %v, want MASTER", a.g.State())
		}
		if got := a.vi1.transitions(); len(got) != trans {
			t.Errorf("abandoned member made transitions: %+v", got[trans:])
		}
		a.vi2.stop(t)
		b.stop(t)
	})
}
