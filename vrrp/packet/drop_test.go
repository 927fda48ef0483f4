package packet

import (
	"net/netip"
	"testing"
)

// TestDecodeDrops: each malformed message is dropped with its own reason.
func TestDecodeDrops(t *testing.T) {
	good := parseFrame(t, readPcap(t, "vec_vrrp2_pass_adv.pcap")[0]).payload
	good3 := parseFrame(t, readPcap(t, "vec_vrrp3_adv.pcap")[0]).payload
	v6 := netip.MustParseAddr("fe80::1")
	mod := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	for _, c := range []struct {
		name string
		b    []byte
		src  netip.Addr
		want DropReason
	}{
		{"good v2", good, n1, DropNone},
		{"good v3", good3, n1, DropNone},
		{"empty", nil, n1, DropShortPacket},
		{"7 bytes", good[:7], n1, DropShortPacket},
		{"version 1", mod(good, func(b []byte) []byte { b[0] = 0x11; return b }), n1, DropBadVersion},
		{"version 4", mod(good, func(b []byte) []byte { b[0] = 0x41; return b }), n1, DropBadVersion},
		{"v2 over IPv6", good, v6, DropBadVersion},
		{"type 2", mod(good, func(b []byte) []byte { b[0] = 0x22; return b }), n1, DropBadType},
		{"truncated", good[:len(good)-1], n1, DropBadLength},
		{"trailing byte", append(append([]byte(nil), good...), 0), n1, DropBadLength},
		{"count too high", mod(good, func(b []byte) []byte { b[3] = 2; return b }), n1, DropBadLength},
		{"v3 as IPv6 length", good3, v6, DropBadLength},
		{"checksum", mod(good, func(b []byte) []byte { b[7]++; return b }), n1, DropBadChecksum},
		{"payload bit", mod(good, func(b []byte) []byte { b[9] ^= 1; return b }), n1, DropBadChecksum},
		{"v3 checksum", mod(good3, func(b []byte) []byte { b[6]++; return b }), n1, DropBadChecksum},
		{"interval 0", fixSum(mod(good, func(b []byte) []byte { b[5] = 0; return b })), n1, DropBadInterval},
	} {
		var a Advert
		if got := Decode(c.b, c.src, Group4, &a); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// fixSum recomputes a VRRPv2 checksum.
func fixSum(b []byte) []byte {
	b[6], b[7] = 0, 0
	cs := checksum(b, netip.Addr{}, netip.Addr{}, ChecksumNoPseudoHeader)
	b[6], b[7] = byte(cs>>8), byte(cs)
	return b
}

func TestFilterCheck(t *testing.T) {
	adv := func(mut func(*Advert)) *Advert {
		a := &Advert{Version: 2, Type: 1, VRID: 51, Priority: 100, Count: 1, AuthType: AuthPass, AuthData: pass, Interval: 1, Addrs: []netip.Addr{vip100}}
		if mut != nil {
			mut(a)
		}
		return a
	}
	mcast := Filter{Version: 2, VRID: 51, AuthType: AuthPass, AuthPass: pass, Interval: 1, Addrs: []netip.Addr{vip100}, CheckAddrs: true, Local: []netip.Addr{n2}}
	uni := mcast
	uni.Unicast = true
	uni.Peers = []Peer{{Addr: n1}, {Addr: netip.MustParseAddr("10.99.0.3"), MinTTL: 250, MaxTTL: 254}}
	n3 := netip.MustParseAddr("10.99.0.3")
	anySrc := uni
	anySrc.AnySource = true
	for _, c := range []struct {
		name string
		f    Filter
		a    *Advert
		src  netip.Addr
		ttl  int
		want DropReason
	}{
		{"ok", mcast, adv(nil), n1, 255, DropNone},
		{"ttl unknown", mcast, adv(nil), n1, -1, DropNone},
		{"ttl 254", mcast, adv(nil), n1, 254, DropBadTTL},
		{"ttl 1", mcast, adv(nil), n1, 1, DropBadTTL},
		{"own advert", mcast, adv(nil), n2, 255, DropLoopedBack},
		{"other vrid", mcast, adv(func(a *Advert) { a.VRID = 52 }), n1, 1, DropUnknownVRID},
		{"other version", mcast, adv(func(a *Advert) { a.Version = 3 }), n1, 255, DropBadVersion},
		{"no auth", mcast, adv(func(a *Advert) { a.AuthType = AuthNone }), n1, 255, DropAuthTypeMismatch},
		{"wrong pass", mcast, adv(func(a *Advert) { a.AuthData = PassData("secret") }), n1, 255, DropAuthPassMismatch},
		{"interval", mcast, adv(func(a *Advert) { a.Interval = 2 }), n1, 255, DropIntervalMismatch},
		{"count", mcast, adv(func(a *Advert) { a.Addrs = append(a.Addrs, vip101) }), n1, 255, DropAddrCountMismatch},
		{"list", mcast, adv(func(a *Advert) { a.Addrs = []netip.Addr{vip101} }), n1, 255, DropAddrListMismatch},
		{"family", mcast, adv(nil), netip.MustParseAddr("fe80::1"), 255, DropWrongFamily},
		{"unicast ok", uni, adv(nil), n1, 64, DropNone},
		{"unicast not peer", uni, adv(nil), netip.MustParseAddr("10.99.0.9"), 255, DropNotPeer},
		{"unicast window ok", uni, adv(nil), n3, 252, DropNone},
		{"unicast window low", uni, adv(nil), n3, 249, DropTTLOutOfWindow},
		{"unicast window high", uni, adv(nil), n3, 255, DropTTLOutOfWindow},
		// check_unicast_src = false: keepalived's default without the keyword
		{"any source not peer", anySrc, adv(nil), netip.MustParseAddr("10.99.0.9"), 255, DropNone},
		{"any source window", anySrc, adv(nil), n3, 1, DropNone},
		{"any source own advert", anySrc, adv(nil), n2, 255, DropLoopedBack},
		{"any source still checked", anySrc, adv(func(a *Advert) { a.AuthData = PassData("secret") }), netip.MustParseAddr("10.99.0.9"), 255, DropAuthPassMismatch},
	} {
		if got := c.f.Check(c.a, c.src, c.ttl); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// skip_check_adv_addr
	f := mcast
	f.CheckAddrs = false
	if got := f.Check(adv(func(a *Advert) { a.Addrs = nil }), n1, 255); got != DropNone {
		t.Errorf("CheckAddrs off: %v", got)
	}
	// v3 ignores auth and interval
	f3 := Filter{Version: 3, VRID: 51, Interval: 100}
	if got := f3.Check(&Advert{Version: 3, VRID: 51, Interval: 10}, n1, 255); got != DropNone {
		t.Errorf("v3 interval learnt: %v", got)
	}
}

func TestDropReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for r := DropNone; r < NumDropReasons; r++ {
		s := r.String()
		if s == "" || seen[s] {
			t.Errorf("reason %d: name %q empty or duplicate", r, s)
		}
		seen[s] = true
	}
	if s := NumDropReasons.String(); s != "drop(23)" {
		t.Errorf("out of range: %q", s)
	}
}
