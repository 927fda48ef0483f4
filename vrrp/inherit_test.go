package vrrp

import (
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// handOver abandons n, stops it and returns its final Stats (what a reload
// hands to the successor).
func handOver(t *testing.T, n *node) Stats {
	t.Helper()
	n.inst.Abandon()
	n.stop(t)
	return n.inst.Stats()
}

// TestInheritMasterQuiet: a master rebuilt with Options.Inherit takes over
// without a transition (no OnTransition, no Info log of a state change), no
// announcement, and with the predecessor's counters and last transition
// time; the backup never notices. Afterwards it is an ordinary master: a
// higher-priority router makes it step down.
func TestInheritMasterQuiet(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		b := startNode(t, h, baseCfg(2, 100))
		a := startNode(t, h, baseCfg(1, 200))
		settle(10 * time.Second)
		wantState(t, "master before", a, StateMaster)
		wantState(t, "backup before", b, StateBackup)
		prev := handOver(t, a)
		if prev.State != StateMaster || prev.Transitions == 0 || prev.LastTransition.IsZero() {
			t.Fatalf("predecessor's stats %+v", prev)
		}

		var logs syncBuffer
		a2 := newNodeOpts(t, h, baseCfg(1, 200), Options{
			Inherit: &prev,
			Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		})
		if err := a2.addrs.AddVIPs(t.Context(), []VIP{{Prefix: vip}}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		sentBefore := len(h.sends(nodeIP(1)))
		a2.run()
		synctest.Wait()
		wantState(t, "inherited", a2, StateMaster)
		if s := h.sends(nodeIP(1))[sentBefore:]; len(s) != 1 || !s[0].at.Equal(t0) || s[0].prio != 200 {
			t.Fatalf("want one advert at once with priority 200, got %+v", s)
		}
		settle(10 * time.Second)
		if tr := a2.transitions(); len(tr) != 0 {
			t.Errorf("transitions %+v, want none", tr)
		}
		if n := a2.ann.countIn(t0, time.Now()); n != 0 {
			t.Errorf("%d announcements after a quiet take-over", n)
		}
		if got := a2.addrs.ops("del"); len(got) != 0 {
			t.Errorf("inherited master removed addresses: %+v", got)
		}
		if l := logs.String(); strings.Contains(l, "entering") {
			t.Errorf("state change logged at Info:\n%s", l)
		}
		st := a2.inst.Stats()
		if st.Transitions != prev.Transitions || st.BecameMaster != prev.BecameMaster || !st.LastTransition.Equal(prev.LastTransition) {
			t.Errorf("counters: transitions %d (was %d), became master %d (was %d), last transition %v (was %v)",
				st.Transitions, prev.Transitions, st.BecameMaster, prev.BecameMaster, st.LastTransition, prev.LastTransition)
		}
		if st.AdvertsSent < prev.AdvertsSent+10 {
			t.Errorf("adverts sent %d, want the predecessor's %d and 10 s more", st.AdvertsSent, prev.AdvertsSent)
		}
		wantState(t, "backup after", b, StateBackup)
		if tr := b.transitions(); len(tr) != 1 {
			t.Errorf("backup's transitions %+v, want only its start", tr)
		}

		// RFC behaviour continues: a higher priority takes over.
		hi := startNode(t, h, baseCfg(3, 250))
		settle(5 * time.Second)
		wantState(t, "stepped down", a2, StateBackup)
		if tr := a2.transitions(); len(tr) != 1 || tr[0].From != StateMaster || tr[0].Cause.String() != "higher_priority" {
			t.Errorf("transitions %+v, want MASTER->BACKUP (higher_priority)", tr)
		}
		if st := a2.inst.Stats(); st.Transitions != prev.Transitions+1 {
			t.Errorf("transitions %d, want %d", st.Transitions, prev.Transitions+1)
		}
		hi.stop(t)
		a2.stop(t)
		b.stop(t)
	})
}

// TestInheritBackupQuiet: a backup rebuilt with Options.Inherit stays a
// backup without a transition or an advert, and still takes over when the
// master leaves.
func TestInheritBackupQuiet(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(10 * time.Second)
		wantState(t, "backup before", b, StateBackup)
		prev := handOver(t, b)

		b2 := newNodeOpts(t, h, baseCfg(2, 100), Options{Inherit: &prev})
		b2.run()
		settle(10 * time.Second)
		wantState(t, "inherited", b2, StateBackup)
		if tr := b2.transitions(); len(tr) != 0 {
			t.Errorf("transitions %+v, want none", tr)
		}
		if s := h.sends(nodeIP(2)); len(s) != 0 {
			t.Errorf("backup sent %d adverts", len(s))
		}
		if st := b2.inst.Stats(); st.Transitions != prev.Transitions || !st.LastTransition.Equal(prev.LastTransition) ||
			st.Master != nodeIP(1) || st.AdvertsReceived <= prev.AdvertsReceived {
			t.Errorf("stats %+v, predecessor's %+v", st, prev)
		}

		a.stop(t) // priority 0: the backup takes over after Skew_Time
		settle(time.Second)
		wantState(t, "took over", b2, StateMaster)
		if tr := b2.transitions(); len(tr) != 1 || tr[0].Cause.String() != "priority_zero" {
			t.Errorf("transitions %+v, want BACKUP->MASTER (priority_zero)", tr)
		}
		if b2.ann.countIn(time.Now().Add(-time.Second), time.Now()) == 0 {
			t.Error("no announcement on becoming master")
		}
		b2.stop(t)
	})
}
