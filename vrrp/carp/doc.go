// Package carp implements the Common Address Redundancy Protocol as ucarp
// 1.5.2 speaks it on Linux: CARP version 2 advertisements (IP protocol 112,
// the OpenBSD wire format) with ucarp's HMAC-SHA1, ucarp's election rules
// (advbase/advskew, --preempt, --neutral, --deadratio, --ignoreifstate,
// --shutdown) and ucarp's gratuitous ARP, so that one node of a ucarp pair
// can be replaced by lvsd at a time.
//
// The package has three layers:
//
//   - the wire format (packet.go, hmac.go): [Advert] encodes and decodes a
//     whole Ethernet frame exactly as ucarp writes it through pcap (source
//     MAC 00:00:5e:00:00:<vhid>, TOS 0x10, DF, TTL 255), [Key] computes the
//     HMAC-SHA1 over the fields ucarp covers (version, type, vhid, the
//     virtual address and the counter), and every rejected frame gets an
//     enumerated [DropReason]. Pure; no I/O.
//   - the election (machine.go): [Machine] is ucarp's state machine as a
//     value over explicit time. It never reads the clock.
//   - the shell (instance.go, conn_linux.go): [Instance] owns the timers,
//     an AF_PACKET [Conn], the virtual addresses and the up/down scripts.
//
// Out of scope: IPv6 CARP (ucarp 1.5.2 is IPv4 only), several addresses per
// vhid (ucarp takes one --addr), OpenBSD's demotion counter (the field is
// sent as 0 and ignored on receipt, as ucarp does).
//
// Concurrency: [Advert], [Key] and [Machine] are plain values, not safe for
// concurrent mutation. An [Instance] is driven by its Run goroutine; State
// and Stats may be called from any goroutine.
package carp
