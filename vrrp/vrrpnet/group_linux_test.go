package vrrpnet

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestRegistryGroups: an instance with its own multicast group
// (mcast_dst_ip) makes the shared socket join it, receives what is sent to
// it, and the group is left when the last instance using it closes.
func TestRegistryGroups(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	other := netip.MustParseAddr("224.0.0.100")
	reg := NewRegistry()
	s51 := open(t, n2, reg, Config{Interface: "eth0"}, 51)
	s52 := open(t, n2, reg, Config{Interface: "eth0", Group: other}, 52)
	c1 := dial(t, n1, Config{Interface: "eth0"})
	ch52 := readAsync(s52)
	if err := c1.WriteTo(advert(52), other); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch52:
		if r.err != nil || !bytes.Equal(r.payload, advert(52)) || r.meta.Dst != other {
			t.Errorf("VRID 52 received % x %+v %v, want its advert to %s", r.payload, r.meta, r.err, other)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("nothing received on %s", other)
	}
	// Joined: an unknown VRID sent to the group reaches the socket.
	if err := c1.WriteTo(advert(77), other); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(time.Second, func() bool { return reg.Unknown("eth0", false) == 1 }) {
		t.Fatalf("unknown %d, want 1", reg.Unknown("eth0", false))
	}
	// Left with its last instance: the group no longer reaches the socket,
	// the default group still does.
	s52.Close()
	if err := c1.WriteTo(advert(78), other); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := c1.WriteTo(advert(79), Group4); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(time.Second, func() bool { return reg.Unknown("eth0", false) == 2 }) {
		t.Fatalf("unknown %d, want 2", reg.Unknown("eth0", false))
	}
	time.Sleep(100 * time.Millisecond)
	if n := reg.Unknown("eth0", false); n != 2 {
		t.Errorf("unknown %d after leaving %s, want 2 (the group is still joined)", n, other)
	}
	_ = s51 // keeps the shared socket open
	// A bad group is refused.
	if err := n2.Do(func() error {
		_, err := reg.Open(Config{Interface: "eth0", Group: netip.MustParseAddr("10.0.0.1")}, 53)
		return err
	}); err == nil {
		t.Error("a unicast address accepted as the group")
	}
}

// TestDialGroup: a Conn of its own joins Config.Group.
func TestDialGroup(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	other := netip.MustParseAddr("224.0.0.101")
	c2 := dial(t, n2, Config{Interface: "eth0", Group: other})
	c1 := dial(t, n1, Config{Interface: "eth0"})
	ch := readAsync(c2)
	if err := c1.WriteTo(advert(51), other); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.err != nil || r.meta.Dst != other {
			t.Errorf("received %+v %v", r.meta, r.err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("nothing received on %s", other)
	}
}

// TestRegistryRcvBuf: the instances' receive buffer shares are summed into
// the shared socket's SO_RCVBUF, and a closing instance takes its share
// back; a Conn of its own gets its share.
func TestRegistryRcvBuf(t *testing.T) {
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	reg := NewRegistry()
	rcvbuf := func(c *Conn) int {
		t.Helper()
		v, err := c.RcvBuf()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	s51 := open(t, n1, reg, Config{Interface: "eth0", RcvBuf: 10000}, 51)
	conn := s51.(*Sub).m.conn
	if got := rcvbuf(conn); got != 2*10000 {
		t.Errorf("SO_RCVBUF %d with one share of 10000, want %d (the kernel doubles it)", got, 2*10000)
	}
	s52 := open(t, n1, reg, Config{Interface: "eth0", RcvBuf: 5000}, 52)
	if got := rcvbuf(conn); got != 2*15000 {
		t.Errorf("SO_RCVBUF %d with 10000 + 5000, want %d", got, 2*15000)
	}
	open(t, n1, reg, Config{Interface: "eth0"}, 53) // no share: unchanged
	if got := rcvbuf(conn); got != 2*15000 {
		t.Errorf("SO_RCVBUF %d after an instance without a share, want %d", got, 2*15000)
	}
	s51.Close()
	if got := rcvbuf(conn); got != 2*5000 {
		t.Errorf("SO_RCVBUF %d after the 10000 share left, want %d", got, 2*5000)
	}
	_ = s52
	c := dial(t, n1, Config{Interface: "eth0", RcvBuf: 7000})
	if got := rcvbuf(c); got != 2*7000 {
		t.Errorf("own Conn SO_RCVBUF %d, want %d", got, 2*7000)
	}
}
