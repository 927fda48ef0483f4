package carp

import "strconv"

// DropReason says why a received frame was not accepted. DropNone (0) means
// it was accepted. The values are dense, so a [NumDropReasons]-sized array
// counts them.
type DropReason uint8

// Drop reasons, in the order the checks run.
const (
	DropNone DropReason = iota
	// Structure (DecodeFrame).
	DropShortFrame    // shorter than Ethernet + IPv4 + CARP headers
	DropNotIPv4       // EtherType is not IPv4, or IP version is not 4
	DropBadIPHeader   // IHL below 5 or total length beyond the frame
	DropNotCARP       // IP protocol is not 112
	DropFragment      // a fragment (offset or more-fragments set)
	DropBadIPChecksum // IPv4 header checksum wrong
	DropBadChecksum   // CARP checksum wrong
	DropBadVersion    // CARP version is not 2
	DropBadType       // CARP type is not ADVERTISEMENT (1)
	DropBadAuthLen    // authlen is not 7 (counter + SHA1 HMAC)
	// Instance checks (Filter.Check).
	DropLoopedBack // our own advertisement (source is our source address)
	DropBadTTL     // TTL is not 255
	DropOtherVHID  // another virtual host's advertisement
	DropOtherGroup // destination is not our multicast address
	DropBadAuth    // HMAC mismatch: wrong password, vhid or virtual address

	// NumDropReasons is the number of drop reasons including DropNone.
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	DropNone:          "none",
	DropShortFrame:    "short_frame",
	DropNotIPv4:       "not_ipv4",
	DropBadIPHeader:   "bad_ip_header",
	DropNotCARP:       "not_carp",
	DropFragment:      "fragment",
	DropBadIPChecksum: "bad_ip_checksum",
	DropBadChecksum:   "bad_checksum",
	DropBadVersion:    "bad_version",
	DropBadType:       "bad_type",
	DropBadAuthLen:    "bad_authlen",
	DropLoopedBack:    "looped_back",
	DropBadTTL:        "bad_ttl",
	DropOtherVHID:     "other_vhid",
	DropOtherGroup:    "other_group",
	DropBadAuth:       "bad_auth",
}

// String returns the reason's snake_case name, suitable as a metric label.
func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "drop(" + strconv.Itoa(int(r)) + ")"
}
