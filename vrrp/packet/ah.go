package packet

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"net/netip"
)

// IPsec AH as keepalived's VRRPv2 auth_type AH sends it (RFC 2338 5.3.6.3,
// RFC 2402 with HMAC-MD5-96, RFC 2403):
//
//	IPv4 header (20 bytes, protocol 51, TOS 0xc0, TTL 255, no DF)
//	AH: next header 112, payload length 4, reserved 0,
//	    SPI = the sender's IPv4 address, sequence number, 12-byte ICV
//	VRRPv2 message with auth type 2 and 8 zero authentication bytes
//
// The ICV is HMAC-MD5 keyed with auth_pass (NUL padded to 8 bytes),
// truncated to 96 bits, over the IP header with TOS, flags/fragment offset
// and header checksum zeroed (and the TTL zeroed too for unicast peers, as
// keepalived does), the AH header with the ICV zeroed, and the VRRP message.
const (
	// IPv4HeaderLen is the length of the IPv4 header lvsd sends (no options).
	IPv4HeaderLen = 20
	// AHLen is the length of keepalived's AH header (HMAC-MD5-96).
	AHLen = 24
	// AHPayloadLen is the AH payload length field: 32-bit words minus 2.
	AHPayloadLen = AHLen/4 - 2
	// ICVLen is the length of the truncated HMAC-MD5 (96 bits).
	ICVLen = 12
	// TOS is the IPv4 TOS of every advert (CS6, network control).
	TOS = 0xc0
)

// AHFrame is what SealAH writes into the IPv4 header and AH header.
type AHFrame struct {
	Src, Dst netip.Addr // IPv4
	ID       uint16     // IP identification; keepalived counts from 1 and skips 0
	TTL      uint8      // 0 means 255
	Seq      uint32     // AH sequence number
	// Unicast zeroes the TTL in the ICV, as keepalived does for unicast
	// peers (a routed advert's TTL changes on the way).
	Unicast bool
}

// Errors of SealAH.
var (
	ErrAHFamily = errors.New("packet: AH needs IPv4 source and destination")
	ErrAHLen    = errors.New("packet: AH datagram longer than 65535 bytes")
)

// AHAuth computes and verifies keepalived's AH ICV with one key. It keeps
// its HMAC state and scratch buffers, so sealing and opening allocate
// nothing; an AHAuth is not safe for concurrent use (use one per goroutine).
type AHAuth struct {
	mac hash.Hash
	sum [md5.Size]byte
	hdr [60 + AHLen]byte // IP header (up to 60 bytes) + AH with mutable fields zeroed
}

// NewAHAuth returns an AHAuth keyed with pass: keepalived's auth_pass, NUL
// padded or truncated to 8 bytes (see [PassData]).
func NewAHAuth(pass [AuthDataLen]byte) *AHAuth {
	return &AHAuth{mac: hmac.New(md5.New, pass[:])}
}

// icv computes the ICV of the datagram whose IP and AH headers (with the
// mutable fields zeroed) are in hdr and whose VRRP message is msg.
func (h *AHAuth) icv(hdr, msg []byte) []byte {
	h.mac.Reset()
	h.mac.Write(hdr)
	h.mac.Write(msg)
	return h.mac.Sum(h.sum[:0])[:ICVLen]
}

// SealAH writes into b an IPv4 datagram from f.Src to f.Dst carrying the
// VRRP message msg behind an AH header with sequence number f.Seq and its
// ICV, and returns its length. The IP header checksum is filled in (the
// kernel fills it again when sending with IP_HDRINCL).
func (h *AHAuth) SealAH(b []byte, msg []byte, f AHFrame) (int, error) {
	if !f.Src.Is4() || !f.Dst.Is4() {
		return 0, ErrAHFamily
	}
	n := IPv4HeaderLen + AHLen + len(msg)
	if n > 0xffff {
		return 0, ErrAHLen
	}
	if len(b) < n {
		return 0, ErrShortBuffer
	}
	ttl := f.TTL
	if ttl == 0 {
		ttl = TTL
	}
	ip := b[:IPv4HeaderLen]
	ip[0] = 0x45
	ip[1] = TOS
	binary.BigEndian.PutUint16(ip[2:], uint16(n))
	binary.BigEndian.PutUint16(ip[4:], f.ID)
	ip[6], ip[7] = 0, 0 // no DF, no fragment
	ip[8] = ttl
	ip[9] = IPProtocolAH
	ip[10], ip[11] = 0, 0
	s, d := f.Src.As4(), f.Dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	ah := b[IPv4HeaderLen : IPv4HeaderLen+AHLen]
	ah[0] = IPProtocol
	ah[1] = AHPayloadLen
	ah[2], ah[3] = 0, 0
	copy(ah[4:8], s[:]) // SPI: the source address, as keepalived
	binary.BigEndian.PutUint32(ah[8:], f.Seq)
	clear(ah[12:])
	copy(b[IPv4HeaderLen+AHLen:], msg)
	hdr := h.mutableZeroed(b[:IPv4HeaderLen+AHLen], IPv4HeaderLen, f.Unicast)
	copy(ah[12:], h.icv(hdr, b[IPv4HeaderLen+AHLen:n]))
	binary.BigEndian.PutUint16(ip[10:], ipv4HeaderChecksum(ip))
	return n, nil
}

// mutableZeroed copies the IP header (hl bytes) and AH header at the start
// of p into h.hdr with the fields that may change in transit zeroed: TOS,
// flags / fragment offset, header checksum, the TTL when unicast, and the
// ICV.
func (h *AHAuth) mutableZeroed(p []byte, hl int, unicast bool) []byte {
	hdr := h.hdr[:hl+AHLen]
	copy(hdr, p[:hl+AHLen])
	hdr[1] = 0
	hdr[6], hdr[7] = 0, 0
	hdr[10], hdr[11] = 0, 0
	if unicast {
		hdr[8] = 0
	}
	clear(hdr[hl+12:])
	return hdr
}

// OpenAH verifies the AH of p, a whole received IPv4 datagram (IP header
// included) of protocol 51, and returns its AH header and the VRRP message
// behind it. unicast says the TTL is not covered by the ICV (keepalived's
// unicast peers). It returns, in keepalived's order, DropShortPacket for a
// datagram too short for its headers, DropAHNotVRRP when the AH protects
// another protocol, DropAHBadICV when the ICV does not verify (another
// auth_pass, or a modified packet) and DropAHBadSPI when the SPI is not the
// source address. The sequence number is the caller's to check (see
// [AHReplay]).
func (h *AHAuth) OpenAH(p []byte, unicast bool) (AH, []byte, DropReason) {
	if len(p) < IPv4HeaderLen || p[0]>>4 != 4 {
		return AH{}, nil, DropShortPacket
	}
	hl := int(p[0]&0x0f) * 4
	if hl < IPv4HeaderLen || len(p) < hl+AHLen+HeaderLen {
		return AH{}, nil, DropShortPacket
	}
	if tl := int(binary.BigEndian.Uint16(p[2:])); tl >= hl && tl < len(p) {
		p = p[:tl] // link-layer padding
	}
	a, msg, r := DecodeAH(p[hl:])
	if r != DropNone {
		return a, nil, r
	}
	if a.NextHeader != IPProtocol {
		return a, nil, DropAHNotVRRP
	}
	if a.PayloadLen != AHPayloadLen {
		return a, nil, DropAHBadICV // not HMAC-MD5-96
	}
	hdr := h.mutableZeroed(p, hl, unicast)
	if subtle.ConstantTimeCompare(h.icv(hdr, msg), p[hl+12:hl+AHLen]) != 1 {
		return a, nil, DropAHBadICV
	}
	if a.SPI != binary.BigEndian.Uint32(p[12:16]) {
		return a, nil, DropAHBadSPI
	}
	return a, msg, DropNone
}

// AHReplay is keepalived's anti-replay state of one instance: one
// sequence number counter shared by sending and receiving. A received
// advert must carry a sequence number above the counter, which then takes
// that value; a sent advert carries the counter plus one. So a node that
// becomes master continues the sequence of the master it replaces, and a
// master restarted from 0 is not accepted until the others have timed out
// and one of them sends with a higher number — keepalived's behaviour,
// kept for interoperability.
//
// The zero value is ready; it is not safe for concurrent use.
type AHReplay struct {
	Seq uint32
	// Cycled is set when the counter reached 0xfffffffe: keepalived then
	// stops incrementing until it next becomes master, where the counter
	// restarts from 0.
	Cycled bool
}

// Accept checks a received sequence number and, when it is new, records
// it.
func (r *AHReplay) Accept(seq uint32) bool {
	if seq <= r.Seq {
		return false
	}
	r.Seq = seq
	return true
}

// Next returns the sequence number of the next advert to send.
func (r *AHReplay) Next() uint32 {
	if r.Seq > 0xfffffffd {
		r.Cycled = true
	} else {
		r.Seq++
	}
	return r.Seq
}

// BecomeMaster restarts a cycled counter from 0, as keepalived does when
// an instance enters MASTER.
func (r *AHReplay) BecomeMaster() {
	if r.Cycled {
		r.Cycled = false
		r.Seq = 0
	}
}

// SyncLower is what keepalived does when a master receives an advert of
// lower priority: its counter continues above the sender's (seq + 1), so
// the lower-priority node, whose counter is ahead, accepts the master's
// next advert and backs off.
func (r *AHReplay) SyncLower(seq uint32) {
	r.Seq = seq + 1
	r.Cycled = false
}

// ipv4HeaderChecksum returns the checksum of an IPv4 header whose checksum
// field is zero.
func ipv4HeaderChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
