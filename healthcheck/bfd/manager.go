package bfd

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Port is the single-hop BFD control port (RFC 5881 4).
const Port = 3784

// Meta is what the kernel tells about a received datagram.
type Meta struct {
	Src netip.AddrPort
	Dst netip.Addr // zero when unknown
	TTL int        // received TTL or hop limit, 0 when unknown
}

// Conn is the network boundary of a Manager: one receiver of datagrams
// to port 3784 (both families) and one sender per session.
type Conn interface {
	// Read blocks for the next datagram; it returns an error once Close
	// was called.
	Read(b []byte) (int, Meta, error)
	// Dial returns a sender from src (zero: any address of dst's
	// family), source port 49152-65535, to dst port 3784, sending with
	// TTL/hop limit ttl.
	Dial(src, dst netip.Addr, ttl int) (Sender, error)
	Close() error
}

// Sender sends one session's packets.
type Sender interface {
	Send(b []byte) error
	Close() error
}

// Peer is one configured session (keepalived's bfd_instance).
type Peer struct {
	Name     string
	Neighbor netip.Addr
	Source   netip.Addr // zero: chosen by the kernel
	Config
	TTL     int // sent TTL/hop limit (default 255)
	MaxHops int // received TTL must be >= TTL-MaxHops; -1: not checked
}

// key is what makes a session the same across a reload.
func (p Peer) key() string {
	return fmt.Sprintf("%s|%s|%d", p.Neighbor, p.Source, p.TTL)
}

// Event is a session state change.
type Event struct {
	Name   string
	State  State
	Diag   Diag
	At     time.Time
	LastRx time.Time     // the last packet received before the change
	Detect time.Duration // the detection time in force before the change
}

// Status is one session's snapshot for lvsd status and /metrics.
type Status struct {
	Name        string
	Neighbor    netip.Addr
	State       State
	RemoteState State
	Diag        Diag
	LocalDiscr  uint32
	RemoteDiscr uint32
	TxInterval  time.Duration
	DetectTime  time.Duration
	Sent, Recv  uint64
	Changes     uint64
}

type entry struct {
	peer   Peer
	s      *Session
	tx     Sender
	due    time.Time
	index  int // in the heap, -1 when not queued
	sent   uint64
	recv   uint64
	lastSt State
	detect time.Duration // DetectTime before the last event
}

type queue []*entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	return q[i].due.Before(q[j].due)
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *queue) Push(x any) { e := x.(*entry); e.index = len(*q); *q = append(*q, e) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.index = -1
	return e
}

// Manager runs BFD sessions over a Conn. Its methods are safe for
// concurrent use.
type Manager struct {
	conn     Conn
	log      *slog.Logger
	onChange func(Event)

	mu      sync.Mutex
	byName  map[string]*entry
	byDiscr map[uint32]*entry
	q       queue
	nextID  uint32
	events  []Event
	wake    chan struct{}
	drops   [NumDrops]atomic.Uint64
	lastLog [NumDrops]time.Time
}

// NewManager returns a Manager reading and sending on conn; onChange (may
// be nil) is called, outside the Manager's lock, for every state change.
func NewManager(conn Conn, onChange func(Event), log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{conn: conn, log: log, onChange: onChange,
		byName: map[string]*entry{}, byDiscr: map[uint32]*entry{},
		wake: make(chan struct{}, 1), nextID: uint32(time.Now().UnixNano())&0xffff | 1}
}

// Set makes the sessions those of peers: a session whose neighbor,
// source and ttl are unchanged keeps its state (timers and multiplier
// change through a Poll sequence); the others are created or closed.
func (m *Manager) Set(peers []Peer) error {
	now := time.Now()
	m.mu.Lock()
	want := map[string]Peer{}
	for _, p := range peers {
		if p.TTL == 0 {
			p.TTL = 255
		}
		want[p.Name] = p
	}
	var errs []error
	for name, e := range m.byName {
		p, ok := want[name]
		if ok && p.key() == e.peer.key() {
			continue
		}
		m.remove(e)
	}
	for _, p := range peers {
		p = want[p.Name]
		if e, ok := m.byName[p.Name]; ok {
			if e.peer.Config != p.Config {
				e.s.Reconfigure(p.Config, now)
				m.fix(e)
			}
			e.peer = p
			continue
		}
		tx, err := m.conn.Dial(p.Source, p.Neighbor, p.TTL)
		if err != nil {
			errs = append(errs, fmt.Errorf("bfd %s: %w", p.Name, err))
			continue
		}
		id := m.allocID()
		e := &entry{peer: p, s: NewSession(p.Config, id, now), tx: tx, index: -1, lastSt: Down}
		m.byName[p.Name] = e
		m.byDiscr[id] = e
		m.fix(e)
	}
	m.mu.Unlock()
	m.kick()
	return errors.Join(errs...)
}

func (m *Manager) allocID() uint32 {
	for {
		m.nextID++
		if m.nextID == 0 {
			continue
		}
		if _, used := m.byDiscr[m.nextID]; !used {
			return m.nextID
		}
	}
}

func (m *Manager) remove(e *entry) {
	if e.index >= 0 {
		heap.Remove(&m.q, e.index)
	}
	delete(m.byName, e.peer.Name)
	delete(m.byDiscr, e.s.LocalDiscr)
	e.tx.Close()
}

// fix requeues e at its session's next event.
func (m *Manager) fix(e *entry) {
	e.due = e.s.Next()
	switch {
	case e.due.IsZero() && e.index >= 0:
		heap.Remove(&m.q, e.index)
	case e.due.IsZero():
	case e.index >= 0:
		heap.Fix(&m.q, e.index)
	default:
		heap.Push(&m.q, e)
	}
}

func (m *Manager) kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// send transmits e's packet now; a send error is counted as a sent
// packet that was lost (the detection timer on the far side decides).
func (m *Manager) send(e *entry, now time.Time) {
	var buf [HeaderLen]byte
	b := e.s.Packet().Append(buf[:0])
	e.s.Sent(now)
	e.sent++
	if err := e.tx.Send(b); err != nil {
		m.log.Debug("bfd send", "session", e.peer.Name, "err", err)
	}
}

// noteState queues an Event when e's state changed.
func (m *Manager) noteState(e *entry, now time.Time) {
	if e.s.State == e.lastSt {
		return
	}
	e.lastSt = e.s.State
	m.events = append(m.events, Event{Name: e.peer.Name, State: e.s.State, Diag: e.s.Diag, At: now,
		LastRx: e.s.lastRx, Detect: e.detect})
}

func (m *Manager) flush() {
	m.mu.Lock()
	ev := m.events
	m.events = nil
	m.mu.Unlock()
	for _, e := range ev {
		m.log.Info("bfd session state", "session", e.Name, "state", e.State.String(), "diag", e.Diag.String())
		if m.onChange != nil {
			m.onChange(e)
		}
	}
}

// Run reads packets and runs the timers until ctx ends; it closes the
// Conn and the sessions' senders on return.
func (m *Manager) Run(ctx context.Context) error {
	rerr := make(chan error, 1)
	go func() { rerr <- m.readLoop() }()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		m.mu.Lock()
		for len(m.q) > 0 && !m.q[0].due.After(now) {
			e := m.q[0]
			e.detect = e.s.DetectTime()
			e.s.Expire(now)
			if at := e.s.SendAt(); !at.IsZero() && !at.After(now) {
				m.send(e, now)
			}
			m.noteState(e, now)
			m.fix(e)
		}
		wait := time.Hour
		if len(m.q) > 0 {
			wait = m.q[0].due.Sub(now)
		}
		m.mu.Unlock()
		m.flush()
		t.Reset(wait)
		select {
		case <-ctx.Done():
			m.conn.Close()
			<-rerr
			m.mu.Lock()
			for _, e := range m.byName {
				e.tx.Close()
			}
			m.mu.Unlock()
			return nil
		case err := <-rerr:
			return fmt.Errorf("bfd read: %w", err)
		case <-m.wake:
		case <-t.C:
		}
	}
}

func (m *Manager) readLoop() error {
	buf := make([]byte, 512)
	for {
		n, meta, err := m.conn.Read(buf)
		if err != nil {
			return err
		}
		m.Input(buf[:n], meta, time.Now())
		m.flush()
	}
}

// Input processes one received datagram at now and reports the drop
// reason (DropNone: accepted). Run calls it for every datagram read.
func (m *Manager) Input(b []byte, meta Meta, now time.Time) Drop {
	p, drop := Decode(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	var e *entry
	if drop == DropNone {
		e, drop = m.lookup(p, meta)
	}
	if drop == DropNone && e.peer.MaxHops >= 0 && meta.TTL != 0 && meta.TTL+e.peer.MaxHops < e.peer.TTL {
		drop = DropTTL
	}
	if drop == DropNone {
		e.detect = e.s.DetectTime()
		drop = e.s.Receive(p, now)
		e.recv++
		if at := e.s.SendAt(); !at.IsZero() && !at.After(now) {
			// A Final or a state change goes out without waiting for
			// the transmit timer (RFC 5880 6.8.7).
			m.send(e, now)
		}
		m.noteState(e, now)
		m.fix(e)
		m.kick()
	}
	if drop != DropNone {
		m.drops[drop].Add(1)
		if now.Sub(m.lastLog[drop]) >= 10*time.Second {
			m.lastLog[drop] = now
			m.log.Warn("bfd packet dropped", "reason", drop.String(), "from", meta.Src.String(),
				"count", m.drops[drop].Load())
		}
	}
	return drop
}

// lookup finds the session of p: by your discriminator when set, else by
// the source (and destination, when the session has a source_ip) address
// (RFC 5880 6.8.6).
func (m *Manager) lookup(p Packet, meta Meta) (*entry, Drop) {
	src := meta.Src.Addr().Unmap()
	if p.YourDiscr != 0 {
		e, ok := m.byDiscr[p.YourDiscr]
		if !ok || e.peer.Neighbor != src {
			return nil, DropDiscr
		}
		return e, DropNone
	}
	var any *entry
	for _, e := range m.byName {
		if e.peer.Neighbor != src {
			continue
		}
		if e.peer.Source.IsValid() {
			if meta.Dst.IsValid() && e.peer.Source == meta.Dst.Unmap() {
				return e, DropNone
			}
			continue
		}
		any = e
	}
	if any == nil {
		return nil, DropNoSession
	}
	return any, DropNone
}

// State returns the named session's state (ok false: no such session).
func (m *Manager) State(name string) (State, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byName[name]
	if !ok {
		return Down, false
	}
	return e.s.State, true
}

// Sessions returns a snapshot of every session, in no particular order.
func (m *Manager) Sessions() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.byName))
	for _, e := range m.byName {
		s := e.s
		out = append(out, Status{Name: e.peer.Name, Neighbor: e.peer.Neighbor, State: s.State,
			RemoteState: s.RemoteState, Diag: s.Diag, LocalDiscr: s.LocalDiscr, RemoteDiscr: s.RemoteDiscr,
			TxInterval: s.TxInterval(), DetectTime: s.DetectTime(), Sent: e.sent, Recv: e.recv, Changes: s.Changes})
	}
	return out
}

// Drops returns the count of dropped packets per reason.
func (m *Manager) Drops() [NumDrops]uint64 {
	var out [NumDrops]uint64
	for i := range out {
		out[i] = m.drops[i].Load()
	}
	return out
}
