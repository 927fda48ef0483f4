package scriptpool

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/vrrp/script"
)

// Defaults.
const (
	DefaultLimit      = 32
	DefaultMaxPending = 1024
	DefaultTimeout    = 30 * time.Second
)

// Options configure a Pool; zero values are the defaults.
type Options struct {
	Limit      int           // scripts running at once
	MaxPending int           // scripts waiting for a turn
	Timeout    time.Duration // per run, unless the Spec sets one
	Logger     *slog.Logger
	// Run runs one script; default script.Run.
	Run func(context.Context, script.Spec) script.Result
}

// Pool runs scripts within bounds. Create with New.
type Pool struct {
	opts    Options
	sem     chan struct{}
	pending atomic.Int64 // accepted and not finished: running or waiting
	dropped atomic.Uint64
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex // guards closed, lastLog
	closed  bool
	lastLog time.Time
}

// New returns a Pool.
func New(opts Options) *Pool {
	if opts.Limit <= 0 {
		opts.Limit = DefaultLimit
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Run == nil {
		opts.Run = script.Run
	}
	p := &Pool{opts: opts, sem: make(chan struct{}, opts.Limit)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// Go runs spec in the background as what (for logs) and calls done, if not
// nil, with its result. It reports false, and calls done with a
// ReasonStart result, when the script is dropped: too many waiting, or the
// pool closed.
func (p *Pool) Go(what string, spec script.Spec, done func(script.Result)) bool {
	if spec.Timeout <= 0 {
		spec.Timeout = p.opts.Timeout
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.wg.Add(1)
	}
	p.mu.Unlock()
	if closed || p.pending.Add(1) > int64(p.opts.Limit+p.opts.MaxPending) {
		if !closed {
			p.pending.Add(-1)
			p.wg.Done()
		}
		p.drop(what, spec, closed)
		if done != nil {
			done(script.Result{Reason: script.ReasonStart, Err: errDropped})
		}
		return false
	}
	go func() {
		defer p.wg.Done()
		defer p.pending.Add(-1)
		var res script.Result
		select {
		case p.sem <- struct{}{}:
			if p.ctx.Err() == nil {
				res = p.opts.Run(p.ctx, spec)
			} else {
				res = script.Result{Reason: script.ReasonStart, Err: errDropped}
			}
			<-p.sem
		case <-p.ctx.Done():
			res = script.Result{Reason: script.ReasonStart, Err: errDropped}
		}
		if !res.OK() {
			p.opts.Logger.Warn(what+" failed", "command", script.Quote(spec.Args), "result", res.String(),
				"stderr", strings.TrimSpace(string(res.Stderr)))
		}
		if done != nil {
			done(res)
		}
	}()
	return true
}

type dropErr struct{}

func (dropErr) Error() string { return "scriptpool: not run (too many scripts waiting, or stopping)" }

var errDropped error = dropErr{}

func (p *Pool) drop(what string, spec script.Spec, closed bool) {
	n := p.dropped.Add(1)
	p.mu.Lock()
	now := time.Now()
	logIt := now.Sub(p.lastLog) >= 10*time.Second
	if logIt {
		p.lastLog = now
	}
	p.mu.Unlock()
	if logIt {
		reason := "too_many_waiting"
		if closed {
			reason = "stopping"
		}
		p.opts.Logger.Warn(what+" not run", "command", script.Quote(spec.Args), "reason", reason, "dropped_total", n)
	}
}

// Dropped returns how many scripts were not run.
func (p *Pool) Dropped() uint64 { return p.dropped.Load() }

// Close starts nothing more, waits for the running scripts until ctx ends,
// then kills them (their process groups) and waits for them to be reaped.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.cancel()
	<-done
	return err
}
