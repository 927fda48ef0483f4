// Package bgp implements lvsd's BGP side: which VIPs a director announces
// to its routers and the speaker that announces them, so that N directors
// are active at once behind a router's ECMP (RFC 4271 BGP-4, RFC 1997
// communities, RFC 8326 graceful shutdown).
//
// Decide is pure: from the virtual servers' health (keepalived's quorum and
// hysteresis, computed by ipvs.Compute), the VRRP instances' states and the
// configured prefixes it returns, for every prefix, announce or withdraw
// with an enumerated Reason. Announcer applies decisions to a Speaker: it
// keeps the neighbors and the announced paths in step with the
// configuration and the decisions (a diff: only what changed is sent), and
// at shutdown re-announces everything with the GRACEFUL_SHUTDOWN community,
// waits, and withdraws before the speaker stops.
//
// Speaker is the engine's boundary, five-odd methods over plain values;
// NewGoBGP implements it with GoBGP (github.com/osrg/gobgp/v3) embedded in
// the process: no gRPC listener, no separate daemon. Tests use a fake
// Speaker.
//
// Out of scope: receiving routes (lvsd only announces; nothing learned is
// installed in the kernel), BFD, graceful restart, add-path.
//
// Concurrency: Announcer's methods may be called from any goroutine; they
// serialise on one mutex and call the Speaker under it. Decide has no state.
package bgp
