package bgp

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v3/api"
)

// TestGoBGPLoopback runs two embedded speakers on loopback: one announces
// with every attribute lvsd sets, the other receives the path and the
// attributes as configured (as_path_prepend, MED, LOCAL_PREF is iBGP only
// and left out, communities, next hop = the session's address), then the
// withdrawal.
func TestGoBGPLoopback(t *testing.T) {
	t.Run("IPv4", func(t *testing.T) { testGoBGPLoopback(t, netip.MustParseAddr("127.0.0.1"), vip) })
	t.Run("IPv6", func(t *testing.T) {
		testGoBGPLoopback(t, netip.MustParseAddr("::1"), netip.MustParsePrefix("2001:db8::10/128"))
	})
}

func testGoBGPLoopback(t *testing.T, lo netip.Addr, vip netip.Prefix) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// a free port for the receiver
	l, err := net.Listen("tcp", netip.AddrPortFrom(lo, 0).String())
	if err != nil {
		t.Skipf("no loopback TCP on %s: %v", lo, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	recv := NewGoBGP(quiet()).(*goBGP)
	if err := recv.Start(ctx, Global{ASN: 65000, RouterID: netip.MustParseAddr("10.0.0.1"), ListenPort: int32(port), ListenAddresses: []string{lo.String()}}); err != nil {
		t.Fatal(err)
	}
	defer recv.Stop(ctx)
	if err := recv.AddNeighbor(ctx, Neighbor{Address: lo, PeerASN: 65001, HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second, Passive: true}); err != nil {
		t.Fatal(err)
	}
	send := NewGoBGP(quiet())
	if err := send.Start(ctx, Global{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.2"), ListenPort: -1}); err != nil {
		t.Fatal(err)
	}
	defer send.Stop(ctx)
	if err := send.AddNeighbor(ctx, Neighbor{Address: lo, PeerASN: 65000, HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second, Port: uint16(port)}); err != nil {
		t.Fatal(err)
	}
	med := uint32(50)
	if err := send.AddPath(ctx, Route{Prefix: vip, Communities: []uint32{65001<<16 | 7, GracefulShutdown}, MED: &med, ASPathPrepend: 2}); err != nil {
		t.Fatal(err)
	}

	type got struct {
		asPath      []uint32
		med         uint32
		communities []uint32
		nexthop     string
	}
	lookup := func() (got, bool) {
		var g got
		found := false
		err := recv.s.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL,
			Family: family(vip.Addr())}, func(d *api.Destination) {
			if d.Prefix != vip.String() {
				return
			}
			for _, p := range d.Paths {
				found = true
				for _, a := range p.Pattrs {
					switch m, _ := a.UnmarshalNew(); x := m.(type) {
					case *api.AsPathAttribute:
						for _, s := range x.Segments {
							g.asPath = append(g.asPath, s.Numbers...)
						}
					case *api.MultiExitDiscAttribute:
						g.med = x.Med
					case *api.CommunitiesAttribute:
						g.communities = x.Communities
					case *api.NextHopAttribute:
						g.nexthop = x.NextHop
					case *api.MpReachNLRIAttribute:
						if len(x.NextHops) > 0 {
							g.nexthop = x.NextHops[0]
						}
					}
				}
			}
		})
		return g, err == nil && found
	}
	var g got
	deadline := time.Now().Add(45 * time.Second)
	for {
		var ok bool
		if g, ok = lookup(); ok {
			break
		}
		if time.Now().After(deadline) {
			ns, _ := send.Neighbors(ctx)
			t.Fatalf("path never received; sender's sessions %+v", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !slices.Equal(g.asPath, []uint32{65001, 65001, 65001}) || g.med != 50 || g.nexthop != lo.String() ||
		!slices.Equal(g.communities, []uint32{65001<<16 | 7, GracefulShutdown}) {
		t.Errorf("received %+v, want as_path [65001 65001 65001], med 50, communities [65001:7 65535:0], next hop %s", g, lo)
	}
	ns, err := send.Neighbors(ctx)
	if err != nil || len(ns) != 1 || ns[0].State != StateEstablished || ns[0].Transitions == 0 {
		t.Errorf("sender's neighbors %+v, %v: want one established", ns, err)
	}

	if err := send.DeletePath(ctx, vip); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := lookup(); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("withdrawal never received")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
