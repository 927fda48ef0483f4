package agentx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"
)

// Well-known OIDs of notifications (RFC 3416 4.2.6): every Notify starts
// with sysUpTime.0 and snmpTrapOID.0.
var (
	SysUpTime0   = OID{1, 3, 6, 1, 2, 1, 1, 3, 0}
	SnmpTrapOID0 = OID{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}
)

// ErrNotConnected is returned by Notify while no session is open.
var ErrNotConnected = errors.New("agentx: not connected to the master agent")

// DropReason says why a notification was not sent.
type DropReason int

// The drop reasons.
const (
	DropNotConnected DropReason = iota // no open session
	DropQueueFull                      // the send queue is full
	DropRefused                        // the master answered with an error, or did not answer
	DropEncode                         // a varbind did not encode
	numDropReasons
)

func (r DropReason) String() string {
	switch r {
	case DropNotConnected:
		return "not_connected"
	case DropQueueFull:
		return "queue_full"
	case DropRefused:
		return "refused"
	case DropEncode:
		return "encode"
	}
	return fmt.Sprintf("DropReason(%d)", int(r))
}

// Config is a Session's configuration.
type Config struct {
	// Dial opens a connection to the master (snmpd's agentXSocket).
	Dial func(ctx context.Context) (net.Conn, error)
	// ID and Descr identify the subagent in its Open PDU.
	ID    OID
	Descr string
	// Subtrees are registered once the session is open.
	Subtrees []OID
	// Snapshot returns the objects served, sorted by Name. It is called
	// once per request from the master.
	Snapshot func() []VarBind
	// Retry is the wait before dialling again after a session ended
	// (default 5 s); each failure to open one doubles it, up to MaxRetry
	// (default 60 s).
	Retry, MaxRetry time.Duration
	// Timeout is how long the master waits for the subagent (Open's
	// timeout, seconds, default 5), and how long the subagent waits for
	// the master's answers.
	Timeout uint8
	Logger  *slog.Logger
}

// Stats are a Session's counters.
type Stats struct {
	Connected     bool
	Sessions      uint64 // sessions opened
	Requests      uint64 // Get, GetNext, GetBulk answered
	Notifications uint64 // notifications the master accepted
	Dropped       [numDropReasons]uint64
	DecodeErrors  uint64 // PDUs from the master that did not decode
}

// Session is an AgentX subagent: Run keeps a session open with the
// master, serving Snapshot and sending notifications queued by Notify.
type Session struct {
	cfg   Config
	log   *slog.Logger
	start time.Time
	queue chan []VarBind

	mu      sync.Mutex // guards the fields below
	conn    *conn
	stats   Stats
	packets uint32
}

// NewSession returns a Session; nothing happens before Run.
func NewSession(cfg Config) *Session {
	if cfg.Retry <= 0 {
		cfg.Retry = 5 * time.Second
	}
	if cfg.MaxRetry < cfg.Retry {
		cfg.MaxRetry = max(cfg.Retry, 60*time.Second)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Snapshot == nil {
		cfg.Snapshot = func() []VarBind { return nil }
	}
	return &Session{cfg: cfg, log: cfg.Logger, start: time.Now(), queue: make(chan []VarBind, 64)}
}

// Stats returns a copy of the counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Connected = s.conn != nil
	return st
}

// Connected reports whether a session with the master is open.
func (s *Session) Connected() bool { return s.Stats().Connected }

func (s *Session) drop(r DropReason) {
	s.mu.Lock()
	s.stats.Dropped[r]++
	s.mu.Unlock()
}

// Notify queues the notification trap with its objects (sysUpTime.0 and
// snmpTrapOID.0 are added first). It never blocks: without a session, or
// with a full queue, the notification is dropped, counted, and an error
// returned.
func (s *Session) Notify(trap OID, objects []VarBind) error {
	if !s.Connected() {
		s.drop(DropNotConnected)
		return ErrNotConnected
	}
	vbs := make([]VarBind, 0, len(objects)+2)
	vbs = append(vbs, VarBind{Name: SysUpTime0, Type: TimeTicks, Value: s.uptime()},
		VarBind{Name: SnmpTrapOID0, Type: ObjectID, Value: trap})
	vbs = append(vbs, objects...)
	select {
	case s.queue <- vbs:
		return nil
	default:
		s.drop(DropQueueFull)
		return fmt.Errorf("agentx: notify %v: queue full", trap)
	}
}

func (s *Session) uptime() uint32 { return uint32(time.Since(s.start) / (10 * time.Millisecond)) }

// Run keeps a session open until ctx ends, dialling again Retry after the
// master closes, and with a doubling wait (up to MaxRetry) while it cannot
// open one. The first failure is logged as a warning, the following ones
// at debug level. At the end it closes the session (reason shutdown) and
// returns nil.
func (s *Session) Run(ctx context.Context) error {
	wait, failures := s.cfg.Retry, 0
	for {
		before := s.Stats().Sessions
		err := s.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if s.Stats().Sessions != before { // a session was open: start again from Retry
			wait, failures = s.cfg.Retry, 0
		}
		failures++
		if failures == 1 {
			s.log.Warn("agentx: no session with the master agent, retrying", "err", err, "retry", wait)
		} else {
			s.log.Debug("agentx: still no session with the master agent", "err", err, "attempts", failures, "retry", wait)
		}
		t := time.NewTimer(wait)
		wait = min(2*wait, s.cfg.MaxRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// conn is one connection to the master.
type conn struct {
	nc      net.Conn
	wmu     sync.Mutex // serialises writes
	session uint32

	mu      sync.Mutex // guards pending
	pending map[uint32]chan PDU
}

func (c *conn) write(p *PDU) error {
	b, err := Encode(p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEncode, err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("agentx: write %v: %w", p.Type, err)
	}
	return nil
}

func (s *Session) nextPacket() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packets++
	return s.packets
}

// call sends p and waits for the master's Response.
func (s *Session) call(ctx context.Context, c *conn, p *PDU) (PDU, error) {
	p.SessionID = c.session
	p.PacketID = s.nextPacket()
	ch := make(chan PDU, 1)
	c.mu.Lock()
	c.pending[p.PacketID] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, p.PacketID)
		c.mu.Unlock()
	}()
	if err := c.write(p); err != nil {
		return PDU{}, err
	}
	t := time.NewTimer(time.Duration(s.cfg.Timeout) * time.Second)
	defer t.Stop()
	select {
	case r, ok := <-ch:
		if !ok {
			return PDU{}, fmt.Errorf("agentx: %v: connection closed", p.Type)
		}
		if r.Error != ErrNone {
			return r, fmt.Errorf("agentx: %v: master answered error %d", p.Type, r.Error)
		}
		return r, nil
	case <-t.C:
		return PDU{}, fmt.Errorf("agentx: %v: no answer in %d s", p.Type, s.cfg.Timeout)
	case <-ctx.Done():
		return PDU{}, ctx.Err()
	}
}

func (s *Session) runOnce(ctx context.Context) error {
	nc, err := s.cfg.Dial(ctx)
	if err != nil {
		return fmt.Errorf("agentx: dial: %w", err)
	}
	c := &conn{nc: nc, pending: map[uint32]chan PDU{}}
	ctx, cancel := context.WithCancel(ctx)
	readDone := make(chan error, 1)
	go func() { readDone <- s.read(ctx, c) }()
	defer func() {
		cancel()
		nc.Close()
		<-readDone
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		s.mu.Unlock()
	}()

	r, err := s.call(ctx, c, &PDU{Type: TypeOpen, Timeout: s.cfg.Timeout, ID: s.cfg.ID, Descr: []byte(s.cfg.Descr)})
	if err != nil {
		return err
	}
	c.session = r.SessionID
	for _, st := range s.cfg.Subtrees {
		if _, err := s.call(ctx, c, &PDU{Type: TypeRegister, Priority: 127, Subtree: st}); err != nil {
			s.log.Warn("agentx: register refused", "subtree", st.String(), "err", err)
		}
	}
	s.mu.Lock()
	s.conn = c
	s.stats.Sessions++
	s.mu.Unlock()
	s.log.Info("agentx: session open with the master agent", "session", c.session)

	for {
		select {
		case <-ctx.Done():
			// Run's context ended: say goodbye.
			_ = c.write(&PDU{Type: TypeClose, SessionID: c.session, PacketID: s.nextPacket(), Reason: CloseShutdown})
			return ctx.Err()
		case err := <-readDone:
			readDone <- err // for the deferred wait
			return err
		case vbs := <-s.queue:
			if _, err := s.call(ctx, c, &PDU{Type: TypeNotify, VarBinds: vbs}); err != nil {
				if errors.Is(err, ErrEncode) {
					s.drop(DropEncode)
				} else {
					s.drop(DropRefused)
				}
				s.log.Warn("agentx: notification not sent", "err", err)
				continue
			}
			s.mu.Lock()
			s.stats.Notifications++
			s.mu.Unlock()
		}
	}
}

// ErrEncode wraps the errors of Encode in call.
var ErrEncode = errors.New("agentx: encode")

// read reads PDUs from the master until the connection fails, answering
// requests and handing Responses to their callers.
func (s *Session) read(ctx context.Context, c *conn) error {
	defer func() {
		c.mu.Lock()
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		c.mu.Unlock()
	}()
	br := bufio.NewReader(c.nc)
	hdr := make([]byte, HeaderLen)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			return fmt.Errorf("agentx: read: %w", err)
		}
		n, err := Length(hdr)
		if err != nil {
			return err // no way to resynchronise the stream
		}
		b := make([]byte, n)
		copy(b, hdr)
		if _, err := io.ReadFull(br, b[HeaderLen:]); err != nil {
			return fmt.Errorf("agentx: read: %w", err)
		}
		p, _, err := Decode(b)
		if err != nil {
			s.mu.Lock()
			s.stats.DecodeErrors++
			s.mu.Unlock()
			s.log.Warn("agentx: PDU from the master dropped", "err", err)
			continue
		}
		switch p.Type {
		case TypeResponse:
			c.mu.Lock()
			ch := c.pending[p.PacketID]
			delete(c.pending, p.PacketID)
			c.mu.Unlock()
			if ch != nil {
				ch <- p
			}
		case TypeClose:
			return fmt.Errorf("agentx: master closed the session (reason %d)", p.Reason)
		default:
			if err := c.write(s.answer(&p)); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// answer returns the Response to a request from the master.
func (s *Session) answer(p *PDU) *PDU {
	r := &PDU{Type: TypeResponse, SessionID: p.SessionID, TransactionID: p.TransactionID,
		PacketID: p.PacketID, SysUpTime: s.uptime()}
	if p.Context != nil {
		r.Error = ErrUnsupportedContext
		return r
	}
	switch p.Type {
	case TypeGet, TypeGetNext, TypeGetBulk:
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		r.VarBinds = Lookup(p, s.cfg.Snapshot())
	case TypeTestSet:
		r.Error = ErrNotWritable
		r.Index = 1
	case TypeCommitSet, TypeUndoSet, TypeCleanupSet, TypePing:
	default:
		r.Error = ErrProcessingError
	}
	return r
}

// Lookup answers a Get, GetNext or GetBulk request from mib (sorted by
// Name), as RFC 2741 7.2.3 says: pure, for tests and the Session.
func Lookup(p *PDU, mib []VarBind) []VarBind {
	var out []VarBind
	switch p.Type {
	case TypeGet:
		for _, sr := range p.Ranges {
			out = append(out, get(mib, sr.Start))
		}
	case TypeGetNext:
		for _, sr := range p.Ranges {
			out = append(out, next(mib, sr))
		}
	case TypeGetBulk:
		nr := min(int(p.NonRepeaters), len(p.Ranges))
		for _, sr := range p.Ranges[:nr] {
			out = append(out, next(mib, sr))
		}
		rep := slices.Clone(p.Ranges[nr:])
		for i := 0; i < int(p.MaxRepetitions) && len(rep) > 0; i++ {
			ended := true
			for j := range rep {
				vb := next(mib, rep[j])
				out = append(out, vb)
				if vb.Type != EndOfMibView {
					ended = false
					rep[j].Start, rep[j].Include = vb.Name, false
				}
			}
			if ended {
				break
			}
		}
	}
	return out
}

func get(mib []VarBind, name OID) VarBind {
	i, found := slices.BinarySearchFunc(mib, name, func(vb VarBind, o OID) int { return Compare(vb.Name, o) })
	if found {
		return mib[i]
	}
	// An instance of an object that exists under another index: noSuchInstance.
	if len(name) > 1 {
		parent := name[:len(name)-1]
		for _, vb := range mib {
			if vb.Name.HasPrefix(parent) && len(vb.Name) == len(name) {
				return VarBind{Name: name, Type: NoSuchInstance}
			}
		}
	}
	return VarBind{Name: name, Type: NoSuchObject}
}

func next(mib []VarBind, sr SearchRange) VarBind {
	i, found := slices.BinarySearchFunc(mib, sr.Start, func(vb VarBind, o OID) int { return Compare(vb.Name, o) })
	if found && !sr.Include {
		i++
	}
	if i < len(mib) && (len(sr.End) == 0 || Compare(mib[i].Name, sr.End) < 0) {
		return mib[i]
	}
	return VarBind{Name: sr.Start, Type: EndOfMibView}
}
