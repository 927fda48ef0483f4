package bfd

import (
	"encoding/binary"
	"fmt"
	"time"
)

// State is a BFD session state (RFC 5880 4.1, the Sta field).
type State uint8

// Session states, with their wire values.
const (
	AdminDown State = 0
	Down      State = 1
	Init      State = 2
	Up        State = 3
)

func (s State) String() string {
	switch s {
	case AdminDown:
		return "AdminDown"
	case Down:
		return "Down"
	case Init:
		return "Init"
	case Up:
		return "Up"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Diag is the diagnostic code (RFC 5880 4.1): why the session last left Up.
type Diag uint8

// Diagnostic codes.
const (
	DiagNone              Diag = 0
	DiagExpired           Diag = 1 // control detection time expired
	DiagEchoFailed        Diag = 2
	DiagNeighborDown      Diag = 3 // neighbor signaled session down
	DiagForwardingReset   Diag = 4
	DiagPathDown          Diag = 5
	DiagConcatPathDown    Diag = 6
	DiagAdminDown         Diag = 7
	DiagRevConcatPathDown Diag = 8
	numDiags                   = 9
)

var diagNames = [numDiags]string{
	"none", "expired", "echo_failed", "neighbor_down", "forwarding_reset",
	"path_down", "concat_path_down", "admin_down", "rev_concat_path_down",
}

func (d Diag) String() string {
	if d < numDiags {
		return diagNames[d]
	}
	return fmt.Sprintf("diag(%d)", uint8(d))
}

// Packet is a BFD control packet without authentication section. The
// intervals are carried in microseconds on the wire.
type Packet struct {
	Version    uint8
	Diag       Diag
	State      State
	Poll       bool
	Final      bool
	CPI        bool // control plane independent
	Auth       bool // authentication present (always dropped by Decode)
	Demand     bool
	Multipoint bool
	DetectMult uint8
	MyDiscr    uint32
	YourDiscr  uint32
	// DesiredMinTx, RequiredMinRx and RequiredMinEchoRx, microseconds.
	DesiredMinTx      uint32
	RequiredMinRx     uint32
	RequiredMinEchoRx uint32
}

// HeaderLen is the length of a control packet without authentication.
const HeaderLen = 24

// Append encodes p (version 1, length 24) at the end of b.
func (p Packet) Append(b []byte) []byte {
	var h [HeaderLen]byte
	h[0] = 1<<5 | byte(p.Diag)&0x1f
	f := byte(p.State&3) << 6
	for i, set := range [...]bool{p.Multipoint, p.Demand, p.Auth, p.CPI, p.Final, p.Poll} {
		if set {
			f |= 1 << i
		}
	}
	h[1] = f
	h[2] = p.DetectMult
	h[3] = HeaderLen
	binary.BigEndian.PutUint32(h[4:], p.MyDiscr)
	binary.BigEndian.PutUint32(h[8:], p.YourDiscr)
	binary.BigEndian.PutUint32(h[12:], p.DesiredMinTx)
	binary.BigEndian.PutUint32(h[16:], p.RequiredMinRx)
	binary.BigEndian.PutUint32(h[20:], p.RequiredMinEchoRx)
	return append(b, h[:]...)
}

// Drop says why a received packet was discarded (DropNone: accepted).
type Drop uint8

// Drop reasons. Keep dropNames in step.
const (
	DropNone        Drop = iota
	DropShort            // fewer than 24 bytes
	DropLength           // length field below 24 (26 with auth) or above the datagram
	DropVersion          // version not 1
	DropMultZero         // detect multiplier zero
	DropMultipoint       // M bit set
	DropMyDiscrZero      // my discriminator zero
	DropYourDiscr        // your discriminator zero while state is not Down/AdminDown
	DropPollFinal        // both Poll and Final set
	DropDiag             // diagnostic code unknown
	DropAuth             // A bit set: authentication is not supported
	DropTTL              // received TTL/hop limit below ttl - max_hops (GTSM)
	DropNoSession        // no session for the source/destination addresses
	DropDiscr            // your discriminator is not the session's
	DropAdminDown        // the local session is AdminDown
	NumDrops
)

var dropNames = [NumDrops]string{
	"none", "short", "bad_length", "bad_version", "mult_zero", "multipoint",
	"my_discr_zero", "your_discr_zero", "poll_and_final", "bad_diag", "auth",
	"ttl", "no_session", "bad_discr", "admin_down",
}

// String returns the drop reason's metric label.
func (d Drop) String() string {
	if d < NumDrops {
		return dropNames[d]
	}
	return fmt.Sprintf("drop(%d)", uint8(d))
}

// Decode parses a control packet and checks it as RFC 5880 6.8.6 (and
// keepalived's bfd_check_packet) say. It returns the reason when the packet
// must be discarded.
func Decode(b []byte) (Packet, Drop) {
	var p Packet
	if len(b) < HeaderLen {
		return p, DropShort
	}
	p.Version = b[0] >> 5
	p.Diag = Diag(b[0] & 0x1f)
	f := b[1]
	p.State = State(f >> 6)
	p.Poll = f&0x20 != 0
	p.Final = f&0x10 != 0
	p.CPI = f&0x08 != 0
	p.Auth = f&0x04 != 0
	p.Demand = f&0x02 != 0
	p.Multipoint = f&0x01 != 0
	p.DetectMult = b[2]
	p.MyDiscr = binary.BigEndian.Uint32(b[4:])
	p.YourDiscr = binary.BigEndian.Uint32(b[8:])
	p.DesiredMinTx = binary.BigEndian.Uint32(b[12:])
	p.RequiredMinRx = binary.BigEndian.Uint32(b[16:])
	p.RequiredMinEchoRx = binary.BigEndian.Uint32(b[20:])
	if p.Version != 1 {
		return p, DropVersion
	}
	l := int(b[3])
	minLen := HeaderLen
	if p.Auth {
		minLen = HeaderLen + 2
	}
	if l < minLen || l > len(b) {
		return p, DropLength
	}
	switch {
	case p.Auth:
		return p, DropAuth
	case p.DetectMult == 0:
		return p, DropMultZero
	case p.Multipoint:
		return p, DropMultipoint
	case p.MyDiscr == 0:
		return p, DropMyDiscrZero
	case p.YourDiscr == 0 && p.State != Down && p.State != AdminDown:
		return p, DropYourDiscr
	case p.Poll && p.Final:
		return p, DropPollFinal
	case p.Diag >= numDiags:
		return p, DropDiag
	}
	return p, DropNone
}

func usec(d time.Duration) uint32 {
	u := d.Microseconds()
	if u > 1<<32-1 {
		return 1<<32 - 1
	}
	if u < 0 {
		return 0
	}
	return uint32(u)
}

func fromUsec(u uint32) time.Duration { return time.Duration(u) * time.Microsecond }
