package vrrp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lvsd/lvsd/vrrp/packet"
)

// Fakes at the kernel boundary: a channel-based segment of fake Conns, an
// AddrManager that keeps addresses in a map, an Announcer that counts.

type sentPkt struct {
	at       time.Time
	src, dst netip.Addr
	payload  []byte
	prio     uint8
}

// hub is one Ethernet segment: a multicast write reaches every other conn,
// a unicast write the conn with that address.
type hub struct {
	mu    sync.Mutex
	conns []*fakeConn
	log   []sentPkt
	// push: the nodes' conns are PushConns (as vrrpnet.Sub): the sender's
	// goroutine delivers into the instance, which runs no reader.
	push bool
}

func newHub() *hub { return &hub{} }

type rxPkt struct {
	b    []byte
	meta RecvMeta
}

type fakeConn struct {
	h      *hub
	addr   netip.Addr
	ttl    atomic.Int32 // TTL of our outgoing packets (255 by default)
	cut    atomic.Bool  // drop everything we send (crashed or partitioned node)
	in     chan rxPkt
	closed chan struct{}
	once   sync.Once
	// pmu serialises the push calls and guards pushFn (set by Push).
	pmu    sync.Mutex
	pushFn func([]byte, RecvMeta)
}

// pushConn is a fakeConn that pushes (PushConn); a plain fakeConn is read
// with ReadFrom.
type pushConn struct{ *fakeConn }

var _ PushConn = pushConn{}

func (c pushConn) Push(fn func([]byte, RecvMeta)) bool {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	select {
	case <-c.closed:
		return false
	default:
	}
	for {
		select {
		case p := <-c.in:
			fn(p.b, p.meta)
		default:
			c.pushFn = fn
			return true
		}
	}
}

func (c pushConn) Close() error {
	c.pmu.Lock()
	c.pushFn = nil
	c.pmu.Unlock()
	return c.fakeConn.Close()
}

func (h *hub) conn(addr netip.Addr) *fakeConn {
	c := &fakeConn{h: h, addr: addr, in: make(chan rxPkt, 256), closed: make(chan struct{})}
	c.ttl.Store(255)
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	return c
}

func (c *fakeConn) WriteTo(payload []byte, dst netip.Addr) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	if c.cut.Load() {
		return nil
	}
	b := append([]byte(nil), payload...)
	var prio uint8
	if len(b) > 2 {
		prio = b[2]
	}
	c.h.mu.Lock()
	c.h.log = append(c.h.log, sentPkt{at: time.Now(), src: c.addr, dst: dst, payload: b, prio: prio})
	conns := append([]*fakeConn(nil), c.h.conns...)
	c.h.mu.Unlock()
	for _, o := range conns {
		if o == c || !(dst.IsMulticast() || dst == o.addr) {
			continue
		}
		o.deliver(b, RecvMeta{Src: c.addr, Dst: dst, TTL: int(c.ttl.Load()), IfIndex: 1})
	}
	return nil
}

func (c *fakeConn) deliver(b []byte, meta RecvMeta) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.pushFn != nil {
		c.pushFn(b, meta)
		return
	}
	select {
	case <-c.closed:
	case c.in <- rxPkt{b: b, meta: meta}:
	default: // queue full: lost, as on a real wire
	}
}

func (c *fakeConn) ReadFrom(b []byte) (int, RecvMeta, error) {
	select {
	case <-c.closed:
		return 0, RecvMeta{}, net.ErrClosed
	case p := <-c.in:
		return copy(b, p.b), p.meta, nil
	}
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// sends returns what src sent, in order.
func (h *hub) sends(src netip.Addr) []sentPkt {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []sentPkt
	for _, p := range h.log {
		if p.src == src {
			out = append(out, p)
		}
	}
	return out
}

func (h *hub) lastSend(src netip.Addr) sentPkt {
	s := h.sends(src)
	if len(s) == 0 {
		return sentPkt{}
	}
	return s[len(s)-1]
}

type addrCall struct {
	at   time.Time
	op   string
	vips []VIP
}

type fakeAddrs struct {
	mu        sync.Mutex
	installed map[netip.Prefix]bool
	calls     []addrCall
	routes    map[netip.Prefix]bool
	rules     map[Rule]bool
	failAdd   error
}

func newFakeAddrs() *fakeAddrs {
	return &fakeAddrs{installed: map[netip.Prefix]bool{}, routes: map[netip.Prefix]bool{}, rules: map[Rule]bool{}}
}

func (f *fakeAddrs) AddVIPs(ctx context.Context, vips []VIP) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{time.Now(), "add", append([]VIP(nil), vips...)})
	if f.failAdd != nil {
		return f.failAdd
	}
	for _, v := range vips {
		f.installed[v.Prefix] = true
	}
	return nil
}

func (f *fakeAddrs) DelVIPs(ctx context.Context, vips []VIP) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{time.Now(), "del", append([]VIP(nil), vips...)})
	for _, v := range vips {
		delete(f.installed, v.Prefix)
	}
	return nil
}

func (f *fakeAddrs) MissingVIPs(ctx context.Context, vips []VIP) ([]VIP, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []VIP
	for _, v := range vips {
		if !f.installed[v.Prefix] {
			missing = append(missing, v)
		}
	}
	return missing, nil
}

func (f *fakeAddrs) AddRoutes(ctx context.Context, routes []Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{at: time.Now(), op: "add_routes"})
	for _, r := range routes {
		f.routes[r.Dst] = true
	}
	return nil
}

func (f *fakeAddrs) DelRoutes(ctx context.Context, routes []Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{at: time.Now(), op: "del_routes"})
	for _, r := range routes {
		delete(f.routes, r.Dst)
	}
	return nil
}

func (f *fakeAddrs) AddRules(ctx context.Context, rules []Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{at: time.Now(), op: "add_rules"})
	for _, r := range rules {
		f.rules[r] = true
	}
	return nil
}

func (f *fakeAddrs) DelRules(ctx context.Context, rules []Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, addrCall{at: time.Now(), op: "del_rules"})
	for _, r := range rules {
		delete(f.rules, r)
	}
	return nil
}

// removeByHand deletes an address as an operator would.
func (f *fakeAddrs) removeByHand(p netip.Prefix) {
	f.mu.Lock()
	delete(f.installed, p)
	f.mu.Unlock()
}

func (f *fakeAddrs) has(p netip.Prefix) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.installed[p]
}

func (f *fakeAddrs) ops(op string) []addrCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []addrCall
	for _, c := range f.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

type fakeAnn struct {
	mu    sync.Mutex
	times []time.Time
	addrs [][]netip.Addr
}

func (f *fakeAnn) Announce(addrs []netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	f.addrs = append(f.addrs, append([]netip.Addr(nil), addrs...))
	return nil
}

// countIn counts announcements in [from, to].
func (f *fakeAnn) countIn(from, to time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.times {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// node is one running instance with its fakes.
type node struct {
	inst   *Instance
	conn   *fakeConn
	addrs  *fakeAddrs
	ann    *fakeAnn
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	trans []Transition
	lower int
}

var (
	vip     = netip.MustParsePrefix("10.99.0.100/24")
	nodeIP  = func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 99, 0, byte(i)}) }
	baseCfg = func(i int, prio uint8) Config {
		return Config{
			Name: "VI_1", VRID: 51, Interface: "eth0", Priority: prio, SrcAddr: nodeIP(i),
			AuthType: packet.AuthPass, AuthPass: "s3cr3t",
			VIPs: []VIP{{Prefix: vip}},
		}
	}
)

func startNode(t *testing.T, h *hub, cfg Config) *node {
	t.Helper()
	n := newNode(t, h, cfg)
	n.run()
	return n
}

// newNode builds a node without running it.
func newNode(t *testing.T, h *hub, cfg Config) *node {
	t.Helper()
	n := &node{conn: h.conn(cfg.SrcAddr), addrs: newFakeAddrs(), ann: &fakeAnn{}, done: make(chan error, 1)}
	var conn Conn = n.conn
	if h.push {
		conn = pushConn{n.conn}
	}
	inst, err := New(cfg, conn, n.addrs, n.ann, Options{
		Logger: testLogger(t),
		OnTransition: func(tr Transition) {
			n.mu.Lock()
			n.trans = append(n.trans, tr)
			n.mu.Unlock()
		},
		OnMasterRxLowerPri: func(string, netip.Addr, uint8) {
			n.mu.Lock()
			n.lower++
			n.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n.inst = inst
	return n
}

func (n *node) run() {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.done <- n.inst.Run(ctx) }()
}

func (n *node) stop(t *testing.T) {
	t.Helper()
	n.cancel()
	if err := <-n.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func (n *node) transitions() []Transition {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Transition(nil), n.trans...)
}

// becameMaster returns the time of the last transition to MASTER.
func (n *node) becameMaster(t *testing.T) time.Time {
	t.Helper()
	tr := n.transitions()
	for k := len(tr) - 1; k >= 0; k-- {
		if tr[k].To == StateMaster {
			return tr[k].Time
		}
	}
	t.Fatalf("never became master: %+v", tr)
	return time.Time{}
}

var errFake = errors.New("fake failure")

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
