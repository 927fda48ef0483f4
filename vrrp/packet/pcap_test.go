package packet

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// frame is one captured Ethernet frame's IP-level view.
type frame struct {
	src, dst netip.Addr
	proto    int // IPv4 protocol / IPv6 next header
	ttl      int
	ipHeader []byte // IPv4 header (nil for IPv6)
	payload  []byte // IP payload, trimmed to the IP length
}

// readPcap reads a classic little-endian microsecond pcap file with
// Ethernet link type and returns its frames.
func readPcap(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap file", name)
	}
	if lt := binary.LittleEndian.Uint32(b[20:]); lt != 1 {
		t.Fatalf("%s: link type %d, want 1 (Ethernet)", name, lt)
	}
	var frames [][]byte
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			t.Fatalf("%s: truncated record header at %d", name, off)
		}
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		off += 16
		if off+n > len(b) {
			t.Fatalf("%s: truncated record at %d", name, off)
		}
		frames = append(frames, b[off:off+n])
		off += n
	}
	return frames
}

// parseFrame strips the Ethernet and IP headers of an IPv4 or IPv6 frame.
func parseFrame(t testing.TB, f []byte) frame {
	t.Helper()
	if len(f) < 14 {
		t.Fatalf("frame too short: %d", len(f))
	}
	et := binary.BigEndian.Uint16(f[12:])
	p := f[14:]
	switch et {
	case 0x0800:
		ihl := int(p[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(p[2:]))
		return frame{
			src:      netip.AddrFrom4([4]byte(p[12:16])),
			dst:      netip.AddrFrom4([4]byte(p[16:20])),
			proto:    int(p[9]),
			ttl:      int(p[8]),
			ipHeader: p[:ihl],
			payload:  p[ihl:tot],
		}
	case 0x86dd:
		pl := int(binary.BigEndian.Uint16(p[4:]))
		return frame{
			src:     netip.AddrFrom16([16]byte(p[8:24])),
			dst:     netip.AddrFrom16([16]byte(p[24:40])),
			proto:   int(p[6]),
			ttl:     int(p[7]),
			payload: p[40 : 40+pl],
		}
	}
	t.Fatalf("ethertype %#x is not IP", et)
	return frame{}
}

// ipv4HeaderOK verifies an IPv4 header checksum.
func ipv4HeaderOK(h []byte) bool {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum == 0xffff
}

var (
	vip100 = netip.MustParseAddr("10.99.0.100")
	vip101 = netip.MustParseAddr("10.99.0.101")
	vip102 = netip.MustParseAddr("10.99.0.102")
	n1     = netip.MustParseAddr("10.99.0.1")
	n2     = netip.MustParseAddr("10.99.0.2")
	pass   = PassData("s3cr3t")
)

// The single-packet vectors of PACKETS.md, every field as listed there.
var vectors = []struct {
	file     string
	src, dst netip.Addr
	ttl      int
	want     Advert
}{
	{
		file: "vec_vrrp2_pass_adv.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 2, Type: 1, VRID: 51, Priority: 200, Count: 1, AuthType: AuthPass,
			AuthData: pass, Interval: 1, Checksum: 0x00e9, Variant: ChecksumNoPseudoHeader,
			Addrs: []netip.Addr{vip100}},
	},
	{
		file: "vec_vrrp2_prio0.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 2, Type: 1, VRID: 51, Priority: 0, Count: 1, AuthType: AuthPass,
			AuthData: pass, Interval: 1, Checksum: 0xc8e9, Variant: ChecksumNoPseudoHeader,
			Addrs: []netip.Addr{vip100}},
	},
	{
		file: "vec_vrrp3_adv.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 3, Type: 1, VRID: 51, Priority: 200, Count: 1,
			Interval: 10, Checksum: 0x1107, Variant: ChecksumPseudoHeader,
			Addrs: []netip.Addr{vip100}},
	},
	{
		file: "vec_vrrp3_prio0.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 3, Type: 1, VRID: 51, Priority: 0, Count: 1,
			Interval: 10, Checksum: 0xd907, Variant: ChecksumPseudoHeader,
			Addrs: []netip.Addr{vip100}},
	},
	{
		file: "vec_vrrp2_unicast_adv.pcap", src: n1, dst: n2, ttl: 255,
		want: Advert{Version: 2, Type: 1, VRID: 51, Priority: 200, Count: 1, AuthType: AuthPass,
			AuthData: pass, Interval: 1, Checksum: 0x00e9, Variant: ChecksumNoPseudoHeader,
			Addrs: []netip.Addr{vip100}},
	},
	{
		file: "vec_vrrp2_noauth_3vip.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 2, Type: 1, VRID: 52, Priority: 150, Count: 3, AuthType: AuthNone,
			Interval: 2, Checksum: 0x286e, Variant: ChecksumNoPseudoHeader,
			Addrs: []netip.Addr{vip100, vip101, vip102}},
	},
	{
		file: "vec_vrrp3_3vip.pcap", src: n1, dst: Group4, ttl: 255,
		want: Advert{Version: 3, Type: 1, VRID: 53, Priority: 150, Count: 3,
			Interval: 100, Checksum: 0x2d10, Variant: ChecksumPseudoHeader,
			Addrs: []netip.Addr{vip100, vip101, vip102}},
	},
	{
		file: "vec_vrrp3_ipv6.pcap", src: netip.MustParseAddr("fe80::907e:fff:fe77:fb0f"), dst: Group6, ttl: 255,
		want: Advert{Version: 3, Type: 1, VRID: 54, Priority: 150, Count: 1,
			Interval: 100, Checksum: 0xa1a6, Variant: ChecksumPseudoHeader,
			Addrs: []netip.Addr{netip.MustParseAddr("fd00:99::100")}},
	},
}

func TestVectorsDecodeAndEncode(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			frames := readPcap(t, v.file)
			if len(frames) != 1 {
				t.Fatalf("%d frames, want 1", len(frames))
			}
			f := parseFrame(t, frames[0])
			if f.src != v.src || f.dst != v.dst || f.ttl != v.ttl || f.proto != IPProtocol {
				t.Fatalf("IP header: src %v dst %v ttl %d proto %d; want %v %v %d %d",
					f.src, f.dst, f.ttl, f.proto, v.src, v.dst, v.ttl, IPProtocol)
			}
			if f.ipHeader != nil && !ipv4HeaderOK(f.ipHeader) {
				t.Errorf("IPv4 header checksum invalid")
			}
			var got Advert
			if r := Decode(f.payload, f.src, f.dst, &got); r != DropNone {
				t.Fatalf("Decode: %v", r)
			}
			if d := diffAdvert(v.want, got); d != "" {
				t.Errorf("Decode (-want +got):\n%s", d)
			}
			if got.IntervalDuration() != v.want.IntervalDuration() {
				t.Errorf("IntervalDuration %v", got.IntervalDuration())
			}

			// Encode the expected value and compare with the captured payload.
			enc := v.want
			enc.Checksum, enc.Count = 0, 0
			buf := make([]byte, MaxLen)
			n, err := enc.MarshalTo(buf, v.src, v.dst, v.want.Variant)
			if err != nil {
				t.Fatalf("MarshalTo: %v", err)
			}
			if string(buf[:n]) != string(f.payload) {
				t.Errorf("MarshalTo:\n got % x\nwant % x", buf[:n], f.payload)
			}
			if enc.Checksum != v.want.Checksum || enc.Count != v.want.Count {
				t.Errorf("MarshalTo set checksum %#04x count %d, want %#04x %d", enc.Checksum, enc.Count, v.want.Checksum, v.want.Count)
			}
			if l := enc.Len(); l != n {
				t.Errorf("Len() = %d, MarshalTo wrote %d", l, n)
			}
		})
	}
}

// TestV3IPv4OtherVariant re-encodes the keepalived VRRPv3/IPv4 vectors with
// the RFC 9568 (no pseudo-header) checksum: Decode must accept both and say
// which one matched, and a corrupted checksum matches neither.
func TestV3IPv4OtherVariant(t *testing.T) {
	for _, file := range []string{"vec_vrrp3_adv.pcap", "vec_vrrp3_3vip.pcap", "vec_vrrp3_prio0.pcap"} {
		f := parseFrame(t, readPcap(t, file)[0])
		var a Advert
		if r := Decode(f.payload, f.src, f.dst, &a); r != DropNone {
			t.Fatalf("%s: %v", file, r)
		}
		buf := make([]byte, MaxLen)
		n, err := a.MarshalTo(buf, f.src, f.dst, ChecksumNoPseudoHeader)
		if err != nil {
			t.Fatal(err)
		}
		// The only difference is the checksum field.
		if string(buf[:6]) != string(f.payload[:6]) || string(buf[8:n]) != string(f.payload[8:]) {
			t.Errorf("%s: re-encoding changed more than the checksum", file)
		}
		if string(buf[6:8]) == string(f.payload[6:8]) {
			t.Errorf("%s: both variants produced the same checksum", file)
		}
		var b Advert
		if r := Decode(buf[:n], f.src, f.dst, &b); r != DropNone || b.Variant != ChecksumNoPseudoHeader {
			t.Errorf("%s: no-pseudo-header variant: %v %v", file, r, b.Variant)
		}
		// As the checksum over the message alone, it is the v2-style sum.
		if checksum(buf[:n], netip.Addr{}, netip.Addr{}, ChecksumNoPseudoHeader) != 0 {
			t.Errorf("%s: not a valid message-only checksum", file)
		}
		buf[7] ^= 0x01
		if r := Decode(buf[:n], f.src, f.dst, &b); r != DropBadChecksum {
			t.Errorf("%s: corrupted checksum: got %v, want bad_checksum", file, r)
		}
		// With the wrong pseudo-header (another source), the keepalived
		// variant no longer verifies.
		if r := Decode(f.payload, n2, f.dst, &b); r != DropBadChecksum {
			t.Errorf("%s: wrong source for pseudo-header: got %v", file, r)
		}
	}
}

func TestAHVector(t *testing.T) {
	f := parseFrame(t, readPcap(t, "vec_vrrp2_ah.pcap")[0])
	if f.proto != IPProtocolAH {
		t.Fatalf("proto %d, want 51", f.proto)
	}
	if !ipv4HeaderOK(f.ipHeader) {
		t.Errorf("IPv4 header checksum invalid")
	}
	ah, inner, r := DecodeAH(f.payload)
	if r != DropNone {
		t.Fatal(r)
	}
	if ah.NextHeader != IPProtocol || ah.PayloadLen != 4 || ah.SPI != 0x0a630001 || ah.Seq != 1 {
		t.Errorf("AH = %+v", ah)
	}
	var a Advert
	if r := Decode(inner, f.src, f.dst, &a); r != DropNone {
		t.Fatalf("Decode: %v", r)
	}
	if a.Version != 2 || a.VRID != 55 || a.Priority != 150 || a.Count != 1 || a.AuthType != AuthAH ||
		a.Interval != 1 || a.Checksum != 0x3bff || a.AuthData != [8]byte{} {
		t.Errorf("AH inner advert = %+v", a)
	}
	// The checksum is valid nonetheless (message only).
	if checksum(inner, f.src, f.dst, ChecksumNoPseudoHeader) != 0 {
		t.Errorf("inner checksum invalid")
	}
	if _, _, r := DecodeAH(f.payload[:20]); r != DropShortPacket {
		t.Errorf("short AH: %v", r)
	}
}

// TestRunCaptures decodes every packet of the multi-packet captures and
// re-encodes each byte for byte.
func TestRunCaptures(t *testing.T) {
	for _, file := range []string{"vec_run_v2_noauth_3vip.pcap", "vec_run_v3_3vip.pcap", "vec_run_v3_ipv6.pcap", "vec_run_v2_ah.pcap"} {
		t.Run(file, func(t *testing.T) {
			frames := readPcap(t, file)
			var nVRRP int
			for i, fr := range frames {
				if et := binary.BigEndian.Uint16(fr[12:]); et != 0x0800 && et != 0x86dd {
					continue // ARP / NA around the transition
				}
				f := parseFrame(t, fr)
				payload := f.payload
				switch f.proto {
				case IPProtocol:
				case IPProtocolAH:
					_, payload, _ = DecodeAH(f.payload)
				default:
					continue
				}
				nVRRP++
				if f.ttl != TTL {
					t.Errorf("frame %d: TTL %d", i, f.ttl)
				}
				var a Advert
				if r := Decode(payload, f.src, f.dst, &a); r != DropNone {
					t.Fatalf("frame %d: Decode %v", i, r)
				}
				buf := make([]byte, MaxLen)
				n, err := a.MarshalTo(buf, f.src, f.dst, a.Variant)
				if err != nil {
					t.Fatal(err)
				}
				if string(buf[:n]) != string(payload) {
					t.Errorf("frame %d:\n got % x\nwant % x", i, buf[:n], payload)
				}
			}
			if nVRRP == 0 {
				t.Fatal("no VRRP packets in capture")
			}
			t.Logf("%d VRRP packets", nVRRP)
		})
	}
}

// TestCARPIsNotVRRP: ucarp's CARP advert shares protocol 112 and the version
// nibble 2, but its length disagrees with a VRRP address count.
func TestCARPIsNotVRRP(t *testing.T) {
	f := parseFrame(t, readPcap(t, "vec_carp_adv.pcap")[0])
	var a Advert
	r := Decode(f.payload, f.src, f.dst, &a)
	if r == DropNone {
		t.Fatalf("CARP decoded as VRRP: %+v", a)
	}
	t.Logf("CARP dropped as %v", r)
}
