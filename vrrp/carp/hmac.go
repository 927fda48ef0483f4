package carp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
)

// MaxPassLen is the longest password ucarp accepts: its key buffer is 20
// bytes and holds the password with its terminating NUL.
const MaxPassLen = 19

// Key computes and checks the HMAC of advertisements as ucarp 1.5.2 does:
// HMAC-SHA1 keyed with the password (ucarp NUL-pads it to 20 bytes, which
// HMAC's own zero padding makes equivalent) over the CARP version (2), type
// (1), vhid, the virtual IPv4 address and the 64-bit counter, in that order
// and in network byte order. The advbase, advskew and source address are not
// covered. A Key is not safe for concurrent use.
type Key struct {
	msg [7 + 8]byte // version, type, vhid, address, then the counter
	mac hash.Hash
	buf [hmacLen]byte
}

// NewKey returns the key for one virtual host.
func NewKey(pass string, vhid uint8, vip netip.Addr) (*Key, error) {
	if pass == "" {
		return nil, fmt.Errorf("carp: key: empty password")
	}
	if len(pass) > MaxPassLen {
		return nil, fmt.Errorf("carp: key: password is %d bytes, ucarp accepts at most %d", len(pass), MaxPassLen)
	}
	for i := 0; i < len(pass); i++ {
		if pass[i] == 0 {
			return nil, fmt.Errorf("carp: key: password contains a NUL byte")
		}
	}
	if !vip.Is4() {
		return nil, fmt.Errorf("carp: key: virtual address %s is not IPv4", vip)
	}
	k := &Key{mac: hmac.New(sha1.New, []byte(pass))}
	k.msg[0] = Version
	k.msg[1] = TypeAdvert
	k.msg[2] = vhid
	v := vip.As4()
	copy(k.msg[3:7], v[:])
	return k, nil
}

// Sum returns the HMAC for counter.
func (k *Key) Sum(counter uint64) [hmacLen]byte {
	binary.BigEndian.PutUint64(k.msg[7:], counter)
	k.mac.Reset()
	k.mac.Write(k.msg[:])
	k.mac.Sum(k.buf[:0])
	return k.buf
}

// Sign sets a.MD for a.Counter.
func (k *Key) Sign(a *Advert) { a.MD = k.Sum(a.Counter) }

// Verify reports whether a.MD is the HMAC of a.Counter under this key.
func (k *Key) Verify(a *Advert) bool {
	md := k.Sum(a.Counter)
	return subtle.ConstantTimeCompare(md[:], a.MD[:]) == 1
}
