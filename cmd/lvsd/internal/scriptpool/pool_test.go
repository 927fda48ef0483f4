package scriptpool

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lvsd/lvsd/vrrp/script"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestBounds: at most Limit run at once, MaxPending wait, the rest are
// dropped and counted; every run gets the default timeout.
func TestBounds(t *testing.T) {
	var running, peak atomic.Int64
	release := make(chan struct{})
	var mu sync.Mutex
	var timeouts []time.Duration
	run := func(ctx context.Context, s script.Spec) script.Result {
		mu.Lock()
		timeouts = append(timeouts, s.Timeout)
		mu.Unlock()
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return script.Result{}
	}
	p := New(Options{Limit: 2, MaxPending: 3, Run: run, Logger: slog.New(slog.DiscardHandler)})
	var ok, dropped int
	for range 10 {
		if p.Go("quorum_up", script.Spec{Args: []string{"x"}}, nil) {
			ok++
		} else {
			dropped++
		}
	}
	if ok != 5 || dropped != 5 || p.Dropped() != 5 {
		t.Errorf("accepted %d dropped %d (counted %d), want 5 (2 running, 3 waiting) and 5", ok, dropped, p.Dropped())
	}
	close(release)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 2 {
		t.Errorf("%d ran at once, want at most 2", peak.Load())
	}
	for _, d := range timeouts {
		if d != DefaultTimeout {
			t.Errorf("timeout %v, want %v", d, DefaultTimeout)
		}
	}
	if p.Go("x", script.Spec{Args: []string{"x"}}, nil) {
		t.Error("Go after Close accepted")
	}
}

// TestCloseKills: Close's context ending kills the running script and
// starts none of those waiting.
func TestCloseKills(t *testing.T) {
	var started atomic.Int64
	run := func(ctx context.Context, s script.Spec) script.Result {
		started.Add(1)
		<-ctx.Done()
		return script.Result{Reason: script.ReasonTimeout}
	}
	p := New(Options{Limit: 1, Run: run, Logger: slog.New(slog.DiscardHandler)})
	for range 5 {
		p.Go("notify_up", script.Spec{Args: []string{"x"}}, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d started, want 1", n)
	}
}

// TestRealTimeout: a real script that outlives its timeout is killed.
func TestRealTimeout(t *testing.T) {
	p := New(Options{Timeout: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	res := make(chan script.Result, 1)
	p.Go("quorum_down", script.Spec{Args: []string{"/bin/sleep", "30"}, KillGrace: 100 * time.Millisecond}, func(r script.Result) { res <- r })
	select {
	case r := <-res:
		if r.Reason != script.ReasonTimeout {
			t.Errorf("result %v, want a timeout", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sleep 30 was not killed")
	}
	p.Close(context.Background())
}
