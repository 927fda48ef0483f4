package vrrp

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// newNodeOpts is newNode with extra Options (Resume, LateTimer, Logger).
func newNodeOpts(t *testing.T, h *hub, cfg Config, opts Options) *node {
	t.Helper()
	n := &node{conn: h.conn(cfg.SrcAddr), addrs: newFakeAddrs(), ann: &fakeAnn{}, done: make(chan error, 1)}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	opts.OnTransition = func(tr Transition) {
		n.mu.Lock()
		n.trans = append(n.trans, tr)
		n.mu.Unlock()
	}
	inst, err := New(cfg, n.conn, n.addrs, n.ann, opts)
	if err != nil {
		t.Fatal(err)
	}
	n.inst = inst
	return n
}

// TestResumeKeepsVIPsAndMastership: a restarted master with Resume sends an
// advert at once, keeps its VIPs (never removes them) and the running
// backup never takes over.
func TestResumeKeepsVIPsAndMastership(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		b := startNode(t, h, baseCfg(2, 100))
		settle(2 * time.Second) // b is a backup waiting for Master_Down_Interval
		wantState(t, "backup before", b, StateBackup)

		a := newNodeOpts(t, h, baseCfg(1, 200), Options{Resume: true})
		// The VIP the crashed daemon left behind.
		if err := a.addrs.AddVIPs(t.Context(), []VIP{{Prefix: vip}}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		a.run()
		synctest.Wait()
		wantState(t, "resumed", a, StateMaster)
		if s := h.sends(nodeIP(1)); len(s) != 1 || !s[0].at.Equal(t0) || s[0].prio != 200 {
			t.Fatalf("want one advert at once with priority 200, got %+v", s)
		}
		if tr := a.transitions(); len(tr) != 1 || tr[0].Cause.String() != "resume" || tr[0].From != StateInit {
			t.Errorf("transitions %+v, want one INIT->MASTER (resume)", tr)
		}
		settle(10 * time.Second)
		if got := a.addrs.ops("del"); len(got) != 0 {
			t.Errorf("resumed master removed addresses: %+v", got)
		}
		if !a.addrs.has(vip) {
			t.Error("VIP gone after resume")
		}
		wantState(t, "backup after", b, StateBackup)
		if n := b.inst.Stats().BecameMaster; n != 0 {
			t.Errorf("backup became master %d times", n)
		}
		a.stop(t)
		b.stop(t)
	})
}

// TestResumeStepsDownToHigherMaster: resuming next to a higher-priority
// master lasts until its first advert.
func TestResumeStepsDownToHigherMaster(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		hi := startNode(t, h, baseCfg(3, 250))
		settle(5 * time.Second)
		wantState(t, "high", hi, StateMaster)
		a := newNodeOpts(t, h, baseCfg(1, 200), Options{Resume: true})
		a.run()
		settle(1100 * time.Millisecond)
		wantState(t, "resumed then stepped down", a, StateBackup)
		wantState(t, "high stays", hi, StateMaster)
		a.stop(t)
		hi.stop(t)
	})
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slowAnn delays one Announce call by the duration armed in it.
type slowAnn struct {
	Announcer
	delay atomic.Int64
}

func (s *slowAnn) Announce(addrs []netip.Addr) error {
	if d := s.delay.Swap(0); d > 0 {
		time.Sleep(time.Duration(d))
	}
	return s.Announcer.Announce(addrs)
}

// TestLateTimerLogged: an advert timer handled 300 ms after its deadline
// (the instance goroutine is busy in a slow announcement) is logged and
// counted; on-time ones are not.
func TestLateTimerLogged(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		var logs syncBuffer
		cfg := baseCfg(1, 255)
		cfg.GARPMasterDelay = 4500 * time.Millisecond
		ann := &slowAnn{Announcer: &fakeAnn{}}
		inst, err := New(cfg, h.conn(cfg.SrcAddr), newFakeAddrs(), ann, Options{LateTimer: 100 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextWithCancel()
		done := make(chan error, 1)
		go func() { done <- inst.Run(ctx) }()
		settle(4 * time.Second)
		if n := inst.Stats().LateTimers; n != 0 {
			t.Fatalf("%d late timers without delay", n)
		}
		// The second burst at 4.5 s takes 800 ms: the advert due at 5 s runs at 5.3 s.
		ann.delay.Store(int64(800 * time.Millisecond))
		settle(2 * time.Second)
		if n := inst.Stats().LateTimers; n != 1 {
			t.Errorf("LateTimers = %d, want 1", n)
		}
		if out := logs.String(); !strings.Contains(out, "timer fired late") || !strings.Contains(out, "late=300ms") {
			t.Errorf("no late-timer log line with late=300ms:\n%s", out)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestAbandonLeavesVIPs: an abandoned master stops without priority 0 and
// keeps its VIPs; a resumed successor takes over with no backup takeover.
func TestAbandonLeavesVIPs(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(5 * time.Second)
		wantState(t, "a", a, StateMaster)
		a.inst.Abandon()
		dels := len(a.addrs.ops("del")) // the one of the first start
		a.stop(t)
		if n := a.inst.Stats().PriorityZeroSent; n != 0 {
			t.Errorf("abandoned master sent %d priority-0 adverts", n)
		}
		if !a.addrs.has(vip) {
			t.Fatal("abandoned master removed its VIP")
		}
		if tr := a.transitions(); tr[len(tr)-1].To != StateMaster {
			t.Errorf("abandon made a transition: %+v", tr)
		}
		// The successor shares the kernel state (the addresses).
		a2 := newNodeOpts(t, h, baseCfg(1, 200), Options{Resume: true})
		a2.addrs = a.addrs
		inst, err := New(a2.inst.Config(), a2.conn, a.addrs, a2.ann, Options{Resume: true, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		a2.inst = inst
		settle(500 * time.Millisecond)
		a2.run()
		settle(10 * time.Second)
		wantState(t, "a2", a2, StateMaster)
		wantState(t, "b", b, StateBackup)
		if n := b.inst.Stats().BecameMaster; n != 0 {
			t.Errorf("backup took over %d times across the restart", n)
		}
		if !a.addrs.has(vip) || len(a.addrs.ops("del")) != dels {
			t.Errorf("VIP removed across the restart: %+v", a.addrs.ops("del"))
		}
		a2.stop(t)
		b.stop(t)
	})
}
