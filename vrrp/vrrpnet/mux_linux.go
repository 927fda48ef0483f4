package vrrpnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Endpoint is one instance's transport: a Conn of its own, or a share of
// a socket opened by a Registry.
type Endpoint interface {
	WriteTo(payload []byte, dst netip.Addr) error
	ReadFrom(b []byte) (int, Meta, error)
	Close() error
	LocalAddr() netip.Addr
}

var (
	_ Endpoint = (*Conn)(nil)
	_ Endpoint = (*Sub)(nil)
)

// Registry shares one raw socket per (interface, address family) among the
// instances on that interface, as keepalived's socket pool does: every
// advert is received once and handed to the instance of its VRID, instead of
// once per instance. Adverts for a VRID nobody registered are counted
// (Unknown) and dropped. An instance whose adverts are sent from another
// interface than they are received on (use_vmac with unicast peers) gets a
// Conn of its own.
//
// A Registry is safe for concurrent use.
type Registry struct {
	mu   sync.Mutex
	muxs map[muxKey]*mux // guarded by mu
	// unknownFn is SetUnknownHandler's function (nil: none).
	unknownFn atomic.Pointer[UnknownFunc]
}

// UnknownFunc is told of an advert for a VRID no instance registered on
// the interface (keepalived's log_unknown_vrids). It runs on the socket's
// reader and must not block.
type UnknownFunc func(ifname string, ipv6 bool, vrid uint8, src netip.Addr)

// SetUnknownHandler makes every advert for an unregistered VRID call fn
// (nil: none; such adverts are counted in any case, see Unknown).
func (r *Registry) SetUnknownHandler(fn UnknownFunc) {
	if fn == nil {
		r.unknownFn.Store(nil)
		return
	}
	r.unknownFn.Store(&fn)
}

type muxKey struct {
	ifname string
	v6     bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{muxs: map[muxKey]*mux{}} }

// rxQueue is the number of received adverts that may wait for one
// instance reading with ReadFrom; more are dropped and counted
// (Sub.Overflows). Each queued buffer holds an Ethernet-MTU advert and grows
// for a larger (fragmented) one. The buffers are allocated when first
// needed: a Sub that pushes (Sub.Push) uses none once it pushes.
const (
	rxQueue = 4
	rxBufSz = 1500
)

// Open returns the endpoint of the instance with the given VRID.
func (r *Registry) Open(cfg Config, vrid uint8) (Endpoint, error) {
	if cfg.SendInterface != "" && cfg.SendInterface != cfg.Interface || cfg.AH {
		return Dial(cfg)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := muxKey{cfg.Interface, cfg.IPv6}
	m := r.muxs[key]
	if m == nil {
		// the shared socket joins the group when a multicast instance
		// registers
		c, err := Dial(Config{Interface: cfg.Interface, IPv6: cfg.IPv6, Src: cfg.Src, Unicast: true})
		if err != nil {
			return nil, err
		}
		m = &mux{r: r, key: key, conn: c}
		r.muxs[key] = m
		go m.readLoop()
	}
	if m.subs[vrid] != nil {
		return nil, fmt.Errorf("vrrpnet: VRID %d is already in use on %s", vrid, cfg.Interface)
	}
	var group netip.Addr
	if !cfg.Unicast {
		g, err := cfg.group()
		if err == nil && m.joined[g] == 0 {
			err = m.conn.join(cfg.Interface, g)
		}
		if err != nil {
			m.release()
			return nil, err
		}
		if m.joined == nil {
			m.joined = map[netip.Addr]int{}
		}
		m.joined[g]++
		group = g
	}
	src := cfg.Src
	if !src.IsValid() {
		src = m.conn.src
	}
	if src.Is6() != cfg.IPv6 || src.Is4In6() {
		m.release()
		return nil, fmt.Errorf("vrrpnet: source %s does not match the address family", src)
	}
	if cfg.RcvBuf > 0 {
		if err := m.conn.setRcvBuf(m.rcvBuf + cfg.RcvBuf); err != nil {
			m.release()
			return nil, err
		}
		m.rcvBuf += cfg.RcvBuf
	}
	s := &Sub{m: m, vrid: vrid, src: src, group: group, rcvBuf: cfg.RcvBuf, snd: newSender(m.conn.rc, cfg.IPv6, src, m.conn.sendIf, cfg.TTL),
		free: make(chan *rxBuf, rxQueue), ready: make(chan *rxBuf, rxQueue), done: make(chan struct{})}
	m.subs[vrid] = s
	m.n++
	return s, nil
}

// Unknown returns the number of adverts received on the interface for a VRID
// no instance registered (another group on the segment).
func (r *Registry) Unknown(ifname string, ipv6 bool) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.muxs[muxKey{ifname, ipv6}]; m != nil {
		return m.unknown.Load()
	}
	return 0
}

// Socket describes one shared socket of a Registry.
type Socket struct {
	Interface string
	IPv6      bool
	// VRIDs are the VRIDs registered on the socket, in order.
	VRIDs []uint8
	// Unknown counts the adverts received for a VRID none of them has
	// (too short to carry one included) since the socket was opened.
	Unknown uint64
}

// Sockets lists the open shared sockets by interface, IPv4 first.
func (r *Registry) Sockets() []Socket {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Socket, 0, len(r.muxs))
	for k, m := range r.muxs {
		s := Socket{Interface: k.ifname, IPv6: k.v6, Unknown: m.unknown.Load()}
		for vrid, sub := range m.subs {
			if sub != nil {
				s.VRIDs = append(s.VRIDs, uint8(vrid))
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Socket) int {
		if c := strings.Compare(a.Interface, b.Interface); c != 0 {
			return c
		}
		if a.IPv6 == b.IPv6 {
			return 0
		}
		if b.IPv6 {
			return -1
		}
		return 1
	})
	return out
}

// mux is one shared socket. subs, n and joined are guarded by r.mu; the
// reader reads subs under r.mu too (a short lookup per packet).
type mux struct {
	r       *Registry
	key     muxKey
	conn    *Conn
	subs    [256]*Sub
	n       int
	joined  map[netip.Addr]int // multicast groups joined: their number of Subs
	rcvBuf  int                // sum of the Subs' Config.RcvBuf
	unknown atomic.Uint64
}

// release closes the socket when no instance uses it; r.mu is held.
func (m *mux) release() {
	if m.n > 0 {
		return
	}
	delete(m.r.muxs, m.key)
	m.conn.Close()
}

type rxBuf struct {
	b    []byte
	n    int
	meta Meta
}

func (m *mux) readLoop() {
	var buf [maxPacket]byte
	for {
		n, meta, err := m.conn.ReadFrom(buf[:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // a transient error: do not spin
			continue
		}
		if n < 2 {
			m.unknown.Add(1) // too short to name a VRID: nobody's
			continue
		}
		m.r.mu.Lock()
		s := m.subs[buf[1]]
		m.r.mu.Unlock()
		if s == nil {
			m.unknown.Add(1)
			if fn := m.r.unknownFn.Load(); fn != nil {
				(*fn)(m.key.ifname, m.key.v6, buf[1], meta.Src)
			}
			continue
		}
		s.deliver(buf[:n], meta)
	}
}

// Sub is one instance's share of a Registry socket.
type Sub struct {
	m      *mux
	vrid   uint8
	src    netip.Addr
	group  netip.Addr // the multicast group joined for it; invalid: unicast
	rcvBuf int        // its Config.RcvBuf
	snd    *sender

	// hmu guards push and nbuf, and orders the reader's deliveries
	// against Push and Close.
	hmu  sync.Mutex
	push func([]byte, Meta) // set by Push; nil after Close
	nbuf int                // rxBufs allocated (at most rxQueue)

	free, ready chan *rxBuf
	done        chan struct{}
	closeOnce   sync.Once
	overflows   atomic.Uint64
}

// deliver hands one packet to the instance: to its Push function on the
// reader's goroutine, else into the queue ReadFrom reads.
func (s *Sub) deliver(p []byte, meta Meta) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	if s.push != nil {
		s.push(p, meta)
		return
	}
	var b *rxBuf
	select {
	case <-s.done:
		return // closed while this packet was on its way
	case b = <-s.free:
	default:
		if s.nbuf == rxQueue {
			s.overflows.Add(1) // the instance does not keep up
			return
		}
		s.nbuf++
		b = &rxBuf{b: make([]byte, rxBufSz)}
	}
	if len(p) > len(b.b) {
		b.b = make([]byte, len(p)) // rare: an advert above the MTU
	}
	b.n = copy(b.b, p)
	b.meta = meta
	s.ready <- b // never blocks: at most rxQueue buffers exist
}

// Push makes the socket's reader call fn for every packet of this VRID
// from now on, on the reader's goroutine, instead of queueing it for
// ReadFrom; packets already queued are passed to fn first. Calls of fn are
// never concurrent, and none runs after Close returned. fn must not block
// (it delays every instance on the interface) and must not keep p. It
// returns false after Close.
func (s *Sub) Push(fn func(p []byte, meta Meta)) bool {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	select {
	case <-s.done:
		return false
	default:
	}
	for {
		select {
		case b := <-s.ready:
			fn(b.b[:b.n], b.meta)
		default:
			s.push = fn
			return true
		}
	}
}

// ReadFrom returns the next advert for this VRID.
func (s *Sub) ReadFrom(b []byte) (int, Meta, error) {
	select {
	case rb := <-s.ready:
		n, meta := copy(b, rb.b[:rb.n]), rb.meta
		s.free <- rb
		return n, meta, nil
	case <-s.done:
		return 0, Meta{}, fmt.Errorf("vrrpnet: receive: %w", net.ErrClosed)
	}
}

// WriteTo sends one advert from this instance's source address.
func (s *Sub) WriteTo(payload []byte, dst netip.Addr) error { return s.snd.writeTo(payload, dst) }

// LocalAddr is the instance's source address.
func (s *Sub) LocalAddr() netip.Addr { return s.src }

// Overflows counts adverts dropped because the instance did not read them
// in time.
func (s *Sub) Overflows() uint64 { return s.overflows.Load() }

// Close releases the VRID; the last Close of an interface closes its socket.
func (s *Sub) Close() error {
	s.closeOnce.Do(func() {
		s.hmu.Lock()
		s.push = nil
		close(s.done)
		s.hmu.Unlock()
		r := s.m.r
		r.mu.Lock()
		defer r.mu.Unlock()
		s.m.subs[s.vrid] = nil
		s.m.n--
		if s.rcvBuf > 0 {
			s.m.rcvBuf -= s.rcvBuf
			if s.m.n > 0 && s.m.rcvBuf > 0 {
				_ = s.m.conn.setRcvBuf(s.m.rcvBuf)
			}
		}
		if g := s.group; g.IsValid() {
			if s.m.joined[g]--; s.m.joined[g] == 0 {
				delete(s.m.joined, g)
				if s.m.n > 0 {
					_ = s.m.conn.leave(g)
				}
			}
		}
		s.m.release()
	})
	return nil
}

// join joins a multicast group (the VRRP one, or mcast_dst_ip's) on the
// receiving interface.
func (c *Conn) join(ifname string, group netip.Addr) error {
	if err := c.membership(group, true); err != nil {
		return fmt.Errorf("vrrpnet: join %s on %s: %w", group, ifname, err)
	}
	return nil
}

// setRcvBuf sets SO_RCVBUF (the kernel doubles it, capped by
// net.core.rmem_max).
func (c *Conn) setRcvBuf(n int) error {
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("vrrpnet: set SO_RCVBUF %d: %w", n, err)
	}
	return nil
}

// RcvBuf returns the socket's SO_RCVBUF as the kernel reports it (twice
// what was set).
func (c *Conn) RcvBuf() (int, error) {
	var (
		v    int
		serr error
	)
	err := c.rc.Control(func(fd uintptr) {
		v, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	if err == nil {
		err = serr
	}
	return v, err
}

// leave drops a group join added.
func (c *Conn) leave(group netip.Addr) error {
	if err := c.membership(group, false); err != nil {
		return fmt.Errorf("vrrpnet: leave %s: %w", group, err)
	}
	return nil
}

func (c *Conn) membership(group netip.Addr, add bool) error {
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		if c.v6 {
			opt := unix.IPV6_JOIN_GROUP
			if !add {
				opt = unix.IPV6_LEAVE_GROUP
			}
			mreq := &unix.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(c.recvIf)}
			serr = unix.SetsockoptIPv6Mreq(int(fd), unix.IPPROTO_IPV6, opt, mreq)
		} else {
			opt := unix.IP_ADD_MEMBERSHIP
			if !add {
				opt = unix.IP_DROP_MEMBERSHIP
			}
			mreqn := &unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(c.recvIf)}
			serr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, opt, mreqn)
		}
	})
	if err == nil {
		err = serr
	}
	return err
}
