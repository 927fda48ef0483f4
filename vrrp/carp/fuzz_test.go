package carp

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary frames to DecodeFrame and Filter.Check: no
// panic, a reason in range, and an accepted frame without IP options
// re-encodes to its own bytes.
func FuzzDecode(f *testing.F) {
	f.Add(readPcap(f, "vec_carp_adv.pcap")[0])
	f.Add(readPcap(f, "vec_garp_ucarp.pcap")[0])
	f.Add([]byte{})
	k, err := NewKey("s3cr3t", 10, vip)
	if err != nil {
		f.Fatal(err)
	}
	fl := Filter{VHID: 10, Src: n2, Group: Group, Key: k}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Advert
		r := DecodeFrame(b, &a)
		if r >= NumDropReasons {
			t.Fatalf("reason out of range: %d", r)
		}
		if r != DropNone {
			return
		}
		if c := fl.Check(&a); c >= NumDropReasons {
			t.Fatalf("check reason out of range: %d", c)
		}
		if b[14]&0x0f != 5 {
			return
		}
		buf := make([]byte, FrameLen)
		n, err := a.MarshalFrame(buf)
		if err != nil {
			t.Fatalf("accepted frame does not re-encode: %v", err)
		}
		if !bytes.Equal(buf[:n], b[:n]) {
			t.Fatalf("re-encoded\n% x\nfrom\n% x", buf[:n], b[:n])
		}
	})
}
