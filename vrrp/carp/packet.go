package carp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// Wire constants of CARP as ucarp 1.5.2 sends it.
const (
	Version       = 2    // CARP version
	TypeAdvert    = 1    // CARP_ADVERTISEMENT
	AuthLen       = 7    // counter + SHA1 HMAC, in 32-bit words
	Proto         = 112  // IP protocol number (shared with VRRP)
	TTL           = 255  // CARP_DFLTTL: sent, and required on receipt
	TOS           = 0x10 // IPTOS_LOWDELAY, as ucarp sets it
	IPFlagDF      = 0x4000
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806

	HeaderLen = 36                  // CARP header with counter and HMAC
	FrameLen  = 14 + 20 + HeaderLen // Ethernet + IPv4 (no options) + CARP
	GARPLen   = 14 + 28             // Ethernet + ARP

	ipv4Min = 20 // IPv4 header without options
	macLen  = 6  // Ethernet address length
	hmacLen = 20 // SHA1 digest length
)

// Group is ucarp's default multicast address (--mcastip), 224.0.0.18.
var Group = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// Broadcast is the Ethernet destination of ucarp's --nomcast adverts and
// of its gratuitous ARPs.
var Broadcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// VirtualMAC returns 00:00:5e:00:00:<vhid>, the source MAC ucarp puts on
// its advertisements (never on its gratuitous ARPs, which carry the real
// MAC).
func VirtualMAC(vhid uint8) [6]byte { return [6]byte{0, 0, 0x5e, 0, 0, vhid} }

// MulticastMAC returns the Ethernet group address of an IPv4 multicast
// address (01:00:5e + low 23 bits).
func MulticastMAC(group netip.Addr) [6]byte {
	g := group.As4()
	return [6]byte{0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]}
}

// Advert is one CARP advertisement frame: the Ethernet and IPv4 fields
// ucarp sets, and the CARP header.
type Advert struct {
	DstMAC, SrcMAC [6]byte

	TOS      uint8
	ID       uint16 // IP identification (ucarp: random per advert)
	FragOff  uint16 // flags and fragment offset (ucarp: DF)
	TTL      uint8
	Src, Dst netip.Addr

	Version uint8
	Type    uint8
	VHID    uint8
	AdvSkew uint8
	AuthLen uint8
	Demote  uint8 // carp_pad1: OpenBSD's demotion; ucarp sends 0 and ignores it
	AdvBase uint8
	Counter uint64
	MD      [hmacLen]byte
}

// NewAdvert returns the advertisement ucarp would send for these values,
// with the Ethernet destination of group (or broadcast when noMcast), the
// CARP virtual MAC as source, TOS 0x10, DF and TTL 255. The counter and
// the HMAC are left for the caller ([Key.Sign]).
func NewAdvert(vhid, advbase, advskew uint8, src, group netip.Addr, noMcast bool) Advert {
	a := Advert{
		SrcMAC:  VirtualMAC(vhid),
		TOS:     TOS,
		FragOff: IPFlagDF,
		TTL:     TTL,
		Src:     src,
		Dst:     group,
		Version: Version,
		Type:    TypeAdvert,
		VHID:    vhid,
		AdvSkew: advskew,
		AuthLen: AuthLen,
		AdvBase: advbase,
	}
	if noMcast {
		a.DstMAC = Broadcast
	} else {
		a.DstMAC = MulticastMAC(group)
	}
	return a
}

// ErrShortBuffer is returned by the Marshal functions for a buffer too
// small for the frame.
var ErrShortBuffer = errors.New("carp: buffer too short")

// errNotIPv4 is returned by Marshal for a non-IPv4 source or destination.
var errNotIPv4 = errors.New("carp: source and destination must be IPv4")

// MarshalFrame writes the frame into b and returns its length
// ([FrameLen]). The IPv4 and CARP checksums are computed; every other field
// is written as it is in a.
func (a *Advert) MarshalFrame(b []byte) (int, error) {
	if len(b) < FrameLen {
		return 0, ErrShortBuffer
	}
	if !a.Src.Is4() || !a.Dst.Is4() {
		return 0, errNotIPv4
	}
	b = b[:FrameLen]
	copy(b[0:6], a.DstMAC[:])
	copy(b[6:12], a.SrcMAC[:])
	binary.BigEndian.PutUint16(b[12:], EtherTypeIPv4)
	ip := b[14:34]
	ip[0] = 0x45
	ip[1] = a.TOS
	binary.BigEndian.PutUint16(ip[2:], ipv4Min+HeaderLen)
	binary.BigEndian.PutUint16(ip[4:], a.ID)
	binary.BigEndian.PutUint16(ip[6:], a.FragOff)
	ip[8] = a.TTL
	ip[9] = Proto
	ip[10], ip[11] = 0, 0
	s, d := a.Src.As4(), a.Dst.As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	c := b[34:]
	c[0] = a.Version<<4 | a.Type&0x0f
	c[1] = a.VHID
	c[2] = a.AdvSkew
	c[3] = a.AuthLen
	c[4] = a.Demote
	c[5] = a.AdvBase
	c[6], c[7] = 0, 0
	binary.BigEndian.PutUint64(c[8:], a.Counter)
	copy(c[16:36], a.MD[:])
	binary.BigEndian.PutUint16(c[6:], checksum(c))
	return FrameLen, nil
}

// DecodeFrame decodes an Ethernet frame into a and returns DropNone, or the
// reason the frame is not a well-formed CARP advertisement. Trailing bytes
// after the IP packet (Ethernet padding) and after the 36-byte CARP header
// are ignored, as ucarp ignores them; IP options are skipped. A decoded
// frame re-encodes ([Advert.MarshalFrame]) to the same bytes when it had no
// IP options and no trailing bytes.
func DecodeFrame(b []byte, a *Advert) DropReason {
	if len(b) < 14+ipv4Min {
		return DropShortFrame
	}
	if binary.BigEndian.Uint16(b[12:]) != EtherTypeIPv4 || b[14]>>4 != 4 {
		return DropNotIPv4
	}
	copy(a.DstMAC[:], b[0:6])
	copy(a.SrcMAC[:], b[6:12])
	ip := b[14:]
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < ipv4Min || total < ihl || total > len(ip) {
		return DropBadIPHeader
	}
	if ip[9] != Proto {
		return DropNotCARP
	}
	fo := binary.BigEndian.Uint16(ip[6:])
	if fo&0x3fff != 0 {
		return DropFragment
	}
	if total-ihl < HeaderLen {
		return DropShortFrame
	}
	if checksum(ip[:ihl]) != 0 {
		return DropBadIPChecksum
	}
	a.TOS = ip[1]
	a.ID = binary.BigEndian.Uint16(ip[4:])
	a.FragOff = fo
	a.TTL = ip[8]
	a.Src = netip.AddrFrom4([4]byte(ip[12:16]))
	a.Dst = netip.AddrFrom4([4]byte(ip[16:20]))
	c := ip[ihl : ihl+HeaderLen]
	if checksum(c) != 0 {
		return DropBadChecksum
	}
	a.Version = c[0] >> 4
	a.Type = c[0] & 0x0f
	a.VHID = c[1]
	a.AdvSkew = c[2]
	a.AuthLen = c[3]
	a.Demote = c[4]
	a.AdvBase = c[5]
	a.Counter = binary.BigEndian.Uint64(c[8:])
	copy(a.MD[:], c[16:36])
	if a.Version != Version {
		return DropBadVersion
	}
	if a.Type != TypeAdvert {
		return DropBadType
	}
	if a.AuthLen != AuthLen {
		return DropBadAuthLen
	}
	return DropNone
}

// MarshalGARP writes ucarp's gratuitous ARP for vip into b: an ARP request
// to ff:ff:ff:ff:ff:ff whose sender and target are both (mac, vip). It
// returns [GARPLen].
func MarshalGARP(b []byte, mac net.HardwareAddr, vip netip.Addr) (int, error) {
	if len(b) < GARPLen {
		return 0, ErrShortBuffer
	}
	if len(mac) != macLen || !vip.Is4() {
		return 0, errors.New("carp: gratuitous ARP needs a 6-byte MAC and an IPv4 address")
	}
	b = b[:GARPLen]
	copy(b[0:6], Broadcast[:])
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], EtherTypeARP)
	arp := b[14:]
	binary.BigEndian.PutUint16(arp[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(arp[2:], 0x0800) // IPv4
	arp[4], arp[5] = macLen, 4
	binary.BigEndian.PutUint16(arp[6:], 1) // request
	v := vip.As4()
	copy(arp[8:14], mac)
	copy(arp[14:18], v[:])
	copy(arp[18:24], mac)
	copy(arp[24:28], v[:])
	return GARPLen, nil
}

// checksum is the Internet checksum of b (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
