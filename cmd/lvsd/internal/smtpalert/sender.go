package smtpalert

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Config is where and how alerts are sent.
type Config struct {
	Server  string        // "host:port"
	Helo    string        // HELO name
	From    string        // envelope sender and From header
	To      []string      // recipients (RCPT TO, To header)
	Timeout time.Duration // connect and each reply; default 30s
}

// DialFunc opens the connection to the server (net.Dialer.DialContext).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options tune a Sender; zero values take the defaults.
type Options struct {
	QueueSize  int           // messages waiting; default 64
	Attempts   int           // deliveries tried per message; default 3
	RetryDelay time.Duration // before the 2nd attempt, doubling; default 10s
	LogEvery   time.Duration // at most one failure log per this; default 1 min
	Logger     *slog.Logger
	Dial       DialFunc // default net.Dialer
}

// Stats are a Sender's counters.
type Stats struct {
	Sent   uint64            // messages accepted by the server
	Failed map[Reason]uint64 // messages given up, by reason
	Queued int               // messages waiting now
	// LastError is the last delivery failure ("" if none).
	LastError string
}

// Sender queues and delivers alerts; see the package documentation.
type Sender struct {
	opts  Options
	queue chan Message
	stop  chan struct{} // closed by Close: drain and return

	mu      sync.Mutex // guards the fields below
	cfg     Config
	sent    uint64
	failed  map[Reason]uint64
	lastErr string
	lastLog time.Time
	quiet   int // failures not logged since lastLog
	closed  bool
}

// New returns a Sender for cfg; Run delivers.
func New(cfg Config, opts Options) *Sender {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 64
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 10 * time.Second
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Dial == nil {
		var d net.Dialer
		opts.Dial = d.DialContext
	}
	s := &Sender{opts: opts, queue: make(chan Message, opts.QueueSize), stop: make(chan struct{}), failed: map[Reason]uint64{}}
	s.SetConfig(cfg)
	return s
}

// SetConfig replaces the destination (reload); queued messages use the
// new one.
func (s *Sender) SetConfig(cfg Config) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	cfg.To = append([]string(nil), cfg.To...)
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
}

// Enqueue queues m without blocking. It reports false when m was dropped
// (queue full or Sender closed), counted as ReasonQueueFull or
// ReasonShutdown.
func (s *Sender) Enqueue(m Message) bool {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.fail(ReasonShutdown, m, "sender stopped")
		return false
	}
	select {
	case s.queue <- m:
		return true
	default:
		s.fail(ReasonQueueFull, m, "queue full")
		return false
	}
}

// Run delivers queued messages until ctx is done, or until Close was
// called and the queue is empty. Messages left when ctx is done are
// counted as ReasonShutdown.
func (s *Sender) Run(ctx context.Context) {
	for {
		select {
		case m := <-s.queue:
			s.deliver(ctx, m)
		case <-ctx.Done():
			s.drop()
			return
		case <-s.stop:
			for {
				select {
				case m := <-s.queue:
					s.deliver(ctx, m)
					continue
				case <-ctx.Done():
					s.drop()
				default:
				}
				return
			}
		}
	}
}

// Close stops accepting messages; Run delivers what is queued, then returns.
func (s *Sender) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
}

func (s *Sender) drop() {
	for {
		select {
		case m := <-s.queue:
			s.fail(ReasonShutdown, m, "lvsd stopping")
		default:
			return
		}
	}
}

// deliver tries m up to Attempts times.
func (s *Sender) deliver(ctx context.Context, m Message) {
	delay := s.opts.RetryDelay
	var err error
	for a := 1; ; a++ {
		s.mu.Lock()
		cfg := s.cfg
		s.mu.Unlock()
		if err = deliver(ctx, s.opts.Dial, cfg, m); err == nil {
			s.mu.Lock()
			s.sent++
			s.mu.Unlock()
			s.opts.Logger.Info("e-mail alert sent", "subject", m.Subject, "server", cfg.Server, "attempt", a)
			return
		}
		if a >= s.opts.Attempts || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		delay *= 2
	}
	if ctx.Err() != nil {
		s.fail(ReasonShutdown, m, err.Error())
		return
	}
	s.fail(reasonOf(err), m, err.Error())
}

// fail counts a dropped message and logs it, at most once per LogEvery
// (the next log says how many were not logged).
func (s *Sender) fail(r Reason, m Message, why string) {
	now := time.Now()
	s.mu.Lock()
	s.failed[r]++
	s.lastErr = why
	logIt := s.lastLog.IsZero() || now.Sub(s.lastLog) >= s.opts.LogEvery
	quiet := s.quiet
	if logIt {
		s.lastLog, s.quiet = now, 0
	} else {
		s.quiet++
	}
	s.mu.Unlock()
	if logIt {
		s.opts.Logger.Warn("e-mail alert not delivered", "reason", string(r), "subject", m.Subject, "err", why, "suppressed", quiet)
	}
}

// Stats returns the counters.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Sent: s.sent, Failed: map[Reason]uint64{}, Queued: len(s.queue), LastError: s.lastErr}
	for k, v := range s.failed {
		st.Failed[k] = v
	}
	return st
}
