package agentx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode: Decode never panics, and what it accepts encodes and decodes
// back to the same PDU.
func FuzzDecode(f *testing.F) {
	for _, p := range []PDU{
		{Type: TypeOpen, Timeout: 5, ID: MustOID("1.3.6.1.4.1.9586.100.5"), Descr: []byte("lvsd")},
		{Type: TypeGetNext, Ranges: []SearchRange{{Start: MustOID("1.3.6.1.4.1.9586"), Include: true, End: OID{}}}},
		{Type: TypeGetBulk, NonRepeaters: 1, MaxRepetitions: 3, Ranges: []SearchRange{{Start: OID{1, 3}, End: OID{}}}},
		{Type: TypeRegister, RangeSubID: 2, Subtree: OID{1, 3, 6}, UpperBound: 9, Context: []byte("c")},
		{Type: TypeResponse, VarBinds: []VarBind{{Name: OID{1, 3, 6, 1, 2}, Type: Counter64, Value: uint64(3)}}},
	} {
		b, err := Encode(&p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Past bug shapes: truncated OID, little-endian header.
	f.Add([]byte{1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := Decode(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
		enc, err := Encode(&p)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", p, err)
		}
		q, _, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode of re-encoding: %v", err)
		}
		p.Flags |= FlagNetworkByteOrder
		if d := cmp.Diff(p, q, cmpOpts); d != "" {
			t.Fatalf("(-first +second)\n%s", d)
		}
	})
}
