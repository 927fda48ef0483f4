package carp

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readPcap returns the frames of a little-endian microsecond pcap file.
func readPcap(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap file", name)
	}
	var frames [][]byte
	for off := 24; off+16 <= len(b); {
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

var (
	n1  = netip.MustParseAddr("10.99.0.1")
	n2  = netip.MustParseAddr("10.99.0.2")
	vip = netip.MustParseAddr("10.99.0.100")
)

// The ucarp capture: `ucarp -v 10 -p s3cr3t -b 1 -k 0 -P` on n1 (PACKETS.md).
func TestDecodeUcarpCapture(t *testing.T) {
	f := readPcap(t, "vec_carp_adv.pcap")[0]
	var a Advert
	if r := DecodeFrame(f, &a); r != DropNone {
		t.Fatalf("DecodeFrame: %v", r)
	}
	want := Advert{
		DstMAC: [6]byte{0x01, 0, 0x5e, 0, 0, 0x12}, SrcMAC: [6]byte{0, 0, 0x5e, 0, 0, 10},
		TOS: 0x10, ID: 28718, FragOff: IPFlagDF, TTL: 255, Src: n1, Dst: Group,
		Version: 2, Type: 1, VHID: 10, AdvSkew: 0, AuthLen: 7, Demote: 0, AdvBase: 1,
		Counter: 0x57f37bec1dd1e53b,
		MD:      [20]byte{0xdd, 0xe5, 0x09, 0x88, 0x37, 0x19, 0x08, 0xee, 0x71, 0x1d, 0x78, 0x8a, 0xa4, 0x47, 0xa6, 0x2c, 0x51, 0x07, 0x5d, 0x84},
	}
	if d := cmp.Diff(want, a, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); d != "" {
		t.Fatalf("decoded (-want +got):\n%s", d)
	}
	buf := make([]byte, 128)
	n, err := a.MarshalFrame(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:n], f) {
		t.Fatalf("re-encoded\n% x\nwant\n% x", buf[:n], f)
	}
	// What lvsd would send in ucarp's place is the same frame.
	b := NewAdvert(10, 1, 0, n1, Group, false)
	b.ID, b.Counter = a.ID, a.Counter
	k, err := NewKey("s3cr3t", 10, vip)
	if err != nil {
		t.Fatal(err)
	}
	k.Sign(&b)
	n, _ = b.MarshalFrame(buf)
	if !bytes.Equal(buf[:n], f) {
		t.Fatalf("NewAdvert+Sign\n% x\nwant\n% x", buf[:n], f)
	}
}

func TestFilterUcarpCapture(t *testing.T) {
	f := readPcap(t, "vec_carp_adv.pcap")[0]
	var a Advert
	if r := DecodeFrame(f, &a); r != DropNone {
		t.Fatal(r)
	}
	key := func(pass string, vhid uint8, v netip.Addr) *Key {
		k, err := NewKey(pass, vhid, v)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want DropReason
	}{
		{"accepted", Filter{VHID: 10, Src: n2, Group: Group, Key: key("s3cr3t", 10, vip)}, DropNone},
		{"wrong password", Filter{VHID: 10, Src: n2, Group: Group, Key: key("s3cr3T", 10, vip)}, DropBadAuth},
		{"other vip", Filter{VHID: 10, Src: n2, Group: Group, Key: key("s3cr3t", 10, netip.MustParseAddr("10.99.0.101"))}, DropBadAuth},
		{"other vhid", Filter{VHID: 11, Src: n2, Group: Group, Key: key("s3cr3t", 11, vip)}, DropOtherVHID},
		{"own", Filter{VHID: 10, Src: n1, Group: Group, Key: key("s3cr3t", 10, vip)}, DropLoopedBack},
		{"other group", Filter{VHID: 10, Src: n2, Group: netip.MustParseAddr("224.0.0.19"), Key: key("s3cr3t", 10, vip)}, DropOtherGroup},
	} {
		if got := tc.f.Check(&a); got != tc.want {
			t.Errorf("%s: Check = %v, want %v", tc.name, got, tc.want)
		}
	}
	a.TTL = 1
	fl := Filter{VHID: 10, Src: n2, Group: Group, Key: key("s3cr3t", 10, vip)}
	if got := fl.Check(&a); got != DropBadTTL {
		t.Errorf("TTL 1: %v", got)
	}
}

func TestDecodeDrops(t *testing.T) {
	good := readPcap(t, "vec_carp_adv.pcap")[0]
	mod := func(fn func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		fn(b)
		return b
	}
	// fix recomputes both checksums after a field change.
	fix := func(b []byte) {
		b[24], b[25] = 0, 0
		binary.BigEndian.PutUint16(b[24:], checksum(b[14:34]))
		b[40], b[41] = 0, 0
		binary.BigEndian.PutUint16(b[40:], checksum(b[34:70]))
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want DropReason
	}{
		{"empty", nil, DropShortFrame},
		{"truncated", good[:60], DropBadIPHeader},
		{"arp", readPcap(t, "vec_garp_ucarp.pcap")[0], DropNotIPv4},
		{"ip version", mod(func(b []byte) { b[14] = 0x65 }), DropNotIPv4},
		{"ihl", mod(func(b []byte) { b[14] = 0x44 }), DropBadIPHeader},
		{"proto", mod(func(b []byte) { b[23] = 51 }), DropNotCARP},
		{"fragment", mod(func(b []byte) { b[20] = 0x20 }), DropFragment},
		{"short carp", mod(func(b []byte) { binary.BigEndian.PutUint16(b[16:], 40) }), DropShortFrame},
		{"ip checksum", mod(func(b []byte) { b[24]++ }), DropBadIPChecksum},
		{"carp checksum", mod(func(b []byte) { b[40]++ }), DropBadChecksum},
		{"version", mod(func(b []byte) { b[34] = 0x31; fix(b) }), DropBadVersion},
		{"type", mod(func(b []byte) { b[34] = 0x22; fix(b) }), DropBadType},
		{"authlen", mod(func(b []byte) { b[37] = 6; fix(b) }), DropBadAuthLen},
		{"padded", append(append([]byte(nil), good...), 0, 0, 0, 0), DropNone},
	} {
		var a Advert
		if got := DecodeFrame(tc.b, &a); got != tc.want {
			t.Errorf("%s: DecodeFrame = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestGARPUcarpCapture(t *testing.T) {
	f := readPcap(t, "vec_garp_ucarp.pcap")[0]
	buf := make([]byte, 64)
	n, err := MarshalGARP(buf, net.HardwareAddr{2, 0x99, 0, 0, 0, 2}, vip)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:n], f) {
		t.Fatalf("GARP\n% x\nwant\n% x", buf[:n], f)
	}
}

func TestNewKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		pass string
		vip  netip.Addr
	}{
		{"", vip},
		{"12345678901234567890", vip},
		{"a\x00b", vip},
		{"ok", netip.MustParseAddr("fd00::1")},
	} {
		if _, err := NewKey(tc.pass, 1, tc.vip); err == nil {
			t.Errorf("NewKey(%q, %v): no error", tc.pass, tc.vip)
		}
	}
	if _, err := NewKey("1234567890123456789", 1, vip); err != nil {
		t.Errorf("19-byte password: %v", err)
	}
}

func TestDropReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for r := DropReason(0); r < NumDropReasons; r++ {
		s := r.String()
		if s == "" || seen[s] {
			t.Errorf("reason %d: name %q empty or duplicate", r, s)
		}
		seen[s] = true
	}
}

func TestSignAllocs(t *testing.T) {
	k, _ := NewKey("s3cr3t", 10, vip)
	a := NewAdvert(10, 1, 0, n1, Group, false)
	buf := make([]byte, FrameLen)
	var d Advert
	allocs := testing.AllocsPerRun(100, func() {
		a.Counter++
		k.Sign(&a)
		n, _ := a.MarshalFrame(buf)
		if DecodeFrame(buf[:n], &d) != DropNone || !k.Verify(&d) {
			t.Fatal("round trip failed")
		}
	})
	if allocs != 0 {
		t.Errorf("send+receive path allocates %v per advert", allocs)
	}
}
