package bfd

import (
	"testing"
)

func validPacket() Packet {
	return Packet{Version: 1, State: Up, DetectMult: 3, MyDiscr: 7, YourDiscr: 9,
		DesiredMinTx: 300000, RequiredMinRx: 300000, Poll: true, Diag: DiagExpired}
}

func TestRoundTrip(t *testing.T) {
	p := validPacket()
	b := p.Append(nil)
	if len(b) != HeaderLen {
		t.Fatalf("len %d", len(b))
	}
	got, drop := Decode(b)
	if drop != DropNone || got != p {
		t.Fatalf("Decode = %+v %v, want %+v", got, drop, p)
	}
}

// A packet as FRR's bfdd sends it while Down (captured layout).
func TestDecodeFRRDown(t *testing.T) {
	b := []byte{0x20, 0x40, 0x03, 0x18, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0,
		0x00, 0x0f, 0x42, 0x40, 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0xc3, 0x50}
	p, drop := Decode(b)
	if drop != DropNone {
		t.Fatal(drop)
	}
	if p.State != Down || p.DetectMult != 3 || p.MyDiscr != 1 || p.DesiredMinTx != 1000000 || p.RequiredMinRx != 300000 {
		t.Fatalf("%+v", p)
	}
}

func TestDecodeDrops(t *testing.T) {
	mod := func(f func(b []byte)) []byte {
		b := validPacket().Append(nil)
		f(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want Drop
	}{
		{"short", make([]byte, 23), DropShort},
		{"version", mod(func(b []byte) { b[0] = 2 << 5 }), DropVersion},
		{"length small", mod(func(b []byte) { b[3] = 20 }), DropLength},
		{"length big", mod(func(b []byte) { b[3] = 25 }), DropLength},
		{"auth", append(mod(func(b []byte) { b[1] |= 0x04; b[3] = 28 }), 1, 4, 1, 0), DropAuth},
		{"mult zero", mod(func(b []byte) { b[2] = 0 }), DropMultZero},
		{"multipoint", mod(func(b []byte) { b[1] |= 1 }), DropMultipoint},
		{"my discr", mod(func(b []byte) { copy(b[4:8], []byte{0, 0, 0, 0}) }), DropMyDiscrZero},
		{"your discr", mod(func(b []byte) { copy(b[8:12], []byte{0, 0, 0, 0}) }), DropYourDiscr},
		{"poll final", mod(func(b []byte) { b[1] |= 0x30 }), DropPollFinal},
		{"diag", mod(func(b []byte) { b[0] = 1<<5 | 9 }), DropDiag},
	}
	for _, tt := range tests {
		if _, got := Decode(tt.b); got != tt.want {
			t.Errorf("%s: drop %v, want %v", tt.name, got, tt.want)
		}
	}
	// your discriminator zero is fine while Down.
	b := mod(func(b []byte) { copy(b[8:12], []byte{0, 0, 0, 0}); b[1] = byte(Down) << 6 })
	if _, got := Decode(b); got != DropNone {
		t.Errorf("down with your discr 0: %v", got)
	}
	// trailing bytes beyond the length field are allowed (RFC 5880 6.8.6).
	if _, got := Decode(append(validPacket().Append(nil), 0, 0)); got != DropNone {
		t.Errorf("trailing: %v", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(validPacket().Append(nil))
	f.Add([]byte{0x20, 0x40, 0x03, 0x18, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 0, 4, 0x93, 0xe0, 0, 0, 0xc3, 0x50})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, drop := Decode(b)
		if drop >= NumDrops {
			t.Fatalf("drop %d", drop)
		}
		if drop != DropNone {
			return
		}
		// An accepted packet re-encodes to its first 24 bytes (the
		// length field is always written as 24).
		out := p.Append(nil)
		in := append([]byte(nil), b[:HeaderLen]...)
		in[3] = HeaderLen
		if string(out) != string(in) {
			t.Fatalf("re-encode %x, want %x", out, in)
		}
	})
}
