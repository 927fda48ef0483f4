package agentx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

func TestRoundTrip(t *testing.T) {
	ent := MustOID("1.3.6.1.4.1.9586.100.5")
	tests := []PDU{
		{Type: TypeOpen, SessionID: 0, PacketID: 1, Timeout: 5, ID: ent, Descr: []byte("lvsd")},
		{Type: TypeClose, SessionID: 7, PacketID: 2, Reason: CloseShutdown},
		{Type: TypeRegister, SessionID: 7, PacketID: 3, Timeout: 0, Priority: 127, Subtree: ent.Append(2)},
		{Type: TypeRegister, SessionID: 7, PacketID: 3, Priority: 127, RangeSubID: 9, Subtree: ent.Append(2, 3), UpperBound: 9},
		{Type: TypeUnregister, SessionID: 7, PacketID: 3, Priority: 127, Subtree: ent, Context: []byte("ctx")},
		{Type: TypeGet, SessionID: 7, TransactionID: 4, PacketID: 5, Ranges: []SearchRange{
			{Start: ent.Append(2, 3, 1, 2, 1), End: OID{}}}},
		{Type: TypeGetNext, SessionID: 7, TransactionID: 4, PacketID: 5, Ranges: []SearchRange{
			{Start: ent, Include: true, End: ent.Append(3)}, {Start: OID{1, 2, 3}, End: OID{}}}},
		{Type: TypeGetBulk, SessionID: 7, PacketID: 6, NonRepeaters: 1, MaxRepetitions: 10, Ranges: []SearchRange{
			{Start: ent, End: OID{}}}},
		{Type: TypeNotify, SessionID: 7, PacketID: 8, VarBinds: []VarBind{
			{Name: MustOID("1.3.6.1.2.1.1.3.0"), Type: TimeTicks, Value: uint32(4242)},
			{Name: MustOID("1.3.6.1.6.3.1.1.4.1.0"), Type: ObjectID, Value: ent.Append(2, 10, 0, 2)},
			{Name: ent.Append(2, 3, 1, 2, 1), Type: OctetString, Value: []byte("VI_1")},
			{Name: ent.Append(2, 3, 1, 4, 1), Type: Integer, Value: int32(-2)},
		}},
		{Type: TypeResponse, SessionID: 7, PacketID: 9, SysUpTime: 100, Error: ErrNotWritable, Index: 1, VarBinds: []VarBind{
			{Name: OID{1, 3, 6, 1, 2, 1, 1, 1, 0}, Type: OctetString, Value: []byte("abcde")},
			{Name: OID{1, 3, 6, 1, 2}, Type: IPAddress, Value: netip.MustParseAddr("192.0.2.1")},
			{Name: OID{1, 3, 6, 1, 3}, Type: Counter32, Value: uint32(1 << 31)},
			{Name: OID{1, 3, 6, 1, 4}, Type: Gauge32, Value: uint32(7)},
			{Name: OID{1, 3, 6, 1, 5}, Type: Counter64, Value: uint64(1<<40 + 3)},
			{Name: OID{1, 3, 6, 1, 6}, Type: Opaque, Value: []byte{}},
			{Name: OID{1, 3, 6, 1, 7}, Type: Null},
			{Name: OID{1, 3, 6, 1, 8}, Type: NoSuchObject},
			{Name: OID{1, 3, 6, 1, 9}, Type: NoSuchInstance},
			{Name: OID{2, 3}, Type: EndOfMibView},
		}},
		{Type: TypePing, SessionID: 7, PacketID: 10},
		{Type: TypeCommitSet, SessionID: 7, PacketID: 11},
		{Type: TypeTestSet, SessionID: 7, PacketID: 12, VarBinds: []VarBind{{Name: ent, Type: Integer, Value: int32(1)}}},
	}
	for _, p := range tests {
		t.Run(p.Type.String(), func(t *testing.T) {
			b, err := Encode(&p)
			if err != nil {
				t.Fatal(err)
			}
			got, n, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Errorf("used %d of %d bytes", n, len(b))
			}
			want := p
			want.Flags |= FlagNetworkByteOrder
			if p.Context != nil {
				want.Flags |= FlagNonDefaultContext
			}
			if d := cmp.Diff(want, got, cmpOpts); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestEncodeBytes pins the wire format: a GetNext of 1.3.6.1.4.1.9586
// uses prefix 4 and carries 2 sub-identifiers.
func TestEncodeBytes(t *testing.T) {
	b, err := Encode(&PDU{Type: TypeGetNext, SessionID: 1, TransactionID: 2, PacketID: 3,
		Ranges: []SearchRange{{Start: MustOID("1.3.6.1.4.1.9586"), Include: true, End: OID{1, 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		1, 6, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 24,
		2, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0x25, 0x72, // start: prefix 4, include, 1.9586
		2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, // end 1.3, no prefix
	}
	if !bytes.Equal(b, want) {
		t.Errorf("got  % x\nwant % x", b, want)
	}
}

// TestDecodeLittleEndian: a subagent or master may send without
// NETWORK_BYTE_ORDER; the fields are then little-endian.
func TestDecodeLittleEndian(t *testing.T) {
	le := binary.LittleEndian
	var b []byte
	b = append(b, 1, byte(TypeResponse), 0, 0)
	b = le.AppendUint32(b, 9)  // session
	b = le.AppendUint32(b, 8)  // transaction
	b = le.AppendUint32(b, 77) // packet
	b = le.AppendUint32(b, 0)  // length, set below
	b = le.AppendUint32(b, 1234)
	b = le.AppendUint16(b, ErrNone)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, uint16(Counter64))
	b = le.AppendUint16(b, 0)
	b = append(b, 1, 2, 0, 0) // 1.3.6.1.2.300
	b = le.AppendUint32(b, 300)
	b = le.AppendUint64(b, 1<<33+5)
	le.PutUint32(b[16:], uint32(len(b)-HeaderLen))
	got, _, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := PDU{Type: TypeResponse, SessionID: 9, TransactionID: 8, PacketID: 77, SysUpTime: 1234,
		VarBinds: []VarBind{{Name: OID{1, 3, 6, 1, 2, 300}, Type: Counter64, Value: uint64(1<<33 + 5)}}}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := Encode(&PDU{Type: TypeResponse, PacketID: 1, VarBinds: []VarBind{
		{Name: OID{1, 3, 6, 1, 2}, Type: IPAddress, Value: netip.MustParseAddr("192.0.2.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	setLen := func(b []byte) []byte { binary.BigEndian.PutUint32(b[16:], uint32(len(b)-HeaderLen)); return b }
	tests := map[string]struct {
		b     []byte
		short bool
	}{
		"header only half":  {b: good[:10], short: true},
		"payload missing":   {b: good[:len(good)-4], short: true},
		"version 2":         {b: mod(func(b []byte) []byte { b[0] = 2; return b })},
		"unknown type":      {b: mod(func(b []byte) []byte { b[1] = 99; return b })},
		"length not mult 4": {b: mod(func(b []byte) []byte { b[19]++; return append(b, 0) })},
		"huge length":       {b: mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[16:], 1<<30); return b })},
		"trailing bytes":    {b: mod(func(b []byte) []byte { return setLen(append(b, 0, 0, 0, 0)) })},
		"ipaddress 5 bytes": {b: mod(func(b []byte) []byte { b[len(b)-5] = 5; return setLen(append(b, 0, 0, 0, 0)) })},
		"varbind type 99":   {b: mod(func(b []byte) []byte { b[HeaderLen+9] = 99; return b })},
		"n_subid 200":       {b: mod(func(b []byte) []byte { b[HeaderLen+12] = 200; return b })},
		"n_subid past end":  {b: mod(func(b []byte) []byte { b[HeaderLen+12] = 100; return b })},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decode(tt.b)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrShort) != tt.short {
				t.Errorf("err %v: ErrShort %v, want %v", err, errors.Is(err, ErrShort), tt.short)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	long := make(OID, 129)
	for name, p := range map[string]PDU{
		"int as string": {Type: TypeResponse, VarBinds: []VarBind{{Name: OID{1}, Type: Integer, Value: "x"}}},
		"ipv6":          {Type: TypeResponse, VarBinds: []VarBind{{Name: OID{1}, Type: IPAddress, Value: netip.MustParseAddr("::1")}}},
		"oid too long":  {Type: TypeRegister, Subtree: long},
		"type 0":        {Type: 0},
	} {
		if _, err := Encode(&p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1.3.6", "1.3.6", 0}, {"1.3", "1.3.6", -1}, {"1.3.7", "1.3.6.1", 1}, {"", "1", -1}, {"1.10", "1.9", 1},
	} {
		if got := Compare(MustOID(tt.a), MustOID(tt.b)); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if _, err := ParseOID("1.x"); err == nil {
		t.Error("ParseOID(1.x): no error")
	}
}
