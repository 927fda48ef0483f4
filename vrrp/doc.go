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
// A SyncGroup (vrrp_sync_group) ties instances together so that they move
// between MASTER, BACKUP and FAULT as one, with keepalived's semantics.
//
// Concurrency: an Instance owns two goroutines while Run is running: the
// instance goroutine, which owns the state machine, timers and every call to
// the AddrManager and Announcer, and a reader goroutine blocked in
// Conn.ReadFrom. The instance goroutine handles each event holding the
// instance's lock; members of a sync group share the group's lock, and the
// member handling an event may drive the other members' state machines and
// kernel calls. Methods other than Run (Stats, State, SetPriority,
// SetFault) are safe to call from any goroutine; callbacks (OnTransition,
// OnMasterRxLowerPri, GroupOptions.OnTransition) run with that lock held
// and must not block.
package vrrp
