// Package bfd implements single-hop Bidirectional Forwarding Detection
// (RFC 5880, over IPv4 and IPv6 UDP as RFC 5881 says), keepalived 2.2.7's
// bfd_instance: the control packet codec (Decode with an enumerated drop
// reason for every packet it refuses), a pure session state machine over
// values and an explicit now (Down/Init/Up/AdminDown, the three-way
// handshake, timer negotiation with Poll/Final, detection time = remote
// multiplier x agreed receive interval, the passive role, idle_tx while the
// session is not Up), and a Manager that runs sessions over a small
// PacketConn interface: UDP port 3784, source ports 49152-65535, TTL/hop
// limit 255 sent and the received TTL checked (RFC 5881 GTSM, keepalived's
// ttl and max_hops).
//
// Not built: authentication (packets with the A bit are dropped, as
// keepalived does), demand mode, the echo function, multihop (RFC 5883).
package bfd
