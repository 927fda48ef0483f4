package vrrpnet

import (
	"testing"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestUnicastTTL: Config.TTL (keepalived's unicast_ttl) is the TTL / hop
// limit the peer receives, from a dedicated socket and from a Registry's
// shared one (set per packet, so a neighbour instance keeps 255).
func TestUnicastTTL(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	idx := ifindex(t, n2, "eth0")

	c1 := dial(t, n1, Config{Interface: "eth0", Unicast: true, TTL: 64})
	c2 := dial(t, n2, Config{Interface: "eth0", Unicast: true})
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, n2.IP); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: n1.IP, Dst: n2.IP, TTL: 64, IfIndex: idx})

	c61 := dial(t, n1, Config{Interface: "eth0", IPv6: true, Unicast: true, Src: n1.IP6, TTL: 7})
	c62 := dial(t, n2, Config{Interface: "eth0", IPv6: true, Unicast: true})
	ch = readAsync(c62)
	if err := c61.WriteTo(payload, n2.IP6); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: n1.IP6, Dst: n2.IP6, TTL: 7, IfIndex: idx})

	// shared socket: VRID 1 with TTL 10, VRID 2 with the default
	reg := NewRegistry()
	var e1, e2 Endpoint
	if err := n1.Do(func() (err error) {
		if e1, err = reg.Open(Config{Interface: "eth0", Unicast: true, TTL: 10}, 1); err != nil {
			return err
		}
		e2, err = reg.Open(Config{Interface: "eth0", Unicast: true}, 2)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e1.Close(); e2.Close() })
	for _, tc := range []struct {
		e   Endpoint
		ttl int
	}{{e1, 10}, {e2, 255}} {
		ch = readAsync(c2)
		if err := tc.e.WriteTo(payload, n2.IP); err != nil {
			t.Fatal(err)
		}
		expect(t, ch, Meta{Src: n1.IP, Dst: n2.IP, TTL: tc.ttl, IfIndex: idx})
	}
}
