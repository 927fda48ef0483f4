package track

import (
	"context"
	"sync"
	"time"
)

// BFDTracker is a bfd_instance seen by VRRP (track_bfd): OK while its
// session is Up. The session runs elsewhere (the daemon owns the BFD
// sessions); whoever runs it reports each state change with SetUp. It
// starts FAILED, as keepalived's tracked BFD starts down.
type BFDTracker struct {
	name string
	mu   sync.Mutex
	up   bool
	det  string
	wake chan struct{}
}

// NewBFD returns the tracker of the bfd_instance name.
func NewBFD(name string) *BFDTracker {
	return &BFDTracker{name: name, wake: make(chan struct{}, 1)}
}

// BFD returns the tracker of a bfd_instance (nil when there is none).
func (s *Set) BFD(name string) *BFDTracker { return s.bfd[name] }

// SetUp records the session's state: up, or not with detail (the state
// and diagnostic, "Down expired").
func (t *BFDTracker) SetUp(up bool, detail string) {
	t.mu.Lock()
	t.up, t.det = up, detail
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *BFDTracker) update(now time.Time) Update {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := Update{Name: t.name, Kind: KindBFD, Status: StatusOK, Time: now}
	if !t.up {
		u.Status, u.Reason, u.Detail = StatusFailed, ReasonBFDDown, t.det
		if u.Detail == "" {
			u.Detail = "Down"
		}
	}
	return u
}

// Run emits the initial state and every change until ctx is done.
func (t *BFDTracker) Run(ctx context.Context, emit Emit) error {
	last := t.update(time.Now())
	emit(last)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.wake:
			u := t.update(time.Now())
			if u.Status != last.Status || u.Detail != last.Detail {
				emit(u)
				last = u
			}
		}
	}
}
