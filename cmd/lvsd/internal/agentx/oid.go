package agentx

import (
	"fmt"
	"strconv"
	"strings"
)

// OID is an object identifier, one element per sub-identifier.
type OID []uint32

// ParseOID reads a dotted OID ("1.3.6.1.4.1.9586", a leading dot allowed).
func ParseOID(s string) (OID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return OID{}, nil
	}
	parts := strings.Split(s, ".")
	o := make(OID, 0, len(parts))
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("agentx: parse oid %q: %w", s, err)
		}
		o = append(o, uint32(v))
	}
	return o, nil
}

// MustOID is ParseOID for constants known to be valid; it returns nil on an
// invalid string (no panic), which tests catch.
func MustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		return nil
	}
	return o
}

func (o OID) String() string {
	var b strings.Builder
	for i, v := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// Append returns o followed by subs, in a new slice.
func (o OID) Append(subs ...uint32) OID {
	out := make(OID, 0, len(o)+len(subs))
	return append(append(out, o...), subs...)
}

// HasPrefix reports whether p is a prefix of o (or equal to it).
func (o OID) HasPrefix(p OID) bool {
	if len(p) > len(o) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// Compare orders OIDs lexicographically: -1, 0 or 1.
func Compare(a, b OID) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
