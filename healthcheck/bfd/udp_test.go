package bfd

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Two Managers over real UDP sockets on loopback (no privilege needed:
// ports above 1024), IPv4 and IPv6: both sessions come Up and the
// received TTL/hop limit is 255.
func TestUDPLoopback(t *testing.T) {
	for _, fam := range []struct{ a, b string }{{"127.0.0.1", "127.0.0.2"}, {"::1", "::1"}} {
		ua, err := ListenUDPPorts(23784, 33784)
		if err != nil {
			t.Fatal(err)
		}
		ub, err := ListenUDPPorts(33784, 23784)
		if err != nil {
			t.Fatal(err)
		}
		if fam.a == "::1" && ua.v6 == nil {
			ua.Close()
			ub.Close()
			t.Log("no IPv6")
			continue
		}
		a := NewManager(ua, nil, nil)
		b := NewManager(ub, nil, nil)
		pa := Peer{Name: "b", Neighbor: netip.MustParseAddr(fam.b), Source: netip.MustParseAddr(fam.a), Config: fast, TTL: 255}
		pb := Peer{Name: "a", Neighbor: netip.MustParseAddr(fam.a), Source: netip.MustParseAddr(fam.b), Config: fast, TTL: 255}
		if fam.a == fam.b {
			pa.Source, pb.Source = netip.Addr{}, netip.Addr{}
		}
		if err := a.Set([]Peer{pa}); err != nil {
			t.Fatal(err)
		}
		if err := b.Set([]Peer{pb}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { a.Run(ctx) })
		wg.Go(func() { b.Run(ctx) })
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			sa, _ := a.State("b")
			sb, _ := b.State("a")
			if sa == Up && sb == Up {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		sa, _ := a.State("b")
		sb, _ := b.State("a")
		cancel()
		wg.Wait()
		if sa != Up || sb != Up {
			t.Fatalf("%s: states %v %v, drops %v %v", fam.a, sa, sb, a.Drops(), b.Drops())
		}
	}
}
