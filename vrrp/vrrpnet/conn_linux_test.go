package vrrpnet

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/netlab"
)

// dial opens a Conn inside the node's namespace.
func dial(t *testing.T, n *netlab.Node, cfg Config) *Conn {
	t.Helper()
	var c *Conn
	if err := n.Do(func() (err error) { c, err = Dial(cfg); return err }); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type recv struct {
	payload []byte
	meta    Meta
	err     error
}

// readAsync reads one packet in the background.
func readAsync(c Endpoint) <-chan recv {
	ch := make(chan recv, 1)
	go func() {
		b := make([]byte, 2048)
		n, m, err := c.ReadFrom(b)
		ch <- recv{b[:n], m, err}
	}()
	return ch
}

func ifindex(t *testing.T, n *netlab.Node, name string) int {
	t.Helper()
	var idx int
	if err := n.Do(func() error {
		ifi, err := net.InterfaceByName(name)
		if err == nil {
			idx = ifi.Index
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return idx
}

// payload is a VRRPv2 advert as keepalived sends it (vec_vrrp2_pass_adv).
var payload = []byte{0x21, 0x33, 0xc8, 0x01, 0x01, 0x01, 0x00, 0xe9, 0x0a, 0x63, 0x00, 0x64, 's', '3', 'c', 'r', '3', 't', 0, 0}

func expect(t *testing.T, ch <-chan recv, want Meta) {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !bytes.Equal(r.payload, payload) {
			t.Errorf("payload = % x, want % x", r.payload, payload)
		}
		if d := cmp.Diff(want, r.meta, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
			t.Errorf("meta (-want +got):\n%s", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("nothing received")
	}
}

func TestMulticastIPv4(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	c1 := dial(t, n1, Config{Interface: "eth0"})
	c2 := dial(t, n2, Config{Interface: "eth0"})
	if c1.LocalAddr() != n1.IP {
		t.Errorf("source = %s, want the primary address %s", c1.LocalAddr(), n1.IP)
	}
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, Group4); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: n1.IP, Dst: Group4, TTL: 255, IfIndex: ifindex(t, n2, "eth0")})
}

func TestUnicastIPv4WithSource(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	vip := netip.MustParseAddr("10.99.0.77")
	n1.MustExec("ip", "addr", "add", vip.String()+"/24", "dev", "eth0")
	c1 := dial(t, n1, Config{Interface: "eth0", Unicast: true, Src: vip})
	c2 := dial(t, n2, Config{Interface: "eth0", Unicast: true})
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, n2.IP); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: vip, Dst: n2.IP, TTL: 255, IfIndex: ifindex(t, n2, "eth0")})
}

func TestMulticastIPv6(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	c1 := dial(t, n1, Config{Interface: "eth0", IPv6: true})
	c2 := dial(t, n2, Config{Interface: "eth0", IPv6: true})
	if !c1.LocalAddr().IsLinkLocalUnicast() {
		t.Errorf("source = %s, want a link-local address", c1.LocalAddr())
	}
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, Group6); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: c1.LocalAddr(), Dst: Group6, TTL: 255, IfIndex: ifindex(t, n2, "eth0")})
}

func TestUnicastIPv6(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	c1 := dial(t, n1, Config{Interface: "eth0", IPv6: true, Unicast: true, Src: n1.IP6})
	c2 := dial(t, n2, Config{Interface: "eth0", IPv6: true, Unicast: true})
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, n2.IP6); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: n1.IP6, Dst: n2.IP6, TTL: 255, IfIndex: ifindex(t, n2, "eth0")})
}

// TestBoundToInterface: a Conn on another interface of the same node does
// not see the adverts of eth0 (dummy0 is a veth: no dummy module here).
func TestBoundToInterface(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	n2.MustExec("ip", "link", "add", "dummy0", "type", "veth", "peer", "name", "dummy1")
	n2.MustExec("ip", "addr", "add", "10.98.0.2/24", "dev", "dummy0")
	n2.MustExec("ip", "link", "set", "dummy0", "up")
	other := dial(t, n2, Config{Interface: "dummy0"})
	c2 := dial(t, n2, Config{Interface: "eth0"})
	c1 := dial(t, n1, Config{Interface: "eth0"})
	chOther := readAsync(other)
	ch := readAsync(c2)
	if err := c1.WriteTo(payload, Group4); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Meta{Src: n1.IP, Dst: Group4, TTL: 255, IfIndex: ifindex(t, n2, "eth0")})
	select {
	case r := <-chOther:
		t.Fatalf("socket on dummy0 received %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	other.Close()
	if r := <-chOther; !errors.Is(r.err, net.ErrClosed) {
		t.Errorf("read after close: %v, want net.ErrClosed", r.err)
	}
}

func TestNoAllocs(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	c1 := dial(t, lab.Node("n1"), Config{Interface: "eth0"})
	c2 := dial(t, lab.Node("n2"), Config{Interface: "eth0"})
	buf := make([]byte, 1500)
	allocs := testing.AllocsPerRun(50, func() {
		if err := c1.WriteTo(payload, Group4); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c2.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per advert sent and received, want 0", allocs)
	}
}

func BenchmarkSendReceive(b *testing.B) {
	lab := netlab.New(b, "n1", "n2")
	var c1, c2 *Conn
	if err := lab.Node("n1").Do(func() (err error) { c1, err = Dial(Config{Interface: "eth0"}); return err }); err != nil {
		b.Fatal(err)
	}
	defer c1.Close()
	if err := lab.Node("n2").Do(func() (err error) { c2, err = Dial(Config{Interface: "eth0"}); return err }); err != nil {
		b.Fatal(err)
	}
	defer c2.Close()
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if err := c1.WriteTo(payload, Group4); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c2.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
	}
}
