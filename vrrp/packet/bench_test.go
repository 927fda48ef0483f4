package packet

import (
	"net/netip"
	"testing"
)

func BenchmarkMarshalV2(b *testing.B) {
	a := Advert{Version: 2, VRID: 51, Priority: 200, AuthType: AuthPass, AuthData: pass, Interval: 1, Addrs: []netip.Addr{vip100, vip101, vip102}}
	buf := make([]byte, MaxLen)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.MarshalTo(buf, n1, Group4, ChecksumPseudoHeader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalV3IPv6(b *testing.B) {
	a := Advert{Version: 3, VRID: 54, Priority: 150, Interval: 100, Addrs: []netip.Addr{netip.MustParseAddr("fd00:99::100")}}
	src := netip.MustParseAddr("fe80::907e:fff:fe77:fb0f")
	buf := make([]byte, MaxLen)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.MarshalTo(buf, src, Group6, ChecksumPseudoHeader); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, file string) {
	f := parseFrame(b, readPcap(b, file)[0])
	a := Advert{Addrs: make([]netip.Addr, 0, 4)}
	fl := Filter{Version: 0, CheckAddrs: true}
	if Decode(f.payload, f.src, f.dst, &a) != DropNone {
		b.Fatal("vector does not decode")
	}
	fl.Version, fl.VRID, fl.IPv6, fl.AuthType, fl.AuthPass, fl.Interval = a.Version, a.VRID, f.src.Is6(), a.AuthType, a.AuthData, a.Interval
	fl.Addrs = append([]netip.Addr(nil), a.Addrs...)
	b.ReportAllocs()
	for b.Loop() {
		if r := Decode(f.payload, f.src, f.dst, &a); r != DropNone {
			b.Fatal(r)
		}
		if r := fl.Check(&a, f.src, TTL); r != DropNone {
			b.Fatal(r)
		}
	}
}

func BenchmarkDecodeV2(b *testing.B)     { benchDecode(b, "vec_vrrp2_noauth_3vip.pcap") }
func BenchmarkDecodeV3IPv4(b *testing.B) { benchDecode(b, "vec_vrrp3_3vip.pcap") }
func BenchmarkDecodeV3IPv6(b *testing.B) { benchDecode(b, "vec_vrrp3_ipv6.pcap") }

// TestZeroAllocs pins the allocation-free send and receive paths.
func TestZeroAllocs(t *testing.T) {
	f := parseFrame(t, readPcap(t, "vec_vrrp3_3vip.pcap")[0])
	a := Advert{Addrs: make([]netip.Addr, 0, 4)}
	buf := make([]byte, MaxLen)
	n := testing.AllocsPerRun(100, func() {
		Decode(f.payload, f.src, f.dst, &a)
		if _, err := a.MarshalTo(buf, f.src, f.dst, ChecksumPseudoHeader); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per decode+encode, want 0", n)
	}
}
