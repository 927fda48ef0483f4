package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"time"
)

// Protocol constants.
const (
	// IPProtocol is the IP protocol number of VRRP (and CARP).
	IPProtocol = 112
	// IPProtocolAH is the IP protocol number of IPsec AH (RFC 2338 auth type 2).
	IPProtocolAH = 51
	// TTL is the IPv4 TTL / IPv6 hop limit every advertisement is sent with,
	// and the only value a multicast receiver accepts.
	TTL = 255

	// Version2 is VRRPv2 (RFC 3768), IPv4 only, whole-second intervals.
	Version2 = 2
	// Version3 is VRRPv3 (RFC 5798, RFC 9568), IPv4 and IPv6, centisecond intervals.
	Version3 = 3

	// TypeAdvertisement is the only VRRP message type.
	TypeAdvertisement = 1

	// PriorityStop is the priority a master sends when it stops (RFC 3768 5.3.4).
	PriorityStop = 0
	// PriorityOwner is the priority of the address owner.
	PriorityOwner = 255

	// HeaderLen is the length of the fixed VRRP header.
	HeaderLen = 8
	// AuthDataLen is the length of the VRRPv2 authentication data trailer.
	AuthDataLen = 8
	// MaxAddrs is the largest address count the one-byte count field carries.
	MaxAddrs = 255
	// MaxV2Interval is the largest VRRPv2 interval, in seconds.
	MaxV2Interval = 255
	// MaxV3Interval is the largest VRRPv3 interval, in centiseconds (12 bits).
	MaxV3Interval = 4095
	// MaxLen is the length of the largest VRRP message (v3, 255 IPv6 addresses).
	MaxLen = HeaderLen + MaxAddrs*16
)

// Multicast groups of VRRP (RFC 5798 5.1.1.2, 5.1.2.2).
var (
	Group4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	Group6 = netip.AddrFrom16([16]byte{0xff, 0x02, 15: 0x12})
)

// AuthType is the VRRPv2 authentication type (RFC 2338, RFC 3768 5.3.6).
type AuthType uint8

// Authentication types.
const (
	AuthNone AuthType = 0 // no authentication; 8 zero bytes still present
	AuthPass AuthType = 1 // simple text password, NUL padded to 8 bytes
	AuthAH   AuthType = 2 // IPsec AH (RFC 2338): HMAC-MD5-96 in an AH header, see [AHAuth]
)

func (t AuthType) String() string {
	switch t {
	case AuthNone:
		return "none"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return "auth(" + itoa(int(t)) + ")"
}

// ChecksumVariant says what a VRRP checksum covers.
type ChecksumVariant uint8

// Checksum variants.
const (
	// ChecksumPseudoHeader covers the IP pseudo-header and the message: the
	// VRRPv3 variant of RFC 5798, keepalived's and FRR's default over IPv4,
	// and the only variant over IPv6.
	ChecksumPseudoHeader ChecksumVariant = iota
	// ChecksumNoPseudoHeader covers the VRRP message only: always for
	// VRRPv2, and for VRRPv3 over IPv4 as RFC 9568, Cisco, Juniper and
	// keepalived's v3_checksum_as_v2 compute it.
	ChecksumNoPseudoHeader
)

func (v ChecksumVariant) String() string {
	switch v {
	case ChecksumPseudoHeader:
		return "pseudo-header"
	case ChecksumNoPseudoHeader:
		return "no-pseudo-header"
	}
	return "variant(" + itoa(int(v)) + ")"
}

// Advert is one VRRP advertisement.
type Advert struct {
	Version  uint8 // 2 or 3
	Type     uint8 // 1 (TypeAdvertisement)
	VRID     uint8
	Priority uint8
	// Count is the address count field as on the wire. MarshalTo writes
	// len(Addrs) and ignores it.
	Count uint8
	// AuthType and AuthData are VRRPv2 only (zero for v3).
	AuthType AuthType
	AuthData [AuthDataLen]byte
	// Interval is the advertisement interval in the version's unit:
	// whole seconds for VRRPv2, centiseconds (12 bits) for VRRPv3.
	Interval uint16
	// Checksum is the checksum field as decoded or as last encoded.
	Checksum uint16
	// Variant is what the checksum covers: the variant that verified on
	// Decode, the variant used on MarshalTo.
	Variant ChecksumVariant
	// Addrs are the virtual addresses. Decode reuses its capacity.
	Addrs []netip.Addr
}

// IntervalDuration returns the advertisement interval as a duration.
func (a *Advert) IntervalDuration() time.Duration {
	if a.Version == Version2 {
		return time.Duration(a.Interval) * time.Second
	}
	return time.Duration(a.Interval) * 10 * time.Millisecond
}

// EncodeInterval converts d to the interval field of version v: whole
// seconds (1..255) for VRRPv2, centiseconds (1..4095) for VRRPv3. It fails
// when d is not a whole number of units or is out of range.
func EncodeInterval(v uint8, d time.Duration) (uint16, error) {
	switch v {
	case Version2:
		if d%time.Second != 0 || d < time.Second || d > MaxV2Interval*time.Second {
			return 0, errors.New("packet: VRRPv2 advert interval must be 1..255 whole seconds")
		}
		return uint16(d / time.Second), nil
	case Version3:
		const cs = 10 * time.Millisecond
		if d%cs != 0 || d < cs || d > MaxV3Interval*cs {
			return 0, errors.New("packet: VRRPv3 advert interval must be 0.01..40.95 s in whole centiseconds")
		}
		return uint16(d / cs), nil
	}
	return 0, ErrVersion
}

// Encoding errors. They are static values so the send path allocates nothing.
var (
	ErrShortBuffer = errors.New("packet: buffer too short for VRRP message")
	ErrVersion     = errors.New("packet: version must be 2 or 3")
	ErrFamily      = errors.New("packet: address family mismatch (VRRPv2 is IPv4 only; all addresses of one family)")
	ErrTooMany     = errors.New("packet: more than 255 addresses")
	ErrInterval    = errors.New("packet: advert interval out of range for version")
	ErrAuth        = errors.New("packet: VRRPv3 has no authentication")
)

// Len returns the encoded length of a, or -1 if a cannot be encoded (see MarshalTo).
func (a *Advert) Len() int {
	n := len(a.Addrs)
	if n > MaxAddrs {
		return -1
	}
	switch a.Version {
	case Version2:
		return HeaderLen + 4*n + AuthDataLen
	case Version3:
		if n > 0 && a.Addrs[0].Is6() {
			return HeaderLen + 16*n
		}
		return HeaderLen + 4*n
	}
	return -1
}

// MarshalTo encodes a into b for sending from src to dst and returns the
// number of bytes written. src and dst are used only for the VRRPv3 checksum
// pseudo-header (and must be of the advert's address family); variant
// chooses the VRRPv3-over-IPv4 checksum and is ignored for VRRPv2 (message
// only) and IPv6 (pseudo-header). The Count, Checksum and Variant fields of
// a are set to what was written. Type 0 is written as TypeAdvertisement.
func (a *Advert) MarshalTo(b []byte, src, dst netip.Addr, variant ChecksumVariant) (int, error) {
	if a.Version != Version2 && a.Version != Version3 {
		return 0, ErrVersion
	}
	if len(a.Addrs) > MaxAddrs {
		return 0, ErrTooMany
	}
	is6 := src.Is6() && !src.Is4In6()
	if a.Version == Version2 && is6 {
		return 0, ErrFamily
	}
	for _, ip := range a.Addrs {
		if is6 && (!ip.Is6() || ip.Is4In6()) || !is6 && !ip.Is4() {
			return 0, ErrFamily
		}
	}
	alen := 4
	if is6 {
		alen = 16
	}
	n := HeaderLen + alen*len(a.Addrs)
	if a.Version == Version2 {
		n += AuthDataLen
		if a.Interval == 0 || a.Interval > MaxV2Interval {
			return 0, ErrInterval
		}
	} else {
		if a.Interval == 0 || a.Interval > MaxV3Interval {
			return 0, ErrInterval
		}
		if a.AuthType != AuthNone {
			return 0, ErrAuth
		}
	}
	if len(b) < n {
		return 0, ErrShortBuffer
	}
	typ := a.Type
	if typ == 0 {
		typ = TypeAdvertisement
	}
	b[0] = a.Version<<4 | typ&0x0f
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = uint8(len(a.Addrs))
	if a.Version == Version2 {
		b[4] = uint8(a.AuthType)
		b[5] = uint8(a.Interval)
	} else {
		binary.BigEndian.PutUint16(b[4:], a.Interval&0x0fff)
	}
	b[6], b[7] = 0, 0
	off := HeaderLen
	for _, ip := range a.Addrs {
		if is6 {
			s := ip.As16()
			copy(b[off:], s[:])
		} else {
			s := ip.As4()
			copy(b[off:], s[:])
		}
		off += alen
	}
	if a.Version == Version2 {
		copy(b[off:], a.AuthData[:])
	}
	a.Count = uint8(len(a.Addrs))
	a.Variant = effectiveVariant(a.Version, is6, variant)
	cs := checksum(b[:n], src, dst, a.Variant)
	binary.BigEndian.PutUint16(b[6:], cs)
	a.Checksum = cs
	return n, nil
}

// effectiveVariant returns the checksum variant a message of version v and
// family is6 uses when variant is configured.
func effectiveVariant(v uint8, is6 bool, variant ChecksumVariant) ChecksumVariant {
	switch {
	case v == Version2:
		return ChecksumNoPseudoHeader
	case is6:
		return ChecksumPseudoHeader
	}
	return variant
}

// Decode parses b, a VRRP message (the IP payload) received from src for
// dst, into a, and verifies its length and checksum. It returns DropNone when
// the message is well formed, or why it is not. It checks only the message
// itself; instance-level checks (VRID, authentication, TTL, peers) are
// [Filter.Check]'s. a.Addrs is overwritten, reusing its capacity.
func Decode(b []byte, src, dst netip.Addr, a *Advert) DropReason {
	a.Addrs = a.Addrs[:0]
	if len(b) < HeaderLen {
		return DropShortPacket
	}
	a.Version = b[0] >> 4
	a.Type = b[0] & 0x0f
	a.VRID = b[1]
	a.Priority = b[2]
	a.Count = b[3]
	a.Checksum = binary.BigEndian.Uint16(b[6:])
	a.AuthType = AuthNone
	a.AuthData = [AuthDataLen]byte{}
	is6 := src.Is6() && !src.Is4In6()
	var n, alen int
	switch a.Version {
	case Version2:
		if is6 {
			return DropBadVersion
		}
		a.AuthType = AuthType(b[4])
		a.Interval = uint16(b[5])
		alen = 4
		n = HeaderLen + 4*int(a.Count) + AuthDataLen
	case Version3:
		a.Interval = binary.BigEndian.Uint16(b[4:]) & 0x0fff
		alen = 4
		if is6 {
			alen = 16
		}
		n = HeaderLen + alen*int(a.Count)
	default:
		return DropBadVersion
	}
	if a.Type != TypeAdvertisement {
		return DropBadType
	}
	if len(b) != n {
		return DropBadLength
	}
	if a.Version == Version2 {
		copy(a.AuthData[:], b[n-AuthDataLen:n])
	}
	// Verify the checksum: a correct message sums to zero including its
	// checksum field.
	switch {
	case a.Version == Version2:
		a.Variant = ChecksumNoPseudoHeader
		if checksum(b[:n], src, dst, ChecksumNoPseudoHeader) != 0 {
			return DropBadChecksum
		}
	case is6:
		a.Variant = ChecksumPseudoHeader
		if checksum(b[:n], src, dst, ChecksumPseudoHeader) != 0 {
			return DropBadChecksum
		}
	default:
		if checksum(b[:n], src, dst, ChecksumPseudoHeader) == 0 {
			a.Variant = ChecksumPseudoHeader
		} else if checksum(b[:n], src, dst, ChecksumNoPseudoHeader) == 0 {
			a.Variant = ChecksumNoPseudoHeader
		} else {
			return DropBadChecksum
		}
	}
	if a.Interval == 0 {
		return DropBadInterval
	}
	for off := HeaderLen; off < HeaderLen+alen*int(a.Count); off += alen {
		var ip netip.Addr
		if alen == 4 {
			ip = netip.AddrFrom4([4]byte(b[off : off+4]))
		} else {
			ip = netip.AddrFrom16([16]byte(b[off : off+16]))
		}
		a.Addrs = append(a.Addrs, ip)
	}
	return DropNone
}

// AH is the fixed part of an IPsec Authentication Header (RFC 4302) as
// keepalived's RFC 2338 AH mode sends it.
type AH struct {
	NextHeader uint8
	PayloadLen uint8 // in 32-bit words, minus 2
	SPI        uint32
	Seq        uint32
}

// DecodeAH parses an AH header at the start of b (the payload of an IP
// protocol 51 packet) and returns it with the payload that follows. It
// returns DropShortPacket when b is too short for the header it announces.
// It verifies nothing: see [AHAuth.OpenAH].
func DecodeAH(b []byte) (AH, []byte, DropReason) {
	if len(b) < 12 {
		return AH{}, nil, DropShortPacket
	}
	h := AH{
		NextHeader: b[0],
		PayloadLen: b[1],
		SPI:        binary.BigEndian.Uint32(b[4:]),
		Seq:        binary.BigEndian.Uint32(b[8:]),
	}
	hl := (int(h.PayloadLen) + 2) * 4
	if hl < 12 || len(b) < hl {
		return h, nil, DropShortPacket
	}
	return h, b[hl:], DropNone
}

// checksum returns the Internet checksum (RFC 1071) of msg, with the IP
// pseudo-header of src and dst first when variant is ChecksumPseudoHeader.
// Over a message whose checksum field holds a correct checksum it returns 0.
func checksum(msg []byte, src, dst netip.Addr, variant ChecksumVariant) uint16 {
	var sum uint32
	if variant == ChecksumPseudoHeader {
		if src.Is4() || src.Is4In6() {
			s16, d16 := src.As16(), dst.As16() // As16 never panics; IPv4 sits in bytes 12..15
			s, d := s16[12:], d16[12:]
			sum += uint32(s[0])<<8 | uint32(s[1])
			sum += uint32(s[2])<<8 | uint32(s[3])
			sum += uint32(d[0])<<8 | uint32(d[1])
			sum += uint32(d[2])<<8 | uint32(d[3])
			sum += IPProtocol
			sum += uint32(len(msg))
		} else {
			s, d := src.As16(), dst.As16()
			for i := 0; i < 16; i += 2 {
				sum += uint32(s[i])<<8 | uint32(s[i+1])
				sum += uint32(d[i])<<8 | uint32(d[i+1])
			}
			l := uint32(len(msg))
			sum += l >> 16
			sum += l & 0xffff
			sum += IPProtocol
		}
	}
	i := 0
	for ; i+1 < len(msg); i += 2 {
		sum += uint32(msg[i])<<8 | uint32(msg[i+1])
	}
	if i < len(msg) {
		sum += uint32(msg[i]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// itoa formats small non-negative integers without fmt (String methods of
// enumerations stay allocation-light).
func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
