package packet

import (
	"crypto/subtle"
	"net/netip"
)

// DropReason says why a received message was not accepted. DropNone (0)
// means it was accepted. The values are dense, so a [NumDropReasons]-sized
// array counts them.
type DropReason uint8

// Drop reasons, roughly in the order the checks run.
const (
	DropNone DropReason = iota
	// Message structure (Decode).
	DropShortPacket // shorter than the VRRP header, or than the AH header it announces
	DropBadVersion  // version neither 2 nor 3, VRRPv2 over IPv6, or not the instance's version
	DropBadType     // type is not ADVERTISEMENT (1)
	DropBadLength   // length disagrees with the address count
	DropAHNotVRRP   // IPsec AH protecting another protocol than VRRP
	DropAHBadICV    // IPsec AH: the HMAC-MD5-96 ICV does not verify (another auth_pass, or altered)
	DropAHBadSPI    // IPsec AH: the SPI is not the source address
	DropBadChecksum // checksum wrong (for VRRPv3/IPv4: wrong in both variants)
	DropBadInterval // advertisement interval 0
	// Instance checks (Filter.Check).
	DropBadTTL         // multicast TTL / hop limit not 255
	DropNotPeer        // unicast: source is not a configured peer
	DropTTLOutOfWindow // unicast: TTL outside the peer's min_ttl..max_ttl
	DropLoopedBack     // our own advertisement came back
	DropUnknownVRID    // another virtual router's message on our segment
	DropAuthTypeMismatch
	DropAuthPassMismatch
	DropAHReplay          // IPsec AH: sequence number not above the last one seen (replay, or a restarted master)
	DropIntervalMismatch  // VRRPv2: interval differs from ours (RFC 3768 7.1)
	DropAddrCountMismatch // address count differs from our virtual addresses
	DropAddrListMismatch  // an address of ours is not in the message
	DropWrongFamily       // IPv4 message for an IPv6 instance or the reverse
	// Delivery (the instance, after the checks).
	DropQueueFull // valid, but the instance's receive queue was full: it did not keep up

	// NumDropReasons is the number of drop reasons including DropNone.
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	DropNone:              "none",
	DropShortPacket:       "short_packet",
	DropBadVersion:        "bad_version",
	DropBadType:           "bad_type",
	DropBadLength:         "bad_length",
	DropAHNotVRRP:         "ah_not_vrrp",
	DropAHBadICV:          "ah_bad_icv",
	DropAHBadSPI:          "ah_bad_spi",
	DropBadChecksum:       "bad_checksum",
	DropBadInterval:       "bad_interval",
	DropBadTTL:            "bad_ttl",
	DropNotPeer:           "not_peer",
	DropTTLOutOfWindow:    "ttl_out_of_window",
	DropLoopedBack:        "looped_back",
	DropUnknownVRID:       "unknown_vrid",
	DropAuthTypeMismatch:  "auth_type_mismatch",
	DropAuthPassMismatch:  "auth_pass_mismatch",
	DropAHReplay:          "ah_replay",
	DropIntervalMismatch:  "interval_mismatch",
	DropAddrCountMismatch: "addr_count_mismatch",
	DropAddrListMismatch:  "addr_list_mismatch",
	DropWrongFamily:       "wrong_family",
	DropQueueFull:         "queue_full",
}

// String returns the reason's snake_case name, suitable as a metric label.
func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "drop(" + itoa(int(r)) + ")"
}

// Peer is a unicast peer and the TTL window its messages must arrive with
// (keepalived's unicast_peer min_ttl/max_ttl). MinTTL 0 and MaxTTL 0 mean no
// lower and no upper bound (MaxTTL 0 is treated as 255).
type Peer struct {
	Addr   netip.Addr
	MinTTL uint8
	MaxTTL uint8
}

// Filter holds what an instance accepts. Build it once per configuration;
// Check does not modify it and may be called concurrently.
type Filter struct {
	Version uint8
	VRID    uint8
	IPv6    bool
	// AuthType and AuthPass (NUL padded) are VRRPv2 only.
	AuthType AuthType
	AuthPass [AuthDataLen]byte
	// Interval is our own interval field value (VRRPv2: seconds). A VRRPv2
	// message with another interval is dropped; VRRPv3 learns the master's.
	Interval uint16
	// Unicast selects the peer check and TTL window instead of TTL 255.
	Unicast bool
	Peers   []Peer
	// Local holds our own source addresses; a message from one of them is
	// our own advertisement looped back.
	Local []netip.Addr
	// Addrs are our virtual addresses. When CheckAddrs is set, a message
	// must carry exactly as many and each of ours (keepalived's default;
	// disable for skip_check_adv_addr).
	Addrs      []netip.Addr
	CheckAddrs bool
	// AnySource (unicast only; check_unicast_src = false) skips the peer
	// check and the TTL window: any source is accepted.
	AnySource bool
}

// Check applies the instance checks to a, decoded by Decode from a message
// received from src with TTL (or hop limit) ttl, and returns DropNone when
// the instance accepts it. Checks run in keepalived's order: VRID (another
// group's traffic), TTL / peer, version, authentication, interval, addresses.
func (f *Filter) Check(a *Advert, src netip.Addr, ttl int) DropReason {
	if src.Is6() && !src.Is4In6() != f.IPv6 {
		return DropWrongFamily
	}
	if a.VRID != f.VRID {
		return DropUnknownVRID
	}
	for _, l := range f.Local {
		if l == src {
			return DropLoopedBack
		}
	}
	switch {
	case f.Unicast && f.AnySource:
		// check_unicast_src = false: any source, any TTL
	case f.Unicast:
		found := false
		for _, p := range f.Peers {
			if p.Addr != src {
				continue
			}
			found = true
			maxTTL := int(p.MaxTTL)
			if maxTTL == 0 {
				maxTTL = 255
			}
			if ttl >= 0 && (ttl < int(p.MinTTL) || ttl > maxTTL) {
				return DropTTLOutOfWindow
			}
			break
		}
		if !found {
			return DropNotPeer
		}
	case ttl >= 0 && ttl != TTL:
		return DropBadTTL
	}
	if a.Version != f.Version {
		return DropBadVersion
	}
	if a.Version == Version2 {
		if a.AuthType != f.AuthType {
			return DropAuthTypeMismatch
		}
		if f.AuthType == AuthPass && subtle.ConstantTimeCompare(a.AuthData[:], f.AuthPass[:]) != 1 {
			return DropAuthPassMismatch
		}
		if a.Interval != f.Interval {
			return DropIntervalMismatch
		}
	}
	if f.CheckAddrs {
		if len(a.Addrs) != len(f.Addrs) {
			return DropAddrCountMismatch
		}
		for _, want := range f.Addrs {
			found := false
			for _, got := range a.Addrs {
				if got == want {
					found = true
					break
				}
			}
			if !found {
				return DropAddrListMismatch
			}
		}
	}
	return DropNone
}

// PassData returns a VRRPv2 PASS password as the 8 NUL-padded bytes on the
// wire. keepalived truncates longer passwords to 8 bytes; so does PassData.
func PassData(pass string) [AuthDataLen]byte {
	var b [AuthDataLen]byte
	copy(b[:], pass)
	return b
}
