package carp

import "net/netip"

// Filter holds what one virtual host accepts. Build it once; Check uses
// Key, so a Filter is not safe for concurrent use.
type Filter struct {
	VHID uint8
	// Src is our own source address (--srcip): a frame from it is our own
	// advertisement looped back.
	Src netip.Addr
	// Group is the destination adverts must have (--mcastip; ucarp checks
	// it with --nomcast too).
	Group netip.Addr
	Key   *Key
}

// Check applies the virtual host's checks to a frame DecodeFrame accepted,
// in ucarp's order: own source, TTL, vhid, destination, HMAC.
func (f *Filter) Check(a *Advert) DropReason {
	if a.Src == f.Src {
		return DropLoopedBack
	}
	if a.TTL != TTL {
		return DropBadTTL
	}
	if a.VHID != f.VHID {
		return DropOtherVHID
	}
	if a.Dst != f.Group {
		return DropOtherGroup
	}
	if !f.Key.Verify(a) {
		return DropBadAuth
	}
	return DropNone
}
