package carp

import "testing"

// BenchmarkAdvertRoundTrip: one advert signed and encoded, then decoded,
// checked and verified, as the send and receive paths do it.
func BenchmarkAdvertRoundTrip(b *testing.B) {
	k, _ := NewKey("s3cr3t", 10, vip)
	rk, _ := NewKey("s3cr3t", 10, vip)
	f := Filter{VHID: 10, Src: n2, Group: Group, Key: rk}
	a := NewAdvert(10, 1, 0, n1, Group, false)
	buf := make([]byte, FrameLen)
	var d Advert
	b.ReportAllocs()
	for b.Loop() {
		a.Counter++
		k.Sign(&a)
		n, _ := a.MarshalFrame(buf)
		if DecodeFrame(buf[:n], &d) != DropNone || f.Check(&d) != DropNone {
			b.Fatal("round trip failed")
		}
	}
}
