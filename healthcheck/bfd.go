package healthcheck

import (
	"context"
	"errors"
	"sync"
	"time"
)

// BFDWait bounds how long one bfd_check waits for its session to change
// before it reports the unchanged state again.
const BFDWait = time.Second

// BFDStates holds the state of every BFD session for bfd_check: whoever
// runs the sessions (the daemon) calls Set on each change. Safe for
// concurrent use.
type BFDStates struct {
	mu sync.Mutex
	m  map[string]*bfdState
}

type bfdState struct {
	up     bool
	detail string
	ch     chan struct{} // closed and replaced on each change
}

// NewBFDStates returns an empty set: every session Down.
func NewBFDStates() *BFDStates { return &BFDStates{m: map[string]*bfdState{}} }

func (b *BFDStates) entry(name string) *bfdState {
	e := b.m[name]
	if e == nil {
		e = &bfdState{detail: "Down", ch: make(chan struct{})}
		b.m[name] = e
	}
	return e
}

// Set records a session's state (detail: the state and diagnostic for
// logs when not up, "Down expired").
func (b *BFDStates) Set(name string, up bool, detail string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entry(name)
	if e.up == up && e.detail == detail {
		return
	}
	e.up, e.detail = up, detail
	close(e.ch)
	e.ch = make(chan struct{})
}

func (b *BFDStates) get(name string) (bool, string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entry(name)
	return e.up, e.detail, e.ch
}

// BFDChecker is a bfd_check: up while the named session is Up. Its first
// Check answers at once; each later one waits (at most BFDWait) for the
// session to change, so that the scheduler sees a change without polling
// delay (run it with a tiny delay_loop and no retry).
type BFDChecker struct {
	name   string
	states *BFDStates
	mu     sync.Mutex
	seen   bool
	last   bool
}

var _ Checker = (*BFDChecker)(nil)

// NewBFDChecker returns the bfd_check of session name; with states nil it
// always fails.
func NewBFDChecker(name string, states *BFDStates) *BFDChecker {
	return &BFDChecker{name: name, states: states}
}

// Key implements Checker: one checker per session.
func (c *BFDChecker) Key() string { return "bfd|" + c.name }

func (c *BFDChecker) String() string { return "bfd_check " + c.name }

// Check implements Checker.
func (c *BFDChecker) Check(ctx context.Context) Result {
	start := time.Now()
	if c.states == nil {
		return failed(ReasonBFDDown, errors.New("no BFD sessions"), start)
	}
	up, detail, ch := c.states.get(c.name)
	c.mu.Lock()
	wait := c.seen && up == c.last
	c.mu.Unlock()
	if wait {
		t := time.NewTimer(BFDWait)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		up, detail, _ = c.states.get(c.name)
	}
	c.mu.Lock()
	c.seen, c.last = true, up
	c.mu.Unlock()
	if !up {
		return failed(ReasonBFDDown, errors.New("bfd_instance "+c.name+": "+detail), start)
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
}
