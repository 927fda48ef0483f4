package packet

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// The captures vec_ah_keepalived_{mcast,unicast}.pcap were made from
// keepalived 2.2.7 (Debian) in a namespace with the .conf beside them
// (auth_type AH, auth_pass ahpass1): a multicast instance with two VIPs and
// a unicast one, each becoming master, advertising and stopping (priority 0).
const capturePass = "ahpass1"

// ipDatagram returns the whole IPv4 datagram of an Ethernet frame.
func ipDatagram(fr []byte) []byte {
	p := fr[14:]
	return p[:binary.BigEndian.Uint16(p[2:])]
}

// TestAHKeepalivedCaptures verifies keepalived's ICVs and sequence numbers
// and re-seals every advert byte for byte (IP header checksum included).
func TestAHKeepalivedCaptures(t *testing.T) {
	for _, c := range []struct {
		file    string
		unicast bool
		vrid    uint8
		addrs   int
	}{
		{"vec_ah_keepalived_mcast.pcap", false, 52, 2},
		{"vec_ah_keepalived_unicast.pcap", true, 53, 1},
	} {
		t.Run(c.file, func(t *testing.T) {
			frames := readPcap(t, c.file)
			if len(frames) < 3 {
				t.Fatalf("%d frames", len(frames))
			}
			auth := NewAHAuth(PassData(capturePass))
			wrong := NewAHAuth(PassData("ahpass2"))
			var rp AHReplay
			var prio0 int
			for i, fr := range frames {
				p := ipDatagram(fr)
				ah, msg, r := auth.OpenAH(p, c.unicast)
				if r != DropNone {
					t.Fatalf("frame %d: OpenAH: %v", i, r)
				}
				if ah.Seq != uint32(i+1) || ah.SPI != binary.BigEndian.Uint32(p[12:]) {
					t.Errorf("frame %d: AH %+v", i, ah)
				}
				if !rp.Accept(ah.Seq) {
					t.Errorf("frame %d: seq %d refused", i, ah.Seq)
				}
				if rp.Accept(ah.Seq) {
					t.Errorf("frame %d: replayed seq %d accepted", i, ah.Seq)
				}
				if _, _, r := wrong.OpenAH(p, c.unicast); r != DropAHBadICV {
					t.Errorf("frame %d: wrong pass: %v, want ah_bad_icv", i, r)
				}
				if _, _, r := auth.OpenAH(p, !c.unicast); r != DropAHBadICV {
					t.Errorf("frame %d: TTL covered or not: %v, want ah_bad_icv", i, r)
				}
				src, dst := netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
				var a Advert
				if r := Decode(msg, src, dst, &a); r != DropNone {
					t.Fatalf("frame %d: Decode: %v", i, r)
				}
				if a.AuthType != AuthAH || a.VRID != c.vrid || len(a.Addrs) != c.addrs || a.AuthData != [8]byte{} {
					t.Errorf("frame %d: advert %+v", i, a)
				}
				if a.Priority == 0 {
					prio0++
				}
				// Re-encode: VRRP message, then the sealed datagram.
				vb := make([]byte, MaxLen)
				vn, err := a.MarshalTo(vb, src, dst, a.Variant)
				if err != nil {
					t.Fatal(err)
				}
				out := make([]byte, 1500)
				n, err := auth.SealAH(out, vb[:vn], AHFrame{Src: src, Dst: dst, ID: binary.BigEndian.Uint16(p[4:]), TTL: p[8], Seq: ah.Seq, Unicast: c.unicast})
				if err != nil {
					t.Fatal(err)
				}
				if string(out[:n]) != string(p) {
					t.Errorf("frame %d:\n got % x\nwant % x", i, out[:n], p)
				}
			}
			if prio0 != 1 {
				t.Errorf("%d priority-0 adverts, want 1 (the stop)", prio0)
			}
		})
	}
}

// TestAHMutableFields: the ICV ignores TOS, fragment flags and the header
// checksum (and the TTL for unicast) and covers everything else.
func TestAHMutableFields(t *testing.T) {
	frames := readPcap(t, "vec_ah_keepalived_mcast.pcap")
	auth := NewAHAuth(PassData(capturePass))
	for _, c := range []struct {
		name string
		off  int
		want DropReason
	}{
		{"tos", 1, DropNone},
		{"frag", 6, DropNone},
		{"ip checksum", 10, DropNone},
		{"ttl", 8, DropAHBadICV},
		{"ip id", 5, DropAHBadICV},
		{"source", 15, DropAHBadICV},
		{"spi", 20 + 7, DropAHBadICV},
		{"seq", 20 + 11, DropAHBadICV},
		{"icv", 20 + 12, DropAHBadICV},
		{"priority", 20 + 24 + 2, DropAHBadICV},
		{"vip", 20 + 24 + 8 + 3, DropAHBadICV},
	} {
		p := append([]byte(nil), ipDatagram(frames[0])...)
		p[c.off] ^= 0x20
		if _, _, r := auth.OpenAH(p, false); r != c.want {
			t.Errorf("%s: %v, want %v", c.name, r, c.want)
		}
	}
	p := ipDatagram(frames[0])
	if _, _, r := auth.OpenAH(p[:20+24+7], false); r != DropShortPacket {
		t.Errorf("short: %v", r)
	}
	q := append([]byte(nil), p...)
	q[20] = 6 // AH protecting TCP
	if _, _, r := auth.OpenAH(q, false); r != DropAHNotVRRP {
		t.Errorf("next header 6: %v", r)
	}
	// A SPI that is not the source, with a valid ICV: sealed from another
	// source, then the source rewritten and the ICV recomputed over it.
	var a Advert
	if r := Decode(p[44:], netip.Addr{}, netip.Addr{}, &a); r != DropNone {
		t.Fatal(r)
	}
	out := make([]byte, 200)
	n, err := auth.SealAH(out, p[44:], AHFrame{Src: netip.MustParseAddr("10.98.0.9"), Dst: Group4, ID: 1, Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	out = out[:n]
	out[15] = 1 // source 10.98.0.1, SPI still 10.98.0.9
	hdr := auth.mutableZeroed(out, 20, false)
	copy(out[32:44], auth.icv(hdr, out[44:]))
	if _, _, r := auth.OpenAH(out, false); r != DropAHBadSPI {
		t.Errorf("spi: %v, want ah_bad_spi", r)
	}
}

func TestAHReplay(t *testing.T) {
	var r AHReplay
	if got := r.Next(); got != 1 {
		t.Errorf("first seq %d", got)
	}
	if r.Accept(1) || !r.Accept(5) || r.Accept(4) || r.Next() != 6 {
		t.Errorf("replay window: %+v", r)
	}
	r.SyncLower(100)
	if r.Next() != 102 {
		t.Errorf("sync lower: %+v", r)
	}
	r.Seq = 0xfffffffe
	if r.Next() != 0xfffffffe || !r.Cycled {
		t.Errorf("cycle: %+v", r)
	}
	r.BecomeMaster()
	if r.Next() != 1 {
		t.Errorf("after cycle: %+v", r)
	}
}

func TestSealAHErrors(t *testing.T) {
	auth := NewAHAuth(PassData("x"))
	msg := make([]byte, 20)
	if _, err := auth.SealAH(make([]byte, 10), msg, AHFrame{Src: netip.MustParseAddr("10.0.0.1"), Dst: Group4}); err != ErrShortBuffer {
		t.Errorf("short: %v", err)
	}
	if _, err := auth.SealAH(make([]byte, 100), msg, AHFrame{Src: netip.MustParseAddr("fe80::1"), Dst: Group6}); err != ErrAHFamily {
		t.Errorf("v6: %v", err)
	}
}

func BenchmarkAHSealOpen(b *testing.B) {
	auth := NewAHAuth(PassData(capturePass))
	msg := make([]byte, 20)
	out := make([]byte, 100)
	f := AHFrame{Src: netip.MustParseAddr("10.0.0.1"), Dst: Group4, ID: 1}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Seq = uint32(i + 1)
		n, _ := auth.SealAH(out, msg, f)
		if _, _, r := auth.OpenAH(out[:n], false); r != DropNone {
			b.Fatal(r)
		}
	}
}

// FuzzOpenAH feeds arbitrary IPv4 datagrams to OpenAH: nothing panics, a
// reason is in range, and a datagram that verifies re-seals to itself when
// keepalived's header layout was used. Seeds: every keepalived capture,
// one with a flipped ICV bit, and truncations.
func FuzzOpenAH(f *testing.F) {
	for _, file := range []string{"vec_ah_keepalived_mcast.pcap", "vec_ah_keepalived_unicast.pcap", "vec_vrrp2_ah.pcap"} {
		for _, fr := range readPcap(f, file) {
			p := ipDatagram(fr)
			f.Add(append([]byte(nil), p...), file == "vec_ah_keepalived_unicast.pcap")
			bad := append([]byte(nil), p...)
			bad[33] ^= 1
			f.Add(bad, false)
			f.Add(append([]byte(nil), p[:30]...), false)
		}
	}
	f.Add([]byte{0x4f, 0, 0, 0}, false)
	auth := NewAHAuth(PassData(capturePass))
	f.Fuzz(func(t *testing.T, p []byte, unicast bool) {
		ah, msg, r := auth.OpenAH(p, unicast)
		if r >= NumDropReasons {
			t.Fatalf("reason out of range: %d", r)
		}
		if r != DropNone {
			return
		}
		if ah.NextHeader != IPProtocol || p[0] != 0x45 {
			return // options: SealAH writes none
		}
		src, dst := netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		out := make([]byte, len(p)+AHLen)
		n, err := auth.SealAH(out, msg, AHFrame{Src: src, Dst: dst, ID: binary.BigEndian.Uint16(p[4:]), TTL: p[8], Seq: ah.Seq, Unicast: unicast})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, r := auth.OpenAH(out[:n], unicast); r != DropNone {
			t.Fatalf("re-sealed datagram does not verify: %v", r)
		}
	})
}
