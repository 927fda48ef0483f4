// Package vrrp runs VRRP instances (RFC 3768 VRRPv2, RFC 5798/9568 VRRPv3)
// with keepalived's behaviour: an Instance drives the pure state machine of
// vrrp/fsm with real timers, sends and receives advertisements (encoded by
// vrrp/packet) through a Conn, installs virtual addresses and routes through
// an AddrManager when it becomes master and announces them through an
// Announcer.
//
// The kernel side (raw sockets, netlink, ARP/NA) is out of scope here: it
// lives behind the small interfaces of interfaces.go, implemented in
// vrrp/vrrpnet, vrrp/vip and vrrp/announce.
//
// Concurrency: an Instance owns two goroutines while Run is running: the
// instance goroutine, which owns the state machine, timers and every call to
// the AddrManager and Announcer, and a reader goroutine blocked in
// Conn.ReadFrom. Methods other than Run (Stats, State, SetPriority, SetFault)
// are safe to call from any goroutine.
package vrrp
