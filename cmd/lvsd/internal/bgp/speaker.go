package bgp

import (
	"context"
	"net/netip"
	"time"
)

// Speaker is the BGP engine as Announcer uses it. Implementations: NewGoBGP
// (GoBGP embedded), a fake in tests.
type Speaker interface {
	// Start starts the speaker with the local AS and router id.
	Start(ctx context.Context, g Global) error
	// Stop closes every session and stops the speaker.
	Stop(ctx context.Context) error
	// AddNeighbor configures a peer; DeleteNeighbor removes one.
	AddNeighbor(ctx context.Context, n Neighbor) error
	DeleteNeighbor(ctx context.Context, addr netip.Addr) error
	// AddPath announces a route to every neighbor (replacing the previous
	// path of the same prefix); DeletePath withdraws it.
	AddPath(ctx context.Context, r Route) error
	DeletePath(ctx context.Context, p netip.Prefix) error
	// Neighbors reports every configured neighbor's session.
	Neighbors(ctx context.Context) ([]NeighborState, error)
}

// Global is the speaker's own identity.
type Global struct {
	ASN        uint32
	RouterID   netip.Addr
	ListenPort int32 // -1: do not listen
	// ListenAddresses restricts listening (tests: loopback); nil: all.
	ListenAddresses []string
}

// Neighbor is one configured peer.
type Neighbor struct {
	Address       netip.Addr
	PeerASN       uint32
	Password      string
	HoldTime      time.Duration
	KeepaliveTime time.Duration
	MultihopTTL   int // 0: directly connected
	LocalAddress  netip.Addr
	// Port is the neighbor's TCP port; 0: 179.
	Port uint16
	// Passive: wait for the neighbor to connect.
	Passive bool
}

// Route is one announced prefix with its attributes. The next hop is the
// session's local address.
type Route struct {
	Prefix        netip.Prefix
	Communities   []uint32
	LocalPref     *uint32
	MED           *uint32
	ASPathPrepend int // extra copies of the local AS
}

// GracefulShutdown is the GRACEFUL_SHUTDOWN well-known community (RFC 8326).
const GracefulShutdown uint32 = 0xFFFF0000

// Session states as NeighborState.State spells them (RFC 4271 FSM).
const (
	StateIdle        = "idle"
	StateConnect     = "connect"
	StateActive      = "active"
	StateOpenSent    = "opensent"
	StateOpenConfirm = "openconfirm"
	StateEstablished = "established"
)

// NeighborState is one neighbor's session as the speaker sees it.
type NeighborState struct {
	Address netip.Addr
	PeerASN uint32
	State   string    // StateIdle ... StateEstablished
	Since   time.Time // of the last change of State (zero: unknown)
	// LastError is the last problem the speaker reported for the session
	// (a notification sent or received, a connection failure); "" if none.
	LastError string
	// Transitions counts the session's state changes; Flaps counts its
	// falls from established.
	Transitions uint64
	Flaps       uint64
}
