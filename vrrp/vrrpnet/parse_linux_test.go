package vrrpnet

import (
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cmsg builds one control message.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func TestParseCmsg(t *testing.T) {
	pi6 := make([]byte, unix.SizeofInet6Pktinfo)
	copy(pi6, netip.MustParseAddr("ff02::12").AsSlice())
	*(*uint32)(unsafe.Pointer(&pi6[16])) = 7
	hop := make([]byte, 4)
	*(*int32)(unsafe.Pointer(&hop[0])) = 255
	oob := append(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, hop), cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, pi6)...)
	var m Meta
	parseCmsg6(oob, &m)
	if m.TTL != 255 || m.IfIndex != 7 || m.Dst != netip.MustParseAddr("ff02::12") {
		t.Errorf("IPv6 meta = %+v", m)
	}
	pi4 := make([]byte, unix.SizeofInet4Pktinfo)
	*(*int32)(unsafe.Pointer(&pi4[0])) = 3
	m = Meta{}
	parseCmsg4(cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pi4), &m)
	if m.IfIndex != 3 {
		t.Errorf("IPv4 ifindex = %d, want 3", m.IfIndex)
	}
	hdr := []byte{0x45, 0xc0, 0, 40, 0, 1, 0, 0, 255, 112, 0xd0, 0x2e, 10, 99, 0, 1, 224, 0, 0, 18}
	m = Meta{}
	if hl, ok := parseIPv4Header(hdr, &m); !ok || hl != 20 || m.TTL != 255 ||
		m.Src != netip.MustParseAddr("10.99.0.1") || m.Dst != netip.MustParseAddr("224.0.0.18") {
		t.Errorf("IPv4 header: hl %d ok %v meta %+v", hl, ok, m)
	}
	for _, bad := range [][]byte{nil, hdr[:19], append([]byte{0x46}, hdr[1:]...), append([]byte{0x65}, hdr[1:]...), append([]byte{0x44}, hdr[1:]...)} {
		if _, ok := parseIPv4Header(bad, &m); ok {
			t.Errorf("accepted % x", bad)
		}
	}
}

// FuzzParse feeds arbitrary control-message buffers and IPv4 headers to the
// receive-side parsers: they must never panic or read out of bounds.
func FuzzParse(f *testing.F) {
	f.Add(cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, make([]byte, unix.SizeofInet4Pktinfo)))
	f.Add(cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, make([]byte, unix.SizeofInet6Pktinfo)))
	f.Add([]byte{0x45, 0xc0, 0, 40, 0, 1, 0, 0, 255, 112, 0xd0, 0x2e, 10, 99, 0, 1, 224, 0, 0, 18})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		// the kernel hands over aligned buffers: keep the fuzzer's aligned too
		buf := make([]uint64, (len(b)+7)/8)
		oob := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), len(b))
		copy(oob, b)
		var m Meta
		parseCmsg4(oob, &m)
		parseCmsg6(oob, &m)
		if hl, ok := parseIPv4Header(b, &m); ok && (hl < 20 || hl > len(b)) {
			t.Fatalf("header length %d for %d bytes", hl, len(b))
		}
	})
}
