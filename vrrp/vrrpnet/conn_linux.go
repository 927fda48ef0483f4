package vrrpnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Protocol is the IP protocol number of VRRP.
const Protocol = 112

// ProtocolAH is the IP protocol number of IPsec AH, which carries VRRPv2
// adverts with keepalived's auth_type AH.
const ProtocolAH = 51

// Well-known VRRP multicast groups.
var (
	Group4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	Group6 = netip.MustParseAddr("ff02::12")
)

// tos is the IPv4 TOS / IPv6 traffic class of the adverts (CS6, network
// control), as keepalived sends them.
const tos = 0xc0

// Config describes one VRRP transport endpoint.
type Config struct {
	// Interface receives the adverts (the instance's `interface`).
	Interface string
	// SendInterface sends them; empty means Interface. With use_vmac it is
	// the macvlan: then the socket is not bound to a device, receives only
	// what arrived on Interface (checked per packet) and sends through
	// SendInterface.
	SendInterface string
	// IPv6 selects the address family.
	IPv6 bool
	// Src is the source address (mcast_src_ip / unicast_src_ip). Zero means
	// the primary IPv4 address of Interface, or the link-local address of
	// SendInterface (else Interface) for IPv6.
	Src netip.Addr
	// Unicast leaves the multicast group alone: adverts go to peers.
	Unicast bool
	// TTL, when not 0, is the TTL / hop limit of the adverts sent
	// (keepalived's unicast_ttl); 0 sends with 255.
	TTL int
	// AH selects keepalived's auth_type AH (IPv4 only): the socket is a raw
	// IP protocol 51 socket with IP_HDRINCL, WriteTo sends whole IPv4
	// datagrams (header included, as packet.AHAuth.SealAH builds them) and
	// ReadFrom returns whole IPv4 datagrams, since the AH ICV covers the
	// IP header. An AH endpoint is never shared (Registry.Open dials).
	AH bool
	// Group is the multicast group joined on Interface (keepalived's
	// mcast_dst_ip, vrrp_mcast_group4/6); zero means Group4 / Group6.
	Group netip.Addr
	// RcvBuf is the instance's share of the socket's receive buffer
	// (keepalived's kernel_rx_buf_size, vrrp_rx_bufs_policy): the shares
	// of the instances on a socket are summed into SO_RCVBUF. 0: none
	// (the kernel's default, unless another instance asks).
	RcvBuf int
}

// group returns the multicast group of cfg, checked against its family.
func (cfg *Config) group() (netip.Addr, error) {
	g := cfg.Group
	if !g.IsValid() {
		if cfg.IPv6 {
			return Group6, nil
		}
		return Group4, nil
	}
	if !g.IsMulticast() || g.Is6() != cfg.IPv6 || g.Is4In6() {
		return netip.Addr{}, fmt.Errorf("vrrpnet: %s is not a multicast group of the address family", g)
	}
	return g, nil
}

// Meta is what arrived with a packet.
type Meta struct {
	Src, Dst netip.Addr
	TTL      int // TTL (IPv4) or hop limit (IPv6)
	IfIndex  int // arrival interface
}

// Conn is a raw protocol-112 socket for one instance. See the package
// documentation for the concurrency contract.
type Conn struct {
	v6       bool
	src      netip.Addr
	ttl      int // Config.TTL
	recvIf   int // index of Config.Interface
	sendIf   int // index of the sending interface
	filterIf bool
	ah       bool // Config.AH: protocol 51, whole datagrams
	pc       net.PacketConn
	rc       syscall.RawConn

	snd *sender

	// rmu guards the receive state below.
	rmu  sync.Mutex
	rmsg unix.Msghdr
	riov unix.Iovec
	rsa6 unix.RawSockaddrInet6
	roob []byte
	rbuf []byte // IPv4: header + payload; the payload is copied out
	rn   int
	rres error
	read func(fd uintptr) bool
}

// Dial opens the socket described by cfg.
func Dial(cfg Config) (*Conn, error) {
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrpnet: interface %q: %w", cfg.Interface, err)
	}
	sendIfi := ifi
	if cfg.SendInterface != "" && cfg.SendInterface != cfg.Interface {
		if sendIfi, err = net.InterfaceByName(cfg.SendInterface); err != nil {
			return nil, fmt.Errorf("vrrpnet: interface %q: %w", cfg.SendInterface, err)
		}
	}
	src := cfg.Src
	if !src.IsValid() {
		if cfg.IPv6 {
			src, err = linkLocal(sendIfi)
			if err != nil && sendIfi != ifi {
				src, err = linkLocal(ifi)
			}
		} else {
			src, err = primary4(ifi)
		}
		if err != nil {
			return nil, err
		}
	}
	if src.Is6() != cfg.IPv6 || src.Is4In6() {
		return nil, fmt.Errorf("vrrpnet: source %s does not match the address family", src)
	}
	if cfg.AH && cfg.IPv6 {
		return nil, errors.New("vrrpnet: AH is IPv4 only")
	}
	group, err := cfg.group()
	if err != nil {
		return nil, err
	}
	c := &Conn{v6: cfg.IPv6, src: src, recvIf: ifi.Index, sendIf: sendIfi.Index, filterIf: sendIfi != ifi, ttl: cfg.TTL, ah: cfg.AH}
	if err := c.open(ifi.Name); err != nil {
		return nil, err
	}
	if !cfg.Unicast {
		if err := c.join(ifi.Name, group); err != nil {
			c.Close()
			return nil, err
		}
	}
	if cfg.RcvBuf > 0 {
		if err := c.setRcvBuf(cfg.RcvBuf); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.prepare()
	return c, nil
}

func (c *Conn) open(ifname string) (err error) {
	family := unix.AF_INET
	if c.v6 {
		family = unix.AF_INET6
	}
	proto := Protocol
	if c.ah {
		proto = ProtocolAH
	}
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return fmt.Errorf("vrrpnet: socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "vrrp")
	defer f.Close() // FilePacketConn dups the descriptor
	set := func(what string, level, opt, v int) {
		if err == nil {
			if e := unix.SetsockoptInt(fd, level, opt, v); e != nil {
				err = fmt.Errorf("vrrpnet: set %s: %w", what, e)
			}
		}
	}
	if !c.filterIf {
		if e := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); e != nil {
			return fmt.Errorf("vrrpnet: bind to device %s: %w", ifname, e)
		}
	}
	if c.v6 {
		set("IPV6_UNICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, 255)
		set("IPV6_MULTICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255)
		set("IPV6_MULTICAST_LOOP", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0)
		set("IPV6_MULTICAST_IF", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, c.sendIf)
		set("IPV6_TCLASS", unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tos)
		set("IPV6_RECVPKTINFO", unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		set("IPV6_RECVHOPLIMIT", unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1)
	} else {
		set("IP_TTL", unix.IPPROTO_IP, unix.IP_TTL, 255)
		set("IP_MULTICAST_TTL", unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 255)
		set("IP_MULTICAST_LOOP", unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0)
		set("IP_TOS", unix.IPPROTO_IP, unix.IP_TOS, tos)
		set("IP_MTU_DISCOVER", unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT)
		set("IP_PKTINFO", unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		if c.ah {
			// the ICV covers the IP header: lvsd writes it (TOS, ID,
			// TTL, source) and the kernel only fills in the checksum
			set("IP_HDRINCL", unix.IPPROTO_IP, unix.IP_HDRINCL, 1)
		}
		if err == nil {
			mreqn := &unix.IPMreqn{Ifindex: int32(c.sendIf)}
			if e := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreqn); e != nil {
				err = fmt.Errorf("vrrpnet: set IP_MULTICAST_IF: %w", e)
			}
		}
	}
	if err != nil {
		return err
	}
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return fmt.Errorf("vrrpnet: file conn: %w", err)
	}
	sc, ok := pc.(syscall.Conn)
	if !ok {
		pc.Close()
		return errors.New("vrrpnet: packet conn has no raw access")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		pc.Close()
		return fmt.Errorf("vrrpnet: raw conn: %w", err)
	}
	c.pc, c.rc = pc, rc
	return nil
}

// maxPacket bounds one received IPv4 packet (header + VRRP). A VRRP message
// is at most 8 + 255*16 + 8 bytes; anything longer is truncated and left for
// the decoder to reject.
const maxPacket = 60 + 8 + 255*16 + 8

// prepare builds the message headers and control buffers once.
func (c *Conn) prepare() {
	ttl := c.ttl
	if c.ah {
		ttl = 0 // in the datagram's own header
	}
	c.snd = newSender(c.rc, c.v6, c.src, c.sendIf, ttl)
	if c.v6 {
		c.roob = make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo)+unix.CmsgSpace(4)+64)
		c.rmsg.Name = (*byte)(unsafe.Pointer(&c.rsa6))
	} else {
		c.roob = make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo)+64)
		c.rbuf = make([]byte, maxPacket)
	}
	c.rmsg.Iov = &c.riov
	c.rmsg.SetIovlen(1)
	c.rmsg.Control = &c.roob[0]
	c.read = c.doRead
}

// LocalAddr is the source address of the adverts (needed by the VRRPv3
// pseudo-header checksum).
func (c *Conn) LocalAddr() netip.Addr { return c.src }

// WriteTo sends one VRRP payload to dst (the multicast group or a peer);
// with Config.AH, one whole IPv4 datagram.
func (c *Conn) WriteTo(payload []byte, dst netip.Addr) error { return c.snd.writeTo(payload, dst) }

// sender is the send half of a socket for one source address: the message
// header, destination and IP_PKTINFO / IPV6_PKTINFO control message are
// built once. Several senders may share one socket.
type sender struct {
	rc     syscall.RawConn
	v6     bool
	sendIf int
	// mu guards the fields below.
	mu    sync.Mutex
	msg   unix.Msghdr
	iov   unix.Iovec
	sa4   unix.RawSockaddrInet4
	sa6   unix.RawSockaddrInet6
	oob   []byte
	res   error
	write func(fd uintptr) bool
}

func newSender(rc syscall.RawConn, v6 bool, src netip.Addr, sendIf, ttl int) *sender {
	s := &sender{rc: rc, v6: v6, sendIf: sendIf}
	if v6 {
		s.oob = make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.oob[0]))
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
		pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&s.oob[unix.CmsgLen(0)]))
		pi.Addr = src.As16()
		pi.Ifindex = uint32(sendIf)
		s.sa6.Family = unix.AF_INET6
		s.msg.Name = (*byte)(unsafe.Pointer(&s.sa6))
		s.msg.Namelen = unix.SizeofSockaddrInet6
	} else {
		s.oob = make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.oob[0]))
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
		pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&s.oob[unix.CmsgLen(0)]))
		pi.Spec_dst = src.As4()
		pi.Ifindex = int32(sendIf)
		s.sa4.Family = unix.AF_INET
		s.msg.Name = (*byte)(unsafe.Pointer(&s.sa4))
		s.msg.Namelen = unix.SizeofSockaddrInet4
	}
	if ttl > 0 {
		// a per-packet TTL / hop limit: the socket may be shared with
		// instances sending with 255
		n := len(s.oob)
		s.oob = append(s.oob, make([]byte, unix.CmsgSpace(4))...)
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.oob[n]))
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_TTL
		if v6 {
			h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT
		}
		h.SetLen(unix.CmsgLen(4))
		*(*int32)(unsafe.Pointer(&s.oob[n+unix.CmsgLen(0)])) = int32(ttl)
	}
	s.msg.Iov = &s.iov
	s.msg.SetIovlen(1)
	s.msg.Control = &s.oob[0]
	s.msg.SetControllen(len(s.oob))
	s.write = s.doWrite
	return s
}

func (s *sender) writeTo(payload []byte, dst netip.Addr) error {
	if len(payload) == 0 {
		return errors.New("vrrpnet: empty payload")
	}
	if dst.Is6() != s.v6 || dst.Is4In6() {
		return fmt.Errorf("vrrpnet: destination %s does not match the address family", dst)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v6 {
		s.sa6.Addr = dst.As16()
		s.sa6.Scope_id = 0
		if dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast() || dst.IsInterfaceLocalMulticast() {
			s.sa6.Scope_id = uint32(s.sendIf)
		}
	} else {
		s.sa4.Addr = dst.As4()
	}
	s.iov.Base = &payload[0]
	s.iov.SetLen(len(payload))
	s.res = nil
	err := s.rc.Write(s.write)
	s.iov.Base = nil // do not pin the caller's buffer
	if err != nil {
		return fmt.Errorf("vrrpnet: send to %s: %w", dst, err)
	}
	if s.res != nil {
		return fmt.Errorf("vrrpnet: send to %s: %w", dst, s.res)
	}
	return nil
}

func (s *sender) doWrite(fd uintptr) bool {
	_, _, e := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.msg)), 0)
	if e == unix.EAGAIN {
		return false
	}
	if e != 0 {
		s.res = e
	}
	return true
}

func (c *Conn) doRead(fd uintptr) bool {
	n, _, e := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.rmsg)), 0)
	if e == unix.EAGAIN {
		return false
	}
	if e != 0 {
		c.rres = e
		return true
	}
	c.rn = int(n)
	return true
}

// ReadFrom receives one VRRP payload into b and returns its length and
// metadata; with Config.AH, the whole IPv4 datagram (header included). A
// payload longer than b is truncated. Packets that arrived on
// another interface than Config.Interface (possible only with a distinct
// SendInterface) are skipped.
func (c *Conn) ReadFrom(b []byte) (int, Meta, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		n, m, err := c.readOne(b)
		if err != nil {
			return 0, Meta{}, err
		}
		if c.filterIf && m.IfIndex != c.recvIf {
			continue
		}
		return n, m, nil
	}
}

func (c *Conn) readOne(b []byte) (int, Meta, error) {
	var m Meta
	if c.v6 {
		if len(b) == 0 {
			return 0, m, errors.New("vrrpnet: empty buffer")
		}
		c.riov.Base = &b[0]
		c.riov.SetLen(len(b))
		c.rmsg.Namelen = unix.SizeofSockaddrInet6
	} else {
		c.riov.Base = &c.rbuf[0]
		c.riov.SetLen(len(c.rbuf))
		c.rmsg.Namelen = 0
	}
	c.rmsg.SetControllen(len(c.roob))
	c.rres, c.rn = nil, 0
	err := c.rc.Read(c.read)
	c.riov.Base = nil // do not pin the caller's buffer
	if err != nil {
		return 0, m, fmt.Errorf("vrrpnet: receive: %w", err)
	}
	if c.rres != nil {
		return 0, m, fmt.Errorf("vrrpnet: receive: %w", c.rres)
	}
	oob := c.roob[:c.rmsg.Controllen]
	var n int
	if c.v6 {
		n = min(c.rn, len(b))
		m.Src = netip.AddrFrom16(c.rsa6.Addr)
		parseCmsg6(oob, &m)
	} else {
		hl, ok := parseIPv4Header(c.rbuf[:c.rn], &m)
		if !ok {
			return 0, m, errShort
		}
		if c.ah {
			hl = 0
		}
		n = copy(b, c.rbuf[hl:c.rn])
		parseCmsg4(oob, &m)
	}
	return n, m, nil
}

// parseIPv4Header fills the source, destination and TTL of m from the IPv4
// header at the start of p and returns the header length; ok is false when
// p does not start with a whole IPv4 header.
func parseIPv4Header(p []byte, m *Meta) (hl int, ok bool) {
	if len(p) < 20 || p[0]>>4 != 4 {
		return 0, false
	}
	hl = int(p[0]&0x0f) * 4
	if hl < 20 || hl > len(p) {
		return 0, false
	}
	m.TTL = int(p[8])
	m.Src = netip.AddrFrom4([4]byte(p[12:16]))
	m.Dst = netip.AddrFrom4([4]byte(p[16:20]))
	return hl, true
}

// errShort reports a packet too short to carry an IPv4 header: the kernel
// never delivers one, but the check keeps the parser total.
var errShort = errors.New("vrrpnet: receive: truncated IPv4 header")

func parseCmsg4(oob []byte, m *Meta) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			return
		}
		data := oob[unix.CmsgLen(0):l]
		if h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo {
			pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			m.IfIndex = int(pi.Ifindex)
		}
		sp := unix.CmsgSpace(l - unix.CmsgLen(0))
		if sp > len(oob) {
			return
		}
		oob = oob[sp:]
	}
}

func parseCmsg6(oob []byte, m *Meta) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			return
		}
		data := oob[unix.CmsgLen(0):l]
		if h.Level == unix.IPPROTO_IPV6 {
			switch {
			case h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
				pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
				m.Dst = netip.AddrFrom16(pi.Addr)
				m.IfIndex = int(pi.Ifindex)
			case h.Type == unix.IPV6_HOPLIMIT && len(data) >= 4:
				m.TTL = int(*(*int32)(unsafe.Pointer(&data[0])))
			}
		}
		sp := unix.CmsgSpace(l - unix.CmsgLen(0))
		if sp > len(oob) {
			return
		}
		oob = oob[sp:]
	}
}

// Close closes the socket; a blocked ReadFrom returns an error wrapping
// net.ErrClosed.
func (c *Conn) Close() error {
	if err := c.pc.Close(); err != nil {
		return fmt.Errorf("vrrpnet: close: %w", err)
	}
	return nil
}

// SourceAddr is the default source address of adverts on the named
// interface: its primary IPv4 address, or its IPv6 link-local address.
func SourceAddr(ifname string, ipv6 bool) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("vrrpnet: interface %q: %w", ifname, err)
	}
	if ipv6 {
		return linkLocal(ifi)
	}
	return primary4(ifi)
}

// primary4 is the first IPv4 address of the interface (the kernel lists
// the primary address before its secondaries).
func primary4(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("vrrpnet: addresses of %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil {
				return netip.AddrFrom4([4]byte(ip4)), nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("vrrpnet: %s has no IPv4 address to send from", ifi.Name)
}

// linkLocal is the first IPv6 link-local address of the interface.
func linkLocal(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("vrrpnet: addresses of %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() == nil {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.IsLinkLocalUnicast() {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("vrrpnet: %s has no IPv6 link-local address to send from", ifi.Name)
}
