package bfd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// UDP is the kernel Conn: UDP sockets on port 3784 for IPv4 and IPv6
// that report each datagram's TTL/hop limit and destination, and one
// connected socket per session bound to a source port in 49152-65535.
type UDP struct {
	v4   *ipv4.PacketConn
	v6   *ipv6.PacketConn
	c4   net.PacketConn
	c6   net.PacketConn
	port int // the peers' port (Port)
	in   chan udpDatagram
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

type udpDatagram struct {
	b    []byte
	meta Meta
}

// ListenUDP opens the receivers on port (Port) for the
// families in use; an IPv6 receiver that cannot open (no IPv6) is
// skipped when v4 opened.
func ListenUDP(port int) (*UDP, error) { return ListenUDPPorts(port, port) }

// ListenUDPPorts is ListenUDP receiving on port and sending to peers'
// port peer (two Managers on one host, in tests and benchmarks).
func ListenUDPPorts(port, peer int) (*UDP, error) {
	u := &UDP{port: peer, in: make(chan udpDatagram, 256), done: make(chan struct{})}
	lc := net.ListenConfig{Control: reuseAddr}
	c4, err4 := lc.ListenPacket(context.Background(), "udp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(port)))
	if err4 == nil {
		u.c4 = c4
		u.v4 = ipv4.NewPacketConn(c4)
		if err := u.v4.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst, true); err != nil {
			c4.Close()
			return nil, fmt.Errorf("bfd listen: IP_RECVTTL: %w", err)
		}
	}
	c6, err6 := lc.ListenPacket(context.Background(), "udp6", net.JoinHostPort("::", strconv.Itoa(port)))
	if err6 == nil {
		u.c6 = c6
		u.v6 = ipv6.NewPacketConn(c6)
		if err := u.v6.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst, true); err != nil {
			u.Close()
			return nil, fmt.Errorf("bfd listen: IPV6_RECVHOPLIMIT: %w", err)
		}
	}
	if err4 != nil && err6 != nil {
		return nil, fmt.Errorf("bfd listen: %w", errors.Join(err4, err6))
	}
	if err4 != nil {
		u.c6.Close()
		return nil, fmt.Errorf("bfd listen: %w", err4)
	}
	if u.v4 != nil {
		u.wg.Add(1)
		go u.read4()
	}
	if u.v6 != nil {
		u.wg.Add(1)
		go u.read6()
	}
	return u, nil
}

func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

func (u *UDP) deliver(b []byte, meta Meta) bool {
	select {
	case u.in <- udpDatagram{b, meta}:
		return true
	case <-u.done:
		return false
	}
}

func (u *UDP) read4() {
	defer u.wg.Done()
	for {
		b := make([]byte, 512)
		n, cm, src, err := u.v4.ReadFrom(b)
		if err != nil {
			return
		}
		var meta Meta
		if ua, ok := src.(*net.UDPAddr); ok {
			meta.Src = ua.AddrPort()
		}
		if cm != nil {
			meta.TTL = cm.TTL
			meta.Dst, _ = netip.AddrFromSlice(cm.Dst)
			meta.Dst = meta.Dst.Unmap()
		}
		if !u.deliver(b[:n], meta) {
			return
		}
	}
}

func (u *UDP) read6() {
	defer u.wg.Done()
	for {
		b := make([]byte, 512)
		n, cm, src, err := u.v6.ReadFrom(b)
		if err != nil {
			return
		}
		var meta Meta
		if ua, ok := src.(*net.UDPAddr); ok {
			meta.Src = ua.AddrPort()
		}
		if cm != nil {
			meta.TTL = cm.HopLimit
			meta.Dst, _ = netip.AddrFromSlice(cm.Dst)
		}
		if !u.deliver(b[:n], meta) {
			return
		}
	}
}

// Read returns the next datagram of either family.
func (u *UDP) Read(b []byte) (int, Meta, error) {
	select {
	case d := <-u.in:
		return copy(b, d.b), d.meta, nil
	case <-u.done:
		return 0, Meta{}, net.ErrClosed
	}
}

// Close closes the receivers.
func (u *UDP) Close() error {
	u.once.Do(func() {
		close(u.done)
		if u.c4 != nil {
			u.c4.Close()
		}
		if u.c6 != nil {
			u.c6.Close()
		}
	})
	u.wg.Wait()
	return nil
}

type udpSender struct {
	c *net.UDPConn
}

// Dial opens a session's sender: a UDP socket bound to src (or the
// wildcard) and a free port in 49152-65535 (RFC 5881 4), connected to
// dst port u's port, TTL/hop limit ttl.
func (u *UDP) Dial(src, dst netip.Addr, ttl int) (Sender, error) {
	network := "udp4"
	if dst.Is6() && !dst.Is4In6() {
		network = "udp6"
	}
	if !src.IsValid() {
		if network == "udp4" {
			src = netip.IPv4Unspecified()
		} else {
			src = netip.IPv6Unspecified()
		}
	}
	raddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst.Unmap(), uint16(u.port)))
	var last error
	for range 64 {
		port := 49152 + rand.IntN(65536-49152)
		c, err := net.DialUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, uint16(port))), raddr)
		if err != nil {
			last = err
			if errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			return nil, fmt.Errorf("bfd dial %s: %w", dst, err)
		}
		if network == "udp4" {
			err = ipv4.NewConn(c).SetTTL(ttl)
		} else {
			err = ipv6.NewConn(c).SetHopLimit(ttl)
		}
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("bfd dial %s: ttl %d: %w", dst, ttl, err)
		}
		return udpSender{c}, nil
	}
	return nil, fmt.Errorf("bfd dial %s: no free source port: %w", dst, last)
}

func (s udpSender) Send(b []byte) error {
	_, err := s.c.Write(b)
	return err
}

func (s udpSender) Close() error { return s.c.Close() }
