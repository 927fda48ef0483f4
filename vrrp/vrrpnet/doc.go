// Package vrrpnet implements the transport of VRRP advertisements (RFC 3768
// VRRPv2, RFC 5798 / RFC 9568 VRRPv3): raw IP protocol 112 sockets for IPv4
// and IPv6, multicast to 224.0.0.18 / ff02::12 (or Config.Group) joined on one interface, or
// unicast to configured peers.
//
// A Conn is bound to one interface (SO_BINDTODEVICE), so instances on other
// interfaces never see its traffic. It sends with TTL / hop limit 255 and
// TOS / traffic class 0xc0 (CS6, as keepalived), without DF, from the
// configured source address or else the interface's primary address
// (IPv4) or link-local address (IPv6), set per packet with IP_PKTINFO /
// IPV6_PKTINFO. It receives the source, destination, TTL / hop limit and
// arrival interface of every packet. The VRRP payload, its checksum
// included, is the caller's: the kernel computes no checksum (no
// IPV6_CHECKSUM), so a packet with a bad checksum reaches the caller, which
// drops it with a counted reason.
//
// A Registry shares one socket per (interface, address family) among the
// instances on that interface, as keepalived's socket pool does: a reader
// goroutine demultiplexes by VRID, so each advert is received once rather
// than once per instance, and counts adverts of VRIDs nobody registered.
// Each instance keeps its own source address and send state (Sub).
//
// Sending and receiving allocate nothing: the message headers, socket
// addresses and control-message buffers are built once per Conn (per Sub)
// and the system calls are issued directly through the runtime poller.
//
// Concurrency: one goroutine may call ReadFrom while another calls WriteTo;
// concurrent calls of the same method are serialised by a mutex. Close may be
// called from any goroutine and unblocks a pending ReadFrom. A Registry is
// safe for concurrent use.
//
// keepalived's auth_type AH (Config.AH) uses a raw IP protocol 51 socket of
// its own per instance (as keepalived's socket pool keys sockets by
// protocol), with IP_HDRINCL: the AH ICV covers the IP header, so the
// caller builds and verifies whole IPv4 datagrams (vrrp/packet.AHAuth).
package vrrpnet
