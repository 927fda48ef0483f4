package vrrp

import (
	"context"
	"net/netip"
)

// The kernel boundary of an Instance. These small interfaces are
// implemented by vrrp/vrrpnet (Conn), vrrp/vip (AddrManager) and
// vrrp/announce (Announcer), and faked in this package's tests.

// Conn sends and receives VRRP payloads (no IP header) for one instance;
// for auth_type AH, whole IPv4 datagrams (the AH ICV covers the IP header:
// the instance seals and opens them, vrrpnet.Config.AH).
//
// An Instance calls WriteTo from its own goroutine and ReadFrom from a
// dedicated reader goroutine, concurrently; Close must make a blocked
// ReadFrom return (with an error). The Instance closes the Conn when Run
// returns.
type Conn interface {
	// WriteTo sends payload to dst (multicast group or unicast peer) with
	// TTL/hop limit 255. The payload slice is reused after WriteTo returns.
	WriteTo(payload []byte, dst netip.Addr) error
	// ReadFrom reads one payload into b. meta carries src, dst, TTL/hop limit, ifindex.
	ReadFrom(b []byte) (n int, meta RecvMeta, err error)
	Close() error
}

// PushConn is a Conn whose own reader can hand each payload to the
// Instance (a shared socket's demultiplexer, vrrpnet.Sub). The Instance then
// runs no reader goroutine: the Conn's reader decodes and checks the advert
// and queues the accepted one for the instance goroutine, one hop instead of
// three.
type PushConn interface {
	Conn
	// Push makes the Conn call deliver for every payload received from now
	// on, and for those already waiting, instead of returning them from
	// ReadFrom. Calls are never concurrent; deliver does not block and
	// does not keep b. No call runs after Close returned. Push reports
	// false when this Conn cannot push: the Instance then reads with
	// ReadFrom.
	Push(deliver func(b []byte, meta RecvMeta)) bool
}

// RecvMeta describes a received payload.
type RecvMeta struct {
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or IPv6 hop limit; -1 when the socket could not
	// report it (the TTL checks are then skipped).
	TTL     int
	IfIndex int
}

// AddrManager installs VIPs, virtual routes and virtual rules on become-master and removes them.
// Implementations treat "already there" on add and "already gone" on delete
// as success. Methods are called from the instance goroutine only.
type AddrManager interface {
	AddVIPs(ctx context.Context, vips []VIP) error
	DelVIPs(ctx context.Context, vips []VIP) error
	// MissingVIPs reports which of vips are not on their interface (used to
	// restore a VIP removed by hand while master).
	MissingVIPs(ctx context.Context, vips []VIP) ([]VIP, error)
	AddRoutes(ctx context.Context, routes []Route) error
	DelRoutes(ctx context.Context, routes []Route) error
	// AddRules and DelRules install and remove virtual_rules, with the
	// VIPs (added after them, removed before them).
	AddRules(ctx context.Context, rules []Rule) error
	DelRules(ctx context.Context, rules []Rule) error
}

// Announcer sends gratuitous ARP / unsolicited NA for addresses.
// Announce sends one announcement per address; the Instance calls it
// repeatedly for a burst. Called from the instance goroutine only.
type Announcer interface {
	Announce(addrs []netip.Addr) error
}

// Scope values of a VIP or route, as the kernel numbers them (RT_SCOPE_*).
const (
	ScopeGlobal  uint8 = 0 // "global" / "universe" (the default)
	ScopeSite    uint8 = 200
	ScopeLink    uint8 = 253
	ScopeHost    uint8 = 254
	ScopeNowhere uint8 = 255
)

// VIP is one virtual_ipaddress (or virtual_ipaddress_excluded) entry.
type VIP struct {
	// Prefix is the address and its prefix length (keepalived's default is
	// /32 for IPv4 and /128 for IPv6 when none is given).
	Prefix netip.Prefix
	// Dev is the interface that carries the address; empty means the
	// instance's interface.
	Dev string
	// Label is the IPv4 address label (e.g. "eth0:1"); empty for none.
	Label string
	// Scope is the address scope (ScopeGlobal by default).
	Scope uint8
	// Broadcast is the IPv4 broadcast address (brd); invalid for none.
	Broadcast netip.Addr
	// NoPrefixRoute suppresses the kernel's prefix route (noprefixroute).
	NoPrefixRoute bool
	// NoDAD skips IPv6 duplicate address detection (nodad).
	NoDAD bool
	// Excluded marks a virtual_ipaddress_excluded entry: installed and
	// announced like the others but not carried in advertisements.
	Excluded bool
}

// Route is one virtual_routes entry.
type Route struct {
	Dst    netip.Prefix
	Via    netip.Addr // gateway; invalid for none
	Dev    string     // empty: the instance's interface
	Src    netip.Addr // preferred source; invalid for none
	Metric int
	Table  int // 0: main
	Scope  uint8
	// Protocol is the route's RTPROT_* number; 0 means boot, as ip route add.
	Protocol uint8
	// Blackhole makes it a blackhole route: no device, no gateway.
	Blackhole bool
	// Nexthops make it a multipath route; Via and Dev are then empty.
	Nexthops []Nexthop
}

// Nexthop is one path of a multipath route.
type Nexthop struct {
	Via    netip.Addr // invalid for none
	Dev    string     // empty: the kernel picks by Via (the instance's interface is not implied)
	Weight int        // 1..256
}

// Rule is one virtual_rules entry: a policy routing rule (the fields of
// ip rule; see config.Rule for the syntax).
type Rule struct {
	Family      int // 4 or 6
	Not         bool
	From, To    netip.Prefix // invalid: all
	Priority    uint32       // 0: the kernel picks
	TOS         uint8
	FWMark      uint32
	FWMask      uint32 // 0: none
	IIF, OIF    string
	HasUIDRange bool
	UIDFirst    uint32
	UIDLast     uint32
	IPProto     uint8
	SPortFirst  uint16 // 0: any
	SPortLast   uint16
	DPortFirst  uint16 // 0: any
	DPortLast   uint16
	HasSuppress bool
	SuppressLen int
	Table       uint32 // 0: none
	Goto        uint32 // 0: none
	Action      uint8  // FR_ACT_* other than a table lookup or goto; 0: none
	Protocol    uint8  // 0: none
}
