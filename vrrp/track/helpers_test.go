package track

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recorder collects a tracker's updates.
type recorder struct {
	mu      sync.Mutex
	updates []Update
	ch      chan Update
	hook    func(Update)
}

func newRecorder() *recorder { return &recorder{ch: make(chan Update, 1024)} }

func (r *recorder) emit(u Update) {
	if r.hook != nil {
		r.hook(u)
	}
	r.mu.Lock()
	r.updates = append(r.updates, u)
	r.mu.Unlock()
	r.ch <- u
}

// next waits for the next update that satisfies cond.
func (r *recorder) next(t *testing.T, d time.Duration, what string, cond func(Update) bool) Update {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case u := <-r.ch:
			if cond(u) {
				return u
			}
		case <-timeout:
			t.Fatalf("no update %s within %v (got %+v)", what, d, r.all())
		}
	}
}

func (r *recorder) all() []Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Update(nil), r.updates...)
}

// start runs tr until the test ends and checks that Run returns ctx.Err().
func start(t *testing.T, tr Tracker, r *recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx, r.emit) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != context.Canceled {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
}
