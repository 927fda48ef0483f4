// Package packet implements the VRRP advertisement wire format: VRRPv2 as
// described in RFC 3768 and VRRPv3 as described in RFC 5798 and updated by
// RFC 9568, over IPv4 and IPv6.
//
// The package is pure: it encodes and decodes VRRP messages (the IP payload,
// without the IP header) and validates received messages against an
// instance's expectations, returning an enumerated [DropReason] for every
// message it rejects. It opens no sockets and reads no clock.
//
// Checksums: a VRRPv2 checksum covers the VRRP message only. A VRRPv3
// checksum over IPv6 covers the IPv6 pseudo-header and the message. Over IPv4
// two VRRPv3 variants exist in the field: with the IPv4 pseudo-header
// (keepalived's and FRR's default, [ChecksumPseudoHeader]) and without it
// (RFC 9568, Cisco, Juniper, keepalived's v3_checksum_as_v2,
// [ChecksumNoPseudoHeader]). [Advert.MarshalTo] encodes the variant it is
// asked for; [Decode] accepts both for VRRPv3 over IPv4 and records the one
// that matched in [Advert.Variant].
//
// IPsec AH authentication (RFC 2338 auth type 2, IP protocol 51) is
// keepalived's: HMAC-MD5-96 (RFC 2402, RFC 2403) keyed with auth_pass, the
// SPI set to the source address, one sequence counter per instance shared
// by sending and receiving ([AHAuth], [AHReplay]). Its codec works on the
// whole IPv4 datagram, since the ICV covers the IP header.
// CARP (which shares IP protocol 112) is not VRRP: it fails validation.
//
// Allocation: [Decode] writes into a caller-provided [Advert] and reuses the
// capacity of its Addrs slice, and [Advert.MarshalTo] writes into a
// caller-provided buffer, so a receive or send path that reuses its values
// allocates nothing. Values are not safe for concurrent mutation; a
// [Filter] may be shared by readers once built.
package packet
