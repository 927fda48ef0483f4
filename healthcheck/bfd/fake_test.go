package bfd

import (
	"net"
	"net/netip"
	"sync"
)

// hub is an in-memory network of fake Conns keyed by address.
type hub struct {
	mu    sync.Mutex
	nodes map[netip.Addr]*fakeConn
	cut   map[[2]netip.Addr]bool // src,dst pairs whose packets are lost
	ttl   int                    // overrides the sent TTL when non-zero
}

func newHub() *hub {
	return &hub{nodes: map[netip.Addr]*fakeConn{}, cut: map[[2]netip.Addr]bool{}}
}

type fakeConn struct {
	h     *hub
	addr  netip.Addr
	in    chan udpDatagram
	done  chan struct{}
	once  sync.Once
	ports uint16
}

func (h *hub) conn(addr string) *fakeConn {
	a := netip.MustParseAddr(addr)
	c := &fakeConn{h: h, addr: a, in: make(chan udpDatagram, 64), done: make(chan struct{}), ports: 49152}
	h.mu.Lock()
	h.nodes[a] = c
	h.mu.Unlock()
	return c
}

func (h *hub) setCut(a, b string, cut bool) {
	h.mu.Lock()
	h.cut[[2]netip.Addr{netip.MustParseAddr(a), netip.MustParseAddr(b)}] = cut
	h.mu.Unlock()
}

func (c *fakeConn) Read(b []byte) (int, Meta, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.meta, nil
	case <-c.done:
		return 0, Meta{}, net.ErrClosed
	}
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

func (c *fakeConn) Dial(src, dst netip.Addr, ttl int) (Sender, error) {
	if !src.IsValid() {
		src = c.addr
	}
	c.ports++
	return &fakeSender{c: c, src: netip.AddrPortFrom(src, c.ports), dst: dst, ttl: ttl}, nil
}

type fakeSender struct {
	c   *fakeConn
	src netip.AddrPort
	dst netip.Addr
	ttl int
}

func (s *fakeSender) Send(b []byte) error {
	h := s.c.h
	h.mu.Lock()
	to := h.nodes[s.dst]
	lost := h.cut[[2]netip.Addr{s.src.Addr(), s.dst}]
	ttl := s.ttl
	if h.ttl != 0 {
		ttl = h.ttl
	}
	h.mu.Unlock()
	if to == nil || lost {
		return nil
	}
	d := udpDatagram{b: append([]byte(nil), b...), meta: Meta{Src: s.src, Dst: s.dst, TTL: ttl}}
	select {
	case to.in <- d:
	case <-to.done:
	default: // queue full: lost
	}
	return nil
}

func (s *fakeSender) Close() error { return nil }
