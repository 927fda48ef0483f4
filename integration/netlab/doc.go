// Package netlab builds throw-away layer-2 labs of network namespaces for
// privileged tests: a switch namespace holding a bridge (STP off, multicast
// snooping off, so VRRP adverts are flooded), and one namespace per node with
// an eth0 veth port on that bridge.
//
// Every namespace name carries a per-lab random prefix, so labs of parallel
// tests never collide, and everything a lab creates (namespaces and the
// processes started in them) is removed in t.Cleanup, also when the test
// fails. Addresses are private to the lab: node i (1-based) is 10.99.0.i/24
// and fd99::i/64 on eth0; nothing is routed out of the lab.
//
// Processes started with Node.Start are killed by PID at cleanup.
package netlab
