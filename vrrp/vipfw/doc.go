// Package vipfw installs the firewall rules of VRRP's Accept_Mode off
// (RFC 5798 section 6.1: a master that is not the address owner "MUST NOT
// accept packets addressed to the IPvX address(es) associated with the
// virtual router" unless Accept_Mode is true; RFC 3768 section 8 has no
// Accept_Mode and never accepts them). keepalived does this in vrrp_strict
// mode, or with no_accept, with an nftables table named "keepalived"; lvsd
// keeps its own table, "lvsd" by default, of family inet:
//
//	table inet lvsd {
//		set vips4 { type ipv4_addr }
//		set vips6 { type ipv6_addr }
//		chain in  { type filter hook input priority -1; policy accept;
//			ip daddr @vips4 drop
//			ip6 daddr @vips6 icmpv6 type 133-137 accept  # neighbour discovery
//			ip6 daddr @vips6 drop }
//		chain out { type filter hook output priority -1; policy accept;
//			ip saddr @vips4 drop
//			ip6 saddr @vips6 icmpv6 type 133-137 accept
//			ip6 saddr @vips6 drop }
//	}
//
// An address is in a set while an instance without Accept_Mode is master
// and holds it (keepalived adds it before the address and removes it after).
// ARP is not IP, so gratuitous ARP and ARP replies for a VIP still go out;
// the VRRP adverts use the interface's primary address.
//
// keepalived's nftables keywords are Options: the table name (nftables),
// the chains' priority (nftables_priority) and a counter on every rule
// (nftables_counters).
//
// Out of scope: iptables and ipsets (keepalived's vrrp_iptables), the VMAC
// IGMP/MLD rules of keepalived's nftables code, and interface-keyed sets
// (keepalived's nftables_ifindex; lvsd's sets are keyed by address alone).
//
// Concurrency: a Firewall may be used from several goroutines; calls are
// serialised. Each call is one nftables batch (atomic in the kernel).
package vipfw
