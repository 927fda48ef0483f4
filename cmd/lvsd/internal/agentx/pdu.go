package agentx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// PDUType is the h.type field of the AgentX header (RFC 2741 6.1).
type PDUType uint8

// The PDU types.
const (
	TypeOpen            PDUType = 1
	TypeClose           PDUType = 2
	TypeRegister        PDUType = 3
	TypeUnregister      PDUType = 4
	TypeGet             PDUType = 5
	TypeGetNext         PDUType = 6
	TypeGetBulk         PDUType = 7
	TypeTestSet         PDUType = 8
	TypeCommitSet       PDUType = 9
	TypeUndoSet         PDUType = 10
	TypeCleanupSet      PDUType = 11
	TypeNotify          PDUType = 12
	TypePing            PDUType = 13
	TypeIndexAllocate   PDUType = 14
	TypeIndexDeallocate PDUType = 15
	TypeAddAgentCaps    PDUType = 16
	TypeRemoveAgentCaps PDUType = 17
	TypeResponse        PDUType = 18
)

var typeNames = [...]string{"", "Open", "Close", "Register", "Unregister", "Get", "GetNext", "GetBulk",
	"TestSet", "CommitSet", "UndoSet", "CleanupSet", "Notify", "Ping", "IndexAllocate",
	"IndexDeallocate", "AddAgentCaps", "RemoveAgentCaps", "Response"}

func (t PDUType) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("PDUType(%d)", uint8(t))
}

// Header flags (RFC 2741 6.1).
const (
	FlagInstanceRegistration = 0x01
	FlagNewIndex             = 0x02
	FlagAnyIndex             = 0x04
	FlagNonDefaultContext    = 0x08
	FlagNetworkByteOrder     = 0x10
)

// Close reasons (RFC 2741 6.2.2).
const (
	CloseOther         = 1
	CloseParseError    = 2
	CloseProtocolError = 3
	CloseTimeouts      = 4
	CloseShutdown      = 5
	CloseByManager     = 6
)

// Response errors (RFC 2741 6.2.16): the AgentX ones, and the SNMP ones a
// subagent returns.
const (
	ErrNone                  = 0
	ErrGenErr                = 5
	ErrNotWritable           = 17
	ErrOpenFailed            = 256
	ErrNotOpen               = 257
	ErrUnsupportedContext    = 262
	ErrDuplicateRegistration = 263
	ErrParseError            = 266
	ErrRequestDenied         = 267
	ErrProcessingError       = 268
)

// HeaderLen is the size of the fixed header; its last four bytes are the
// payload length (Length reads it, to frame a stream).
const HeaderLen = 20

// MaxPayload bounds the payload a Decode accepts (a hostile or broken peer
// cannot make it allocate more).
const MaxPayload = 1 << 20

// maxSubIDs is the largest OID accepted (RFC 2741 5.1: n_subid up to 128).
const maxSubIDs = 128

// ErrShort is returned by Decode and Length when the buffer does not yet
// hold a whole header or PDU.
var ErrShort = errors.New("agentx: short buffer")

// VarType is a varbind's v.type (RFC 2741 5.4).
type VarType uint16

// The varbind types.
const (
	Integer        VarType = 2
	OctetString    VarType = 4
	Null           VarType = 5
	ObjectID       VarType = 6
	IPAddress      VarType = 64
	Counter32      VarType = 65
	Gauge32        VarType = 66
	TimeTicks      VarType = 67
	Opaque         VarType = 68
	Counter64      VarType = 70
	NoSuchObject   VarType = 128
	NoSuchInstance VarType = 129
	EndOfMibView   VarType = 130
)

// VarBind is one variable binding. Value's Go type follows Type: int32
// (Integer), []byte (OctetString, Opaque), OID (ObjectID), netip.Addr
// (IPAddress, IPv4), uint32 (Counter32, Gauge32, TimeTicks), uint64
// (Counter64), nil (Null, NoSuchObject, NoSuchInstance, EndOfMibView).
type VarBind struct {
	Name  OID
	Type  VarType
	Value any
}

// SearchRange is a Get/GetNext/GetBulk range (RFC 2741 5.2). Include is the
// start OID's include flag; an empty End means no upper bound.
type SearchRange struct {
	Start   OID
	Include bool
	End     OID
}

// PDU is one AgentX message. Only the fields of its Type are meaningful.
type PDU struct {
	Type          PDUType
	Flags         uint8
	SessionID     uint32
	TransactionID uint32
	PacketID      uint32
	Context       []byte // with FlagNonDefaultContext

	// Open
	Timeout uint8
	ID      OID
	Descr   []byte
	// Close
	Reason uint8
	// Register, Unregister (Timeout too)
	Priority   uint8
	RangeSubID uint8
	Subtree    OID
	UpperBound uint32
	// Get, GetNext, GetBulk
	Ranges         []SearchRange
	NonRepeaters   uint16
	MaxRepetitions uint16
	// Notify, Response
	VarBinds []VarBind
	// Response
	SysUpTime uint32
	Error     uint16
	Index     uint16
}

// hasContext: the PDU types whose payload may start with a context.
func hasContext(t PDUType) bool {
	switch t {
	case TypeRegister, TypeUnregister, TypeGet, TypeGetNext, TypeGetBulk, TypeTestSet,
		TypeNotify, TypePing, TypeIndexAllocate, TypeIndexDeallocate, TypeAddAgentCaps, TypeRemoveAgentCaps:
		return true
	}
	return false
}

// Length returns the total size (header plus payload) of the PDU that
// starts b, or ErrShort when b holds less than a header.
func Length(b []byte) (int, error) {
	if len(b) < HeaderLen {
		return 0, ErrShort
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[2]&FlagNetworkByteOrder != 0 {
		bo = binary.BigEndian
	}
	n := bo.Uint32(b[16:20])
	if n > MaxPayload {
		return 0, fmt.Errorf("agentx: decode header: payload length %d over %d", n, MaxPayload)
	}
	if n%4 != 0 {
		return 0, fmt.Errorf("agentx: decode header: payload length %d not a multiple of 4", n)
	}
	return HeaderLen + int(n), nil
}

// reader walks a payload in the byte order of its header.
type reader struct {
	b   []byte
	bo  binary.ByteOrder
	err error
}

var errTrunc = errors.New("truncated")

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail(errTrunc)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return r.bo.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return r.bo.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		// A 64-bit integer in the header's byte order (net-snmp writes the
		// low word first in little-endian order, the high word first in
		// network order).
		return r.bo.Uint64(v)
	}
	return 0
}

// oid reads an OID and its include field.
func (r *reader) oid() (OID, bool) {
	n := int(r.u8())
	prefix := r.u8()
	include := r.u8()
	r.u8() // reserved
	if r.err != nil {
		return nil, false
	}
	if n > maxSubIDs {
		r.fail(fmt.Errorf("oid with %d sub-identifiers", n))
		return nil, false
	}
	var o OID
	if prefix != 0 {
		o = make(OID, 0, 5+n)
		o = append(o, 1, 3, 6, 1, uint32(prefix))
	} else {
		o = make(OID, 0, n)
	}
	for i := 0; i < n; i++ {
		o = append(o, r.u32())
	}
	if r.err != nil {
		return nil, false
	}
	return o, include != 0
}

func (r *reader) octets() []byte {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if n > uint32(len(r.b)) {
		r.fail(errTrunc)
		return nil
	}
	v := append([]byte{}, r.take(int(n))...)
	if pad := (4 - int(n)%4) % 4; pad > 0 {
		r.take(pad)
	}
	return v
}

func (r *reader) varbind() VarBind {
	t := VarType(r.u16())
	r.u16()
	name, _ := r.oid()
	vb := VarBind{Name: name, Type: t}
	switch t {
	case Integer:
		vb.Value = int32(r.u32())
	case OctetString, Opaque:
		vb.Value = r.octets()
	case ObjectID:
		o, _ := r.oid()
		vb.Value = o
	case IPAddress:
		b := r.octets()
		if r.err == nil && len(b) != 4 {
			r.fail(fmt.Errorf("IpAddress of %d bytes", len(b)))
		}
		if len(b) == 4 {
			vb.Value = netip.AddrFrom4([4]byte(b))
		}
	case Counter32, Gauge32, TimeTicks:
		vb.Value = r.u32()
	case Counter64:
		vb.Value = r.u64()
	case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
	default:
		r.fail(fmt.Errorf("varbind type %d", t))
	}
	return vb
}

// Decode reads the PDU at the start of b and returns it with the number of
// bytes it used. ErrShort means b does not hold it all yet.
func Decode(b []byte) (PDU, int, error) {
	n, err := Length(b)
	if err != nil {
		return PDU{}, 0, err
	}
	if len(b) < n {
		return PDU{}, 0, ErrShort
	}
	p := PDU{Type: PDUType(b[1]), Flags: b[2]}
	if b[0] != 1 {
		return PDU{}, n, fmt.Errorf("agentx: decode: version %d", b[0])
	}
	r := reader{b: b[HeaderLen:n], bo: binary.LittleEndian}
	if p.Flags&FlagNetworkByteOrder != 0 {
		r.bo = binary.BigEndian
	}
	p.SessionID = r.bo.Uint32(b[4:8])
	p.TransactionID = r.bo.Uint32(b[8:12])
	p.PacketID = r.bo.Uint32(b[12:16])
	if p.Flags&FlagNonDefaultContext != 0 {
		if hasContext(p.Type) {
			p.Context = r.octets()
		} else {
			p.Flags &^= FlagNonDefaultContext // meaningless here: dropped
		}
	}
	switch p.Type {
	case TypeOpen:
		p.Timeout = r.u8()
		r.take(3)
		p.ID, _ = r.oid()
		p.Descr = r.octets()
	case TypeClose:
		p.Reason = r.u8()
		r.take(3)
	case TypeRegister, TypeUnregister:
		p.Timeout = r.u8() // reserved in Unregister
		p.Priority = r.u8()
		p.RangeSubID = r.u8()
		r.u8()
		p.Subtree, _ = r.oid()
		if p.RangeSubID != 0 {
			if int(p.RangeSubID) > len(p.Subtree) {
				r.fail(fmt.Errorf("range_subid %d past the subtree's %d", p.RangeSubID, len(p.Subtree)))
			}
			p.UpperBound = r.u32()
		}
	case TypeGetBulk:
		p.NonRepeaters = r.u16()
		p.MaxRepetitions = r.u16()
		fallthrough
	case TypeGet, TypeGetNext:
		for len(r.b) > 0 && r.err == nil {
			var sr SearchRange
			sr.Start, sr.Include = r.oid()
			sr.End, _ = r.oid()
			p.Ranges = append(p.Ranges, sr)
		}
	case TypeTestSet, TypeNotify:
		for len(r.b) > 0 && r.err == nil {
			p.VarBinds = append(p.VarBinds, r.varbind())
		}
	case TypeResponse:
		p.SysUpTime = r.u32()
		p.Error = r.u16()
		p.Index = r.u16()
		for len(r.b) > 0 && r.err == nil {
			p.VarBinds = append(p.VarBinds, r.varbind())
		}
	case TypeCommitSet, TypeUndoSet, TypeCleanupSet, TypePing:
	default:
		return PDU{}, n, fmt.Errorf("agentx: decode: unknown PDU type %d", b[1])
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Errorf("%d trailing bytes", len(r.b)))
	}
	if r.err != nil {
		return PDU{}, n, fmt.Errorf("agentx: decode %v: %w", p.Type, r.err)
	}
	return p, n, nil
}

// writer appends in network byte order.
type writer struct {
	b   []byte
	err error
}

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }

func (w *writer) oid(o OID, include bool) {
	var prefix uint8
	subs := o
	if len(o) >= 5 && o[0] == 1 && o[1] == 3 && o[2] == 6 && o[3] == 1 && o[4] != 0 && o[4] < 256 {
		prefix = uint8(o[4])
		subs = o[5:]
	}
	if len(subs) > maxSubIDs {
		if w.err == nil {
			w.err = fmt.Errorf("oid %v: over %d sub-identifiers", o, maxSubIDs)
		}
		return
	}
	w.u8(uint8(len(subs)))
	w.u8(prefix)
	if include {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.u8(0)
	for _, v := range subs {
		w.u32(v)
	}
}

func (w *writer) octets(v []byte) {
	w.u32(uint32(len(v)))
	w.b = append(w.b, v...)
	for i := len(v); i%4 != 0; i++ {
		w.b = append(w.b, 0)
	}
}

func (w *writer) varbind(vb VarBind) error {
	w.u16(uint16(vb.Type))
	w.u16(0)
	w.oid(vb.Name, false)
	bad := func() error {
		return fmt.Errorf("varbind %v: type %d with a %T value", vb.Name, vb.Type, vb.Value)
	}
	switch vb.Type {
	case Integer:
		v, ok := vb.Value.(int32)
		if !ok {
			return bad()
		}
		w.u32(uint32(v))
	case OctetString, Opaque:
		switch v := vb.Value.(type) {
		case []byte:
			w.octets(v)
		case string:
			w.octets([]byte(v))
		default:
			return bad()
		}
	case ObjectID:
		v, ok := vb.Value.(OID)
		if !ok {
			return bad()
		}
		w.oid(v, false)
	case IPAddress:
		v, ok := vb.Value.(netip.Addr)
		if !ok || !v.Is4() {
			return bad()
		}
		a := v.As4()
		w.octets(a[:])
	case Counter32, Gauge32, TimeTicks:
		v, ok := vb.Value.(uint32)
		if !ok {
			return bad()
		}
		w.u32(v)
	case Counter64:
		v, ok := vb.Value.(uint64)
		if !ok {
			return bad()
		}
		w.u64(v)
	case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
	default:
		return bad()
	}
	return nil
}

// Encode writes p in network byte order (FlagNetworkByteOrder is set; a
// Context sets FlagNonDefaultContext).
func Encode(p *PDU) ([]byte, error) {
	w := writer{b: make([]byte, HeaderLen, 64)}
	flags := p.Flags | FlagNetworkByteOrder
	if p.Context != nil && hasContext(p.Type) {
		flags |= FlagNonDefaultContext
		w.octets(p.Context)
	} else {
		flags &^= FlagNonDefaultContext
	}
	switch p.Type {
	case TypeOpen:
		w.u8(p.Timeout)
		w.u8(0)
		w.u8(0)
		w.u8(0)
		w.oid(p.ID, false)
		w.octets(p.Descr)
	case TypeClose:
		w.u8(p.Reason)
		w.u8(0)
		w.u8(0)
		w.u8(0)
	case TypeRegister, TypeUnregister:
		w.u8(p.Timeout)
		w.u8(p.Priority)
		w.u8(p.RangeSubID)
		w.u8(0)
		w.oid(p.Subtree, false)
		if p.RangeSubID != 0 {
			w.u32(p.UpperBound)
		}
	case TypeGetBulk:
		w.u16(p.NonRepeaters)
		w.u16(p.MaxRepetitions)
		fallthrough
	case TypeGet, TypeGetNext:
		for _, sr := range p.Ranges {
			w.oid(sr.Start, sr.Include)
			w.oid(sr.End, false)
		}
	case TypeTestSet, TypeNotify, TypeResponse:
		if p.Type == TypeResponse {
			w.u32(p.SysUpTime)
			w.u16(p.Error)
			w.u16(p.Index)
		}
		for _, vb := range p.VarBinds {
			if err := w.varbind(vb); err != nil {
				return nil, fmt.Errorf("agentx: encode %v: %w", p.Type, err)
			}
		}
	case TypeCommitSet, TypeUndoSet, TypeCleanupSet, TypePing:
	default:
		return nil, fmt.Errorf("agentx: encode: unknown PDU type %d", p.Type)
	}
	if w.err != nil {
		return nil, fmt.Errorf("agentx: encode %v: %w", p.Type, w.err)
	}
	b := w.b
	b[0] = 1
	b[1] = uint8(p.Type)
	b[2] = flags
	b[3] = 0
	binary.BigEndian.PutUint32(b[4:], p.SessionID)
	binary.BigEndian.PutUint32(b[8:], p.TransactionID)
	binary.BigEndian.PutUint32(b[12:], p.PacketID)
	binary.BigEndian.PutUint32(b[16:], uint32(len(b)-HeaderLen))
	return b, nil
}
