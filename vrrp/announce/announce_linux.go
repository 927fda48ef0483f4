package announce

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
)

// allNodes is ff02::1, the destination of unsolicited neighbour advertisements.
var allNodes = netip.MustParseAddr("ff02::1")

// Announcer announces addresses on one interface.
type Announcer struct {
	ifname string
	// open is the socket constructor (packet.Listen in production).
	open func(ifi *net.Interface) (writer, error)
	// iface looks the interface up by name (interfaceByName in production).
	iface func(name string) (*net.Interface, error)

	// mu guards conn and connIndex: the socket stays open between
	// announcements, because opening and closing an AF_PACKET socket costs
	// the kernel an RCU grace period (about 10 ms) each time, which spread a
	// burst of 5 GARPs over 60 ms and delayed the MASTER transition behind it.
	mu        sync.Mutex
	conn      writer
	connIndex int // the ifindex conn is bound to; a recreated interface gets a new socket

	// pacing (pace.go), guarded by mu
	garpGap, gnaGap time.Duration
	// group is SetPacingGroup's name ("": the interface paces alone).
	group    string
	queue    []queued
	draining bool   // a drain goroutine runs for gen
	gen      uint64 // bumped by Close: the queue is dropped
	asyncErr error  // the last error of a queued send, reported by the next Announce
}

// writer is the part of *packet.Conn used here.
type writer interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// New returns an Announcer for the interface named ifname (the VMAC with
// use_vmac). The interface need not exist yet.
func New(ifname string) *Announcer {
	return &Announcer{
		ifname: ifname,
		open: func(ifi *net.Interface) (writer, error) {
			// protocol 0: a send-only socket, nothing is queued for reading
			return packet.Listen(ifi, packet.Raw, 0, nil)
		},
		iface: interfaceByName,
	}
}

// Interface is the name of the interface announcements go out of.
func (a *Announcer) Interface() string { return a.ifname }

// Announce sends one gratuitous ARP per IPv4 address and one unsolicited
// neighbour advertisement per IPv6 address; with SetIntervals, the frames
// that may not leave yet are queued and sent later (pace.go).
func (a *Announcer) Announce(addrs []netip.Addr) error {
	if len(addrs) == 0 {
		return nil
	}
	ifi, err := a.iface(a.ifname)
	if err != nil {
		return fmt.Errorf("announce: interface %q: %w", a.ifname, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return fmt.Errorf("announce: %s has no Ethernet address", a.ifname)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	if a.asyncErr != nil {
		errs = append(errs, a.asyncErr)
		a.asyncErr = nil
	}
	now := time.Now()
	for _, addr := range addrs {
		frame, err := Frame(ifi.HardwareAddr, addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if gap, na := a.gap(addr); gap > 0 {
			at := reserve(a.slotKey(), na, gap, now)
			if at.After(now) || len(a.queue) > 0 {
				a.queue = append(a.queue, queued{ifi: ifi, frame: frame, addr: addr, at: at})
				continue
			}
		}
		if err := a.sendLocked(ifi, frame, addr); err != nil {
			errs = append(errs, err)
		}
	}
	if len(a.queue) > 0 && !a.draining {
		a.draining = true
		go a.drain(a.gen)
	}
	return errors.Join(errs...)
}

// sendLocked writes one frame, opening the socket if needed; a failed write
// closes it so that the next send gets a fresh one. a.mu is held.
func (a *Announcer) sendLocked(ifi *net.Interface, frame []byte, addr netip.Addr) error {
	if a.conn != nil && a.connIndex != ifi.Index {
		a.conn.Close()
		a.conn = nil
	}
	if a.conn == nil {
		c, err := a.open(ifi)
		if err != nil {
			return fmt.Errorf("announce: open packet socket on %s: %w", a.ifname, err)
		}
		a.conn, a.connIndex = c, ifi.Index
	}
	dst := &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])}
	if _, err := a.conn.WriteTo(frame, dst); err != nil {
		// a fresh socket next time, in case this one is the problem
		a.conn.Close()
		a.conn = nil
		return fmt.Errorf("announce: send for %s on %s: %w", addr, a.ifname, err)
	}
	return nil
}

// Close releases the socket kept between announcements. The Announcer can
// be used again afterwards (it opens a new one).
func (a *Announcer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	a.queue, a.draining = nil, false
	if a.conn == nil {
		return nil
	}
	err := a.conn.Close()
	a.conn = nil
	return err
}

// Frame builds the Ethernet frame announcing addr from mac: a gratuitous ARP
// for IPv4, an unsolicited NA for IPv6.
func Frame(mac net.HardwareAddr, addr netip.Addr) ([]byte, error) {
	addr = addr.Unmap()
	if addr.Is4() {
		return GARP(mac, addr)
	}
	if addr.Is6() {
		return UnsolicitedNA(mac, addr)
	}
	return nil, fmt.Errorf("announce: invalid address %v", addr)
}

// GARP builds keepalived's gratuitous ARP: an ARP request from mac to
// ff:ff:ff:ff:ff:ff, sender and target IP ip, target MAC ff:ff:ff:ff:ff:ff.
func GARP(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	p, err := arp.NewPacket(arp.OperationRequest, mac, ip, ethernet.Broadcast, ip)
	if err != nil {
		return nil, fmt.Errorf("announce: ARP for %s: %w", ip, err)
	}
	body, err := p.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("announce: ARP for %s: %w", ip, err)
	}
	return frame(ethernet.Broadcast, mac, ethernet.EtherTypeARP, body), nil
}

// frame prepends an Ethernet header. Unlike ethernet.Frame it does not pad
// to 60 bytes: keepalived does not either, and the NIC pads on the wire.
func frame(dst, src net.HardwareAddr, typ ethernet.EtherType, payload []byte) []byte {
	b := make([]byte, 14+len(payload))
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], uint16(typ))
	copy(b[14:], payload)
	return b
}

// UnsolicitedNA builds keepalived's unsolicited neighbour advertisement: from
// ip to ff02::1, hop limit 255, Override set, target ip, target link-layer
// address option mac.
func UnsolicitedNA(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	na := &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: ip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
	icmp, err := ndp.MarshalMessageChecksum(na, ip, allNodes)
	if err != nil {
		return nil, fmt.Errorf("announce: NA for %s: %w", ip, err)
	}
	ip6 := make([]byte, 40+len(icmp))
	ip6[0] = 0x60 // version 6, traffic class 0, flow label 0
	binary.BigEndian.PutUint16(ip6[4:6], uint16(len(icmp)))
	ip6[6] = 58  // ICMPv6
	ip6[7] = 255 // hop limit
	src, dst := ip.As16(), allNodes.As16()
	copy(ip6[8:24], src[:])
	copy(ip6[24:40], dst[:])
	copy(ip6[40:], icmp)
	return frame(net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, mac, ethernet.EtherTypeIPv6, ip6), nil
}
