//go:build linux

package carp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// PacketConn is the Linux [Conn]: an AF_PACKET socket on the interface
// that sends whole frames (as ucarp writes them through pcap) and receives
// IPv4 protocol-112 frames not sent from our own source address (ucarp's
// BPF rule "proto 112 and src host not SRCIP"). Unless noMcast, a UDP
// socket joined to the multicast group is held open, as ucarp does, so that
// the interface (and IGMP-snooping switches) deliver the group.
type PacketConn struct {
	c     *packet.Conn
	group *net.UDPConn
}

var _ Conn = (*PacketConn)(nil)

// Listen opens a PacketConn on ifname for adverts from anyone but src to
// group.
func Listen(ifname string, src, group netip.Addr, noMcast bool) (*PacketConn, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("carp: listen: %w", err)
	}
	prog, err := bpf.Assemble(filterProgram(src))
	if err != nil {
		return nil, fmt.Errorf("carp: listen: assemble filter: %w", err)
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_IP, &packet.Config{Filter: prog})
	if err != nil {
		return nil, fmt.Errorf("carp: listen on %s: %w", ifname, err)
	}
	pc := &PacketConn{c: c}
	if !noMcast {
		g, err := net.ListenMulticastUDP("udp4", ifi, &net.UDPAddr{IP: group.AsSlice()})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("carp: join %s on %s: %w", group, ifname, err)
		}
		pc.group = g
	}
	return pc, nil
}

// filterProgram accepts IPv4 protocol 112 from any source but src.
func filterProgram(src netip.Addr) []bpf.Instruction {
	s := src.As4()
	own := uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: EtherTypeIPv4, SkipTrue: 5},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: Proto, SkipTrue: 3},
		bpf.LoadAbsolute{Off: 26, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: own, SkipTrue: 1},
		bpf.RetConstant{Val: 0x40000},
		bpf.RetConstant{Val: 0},
	}
}

// ReadFrame reads one frame.
func (p *PacketConn) ReadFrame(b []byte) (int, error) {
	n, _, err := p.c.ReadFrom(b)
	return n, err
}

// WriteFrame sends one whole Ethernet frame.
func (p *PacketConn) WriteFrame(b []byte) error {
	if len(b) < 14 {
		return errors.New("carp: write: frame too short")
	}
	_, err := p.c.WriteTo(b, &packet.Addr{HardwareAddr: net.HardwareAddr(b[0:6])})
	return err
}

// Close closes both sockets.
func (p *PacketConn) Close() error {
	err := p.c.Close()
	if p.group != nil {
		err = errors.Join(err, p.group.Close())
	}
	return err
}
