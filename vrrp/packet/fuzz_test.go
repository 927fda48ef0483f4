package packet

import (
	"net/netip"
	"testing"
)

// FuzzDecode feeds arbitrary messages to Decode (both families, both
// checksum variants) and checks that nothing panics, that an accepted
// message re-encodes to the same bytes, and that Filter.Check accepts or
// drops without panicking.
func FuzzDecode(f *testing.F) {
	for _, v := range vectors {
		fr := parseFrame(f, readPcap(f, v.file)[0])
		f.Add(fr.payload, fr.src.Is6())
	}
	// the VRRP messages behind keepalived's AH headers (auth type 2, 8
	// zero authentication bytes): Decode accepts them, the AH is OpenAH's
	for _, file := range []string{"vec_ah_keepalived_mcast.pcap", "vec_ah_keepalived_unicast.pcap"} {
		for _, fr := range readPcap(f, file) {
			p := ipDatagram(fr)
			f.Add(append([]byte(nil), p[IPv4HeaderLen+AHLen:]...), false)
		}
	}
	f.Add([]byte{}, false)
	f.Add([]byte{0x21, 1, 100, 255, 0, 1, 0, 0}, false)
	f.Add([]byte{0x31, 1, 100, 0, 0, 0, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		src, dst := n1, Group4
		if v6 {
			src, dst = netip.MustParseAddr("fe80::1"), Group6
		}
		var a Advert
		r := Decode(b, src, dst, &a)
		if r >= NumDropReasons {
			t.Fatalf("reason out of range: %d", r)
		}
		_ = r.String()
		if r != DropNone {
			return
		}
		if int(a.Count) != len(a.Addrs) {
			t.Fatalf("count %d but %d addresses", a.Count, len(a.Addrs))
		}
		buf := make([]byte, MaxLen)
		n, err := a.MarshalTo(buf, src, dst, a.Variant)
		if err != nil {
			t.Fatalf("accepted message does not re-encode: %v (%+v)", err, a)
		}
		// Reserved bits of the v3 interval field are not preserved.
		want := append([]byte(nil), b...)
		if a.Version == Version3 {
			want[4] &= 0x0f
			if string(buf[:n]) != string(want) {
				// The checksum then legitimately differs; compare the rest.
				buf[6], buf[7], want[6], want[7] = 0, 0, 0, 0
			}
		}
		if string(buf[:n]) != string(want) {
			t.Fatalf("round trip:\n got % x\nwant % x", buf[:n], want)
		}
		fl := Filter{Version: a.Version, VRID: a.VRID, IPv6: v6, AuthType: a.AuthType, AuthPass: a.AuthData,
			Interval: a.Interval, Addrs: a.Addrs, CheckAddrs: true}
		if got := fl.Check(&a, src, TTL); got != DropNone {
			t.Fatalf("filter built from the message drops it: %v", got)
		}
	})
}

// TestRoundTrip encodes random-ish adverts and decodes them back.
func TestRoundTrip(t *testing.T) {
	addrs4 := []netip.Addr{vip100, vip101, vip102}
	addrs6 := []netip.Addr{netip.MustParseAddr("fd00::1"), netip.MustParseAddr("2001:db8::2")}
	cases := []struct {
		a        Advert
		src, dst netip.Addr
		variant  ChecksumVariant
	}{
		{Advert{Version: 2, VRID: 1, Priority: 255, AuthType: AuthPass, AuthData: PassData("12345678"), Interval: 255, Addrs: addrs4}, n1, Group4, ChecksumPseudoHeader},
		{Advert{Version: 2, VRID: 255, Priority: 1, Interval: 1}, n1, n2, ChecksumPseudoHeader},
		{Advert{Version: 3, VRID: 7, Priority: 100, Interval: 4095, Addrs: addrs4}, n1, n2, ChecksumPseudoHeader},
		{Advert{Version: 3, VRID: 7, Priority: 100, Interval: 1, Addrs: addrs4}, n1, Group4, ChecksumNoPseudoHeader},
		{Advert{Version: 3, VRID: 9, Priority: 0, Interval: 10, Addrs: addrs6}, netip.MustParseAddr("fe80::2"), Group6, ChecksumNoPseudoHeader},
	}
	for i, c := range cases {
		buf := make([]byte, MaxLen)
		n, err := c.a.MarshalTo(buf, c.src, c.dst, c.variant)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var got Advert
		if r := Decode(buf[:n], c.src, c.dst, &got); r != DropNone {
			t.Fatalf("%d: %v", i, r)
		}
		want := c.a
		want.Type = TypeAdvertisement
		if want.Addrs == nil {
			want.Addrs = []netip.Addr{}
		}
		if got.Addrs == nil {
			got.Addrs = []netip.Addr{}
		}
		if d := diffAdvert(want, got); d != "" {
			t.Errorf("%d (-want +got):\n%s", i, d)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	buf := make([]byte, MaxLen)
	v6 := netip.MustParseAddr("fe80::1")
	for _, c := range []struct {
		name string
		a    Advert
		src  netip.Addr
		size int
		want error
	}{
		{"version", Advert{Version: 4, Interval: 1}, n1, MaxLen, ErrVersion},
		{"v2 over IPv6", Advert{Version: 2, Interval: 1}, v6, MaxLen, ErrFamily},
		{"mixed family", Advert{Version: 3, Interval: 1, Addrs: []netip.Addr{v6}}, n1, MaxLen, ErrFamily},
		{"zero address", Advert{Version: 3, Interval: 1, Addrs: []netip.Addr{{}}}, v6, MaxLen, ErrFamily},
		{"v2 interval 0", Advert{Version: 2}, n1, MaxLen, ErrInterval},
		{"v3 interval 4096", Advert{Version: 3, Interval: 4096}, n1, MaxLen, ErrInterval},
		{"v3 auth", Advert{Version: 3, Interval: 1, AuthType: AuthPass}, n1, MaxLen, ErrAuth},
		{"short buffer", Advert{Version: 2, Interval: 1, Addrs: []netip.Addr{vip100}}, n1, 19, ErrShortBuffer},
		{"too many", Advert{Version: 3, Interval: 1, Addrs: make([]netip.Addr, 256)}, n1, MaxLen, ErrTooMany},
	} {
		if _, err := c.a.MarshalTo(buf[:c.size], c.src, Group4, ChecksumPseudoHeader); err != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestEncodeInterval(t *testing.T) {
	for _, c := range []struct {
		v    uint8
		d    string
		want uint16
		ok   bool
	}{
		{2, "1s", 1, true}, {2, "255s", 255, true}, {2, "1500ms", 0, false}, {2, "256s", 0, false}, {2, "0s", 0, false},
		{3, "100ms", 10, true}, {3, "10ms", 1, true}, {3, "40.95s", 4095, true}, {3, "41s", 0, false}, {3, "15ms", 0, false},
		{4, "1s", 0, false},
	} {
		d, _ := timeParse(c.d)
		got, err := EncodeInterval(c.v, d)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("EncodeInterval(%d, %s) = %d, %v", c.v, c.d, got, err)
		}
	}
}
