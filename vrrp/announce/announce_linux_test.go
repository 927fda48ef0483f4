package announce

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// firstFrame returns the first frame of a classic pcap file.
func firstFrame(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24+16 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap file", path)
	}
	n := int(binary.LittleEndian.Uint32(b[24+8:]))
	if len(b) < 40+n {
		t.Fatalf("%s: truncated", path)
	}
	return b[40 : 40+n]
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// TestFramesMatchKeepalived compares the frames with keepalived 2.2.7's,
// captured in the lab (see shared/testdata/vrrp/PACKETS.md).
func TestFramesMatchKeepalived(t *testing.T) {
	for _, tc := range []struct {
		pcap string
		mac  string
		addr string
	}{
		{"testdata/vec_garp_keepalived.pcap", "02:99:00:00:00:02", "10.99.0.100"},
		{"testdata/vec_na_ipv6.pcap", "92:7e:0f:77:fb:0f", "fd00:99::100"},
	} {
		want := firstFrame(t, tc.pcap)
		got, err := Frame(mustMAC(tc.mac), netip.MustParseAddr(tc.addr))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.addr, got, want)
		}
	}
	if _, err := Frame(mustMAC("02:00:00:00:00:01"), netip.Addr{}); err == nil {
		t.Error("Frame accepted an invalid address")
	}
}

// sniff opens an AF_PACKET socket in the node's namespace that receives
// frames of the given EtherType on eth0.
func sniff(t *testing.T, n *netlab.Node, ethertype int) *packet.Conn {
	t.Helper()
	var c *packet.Conn
	if err := n.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, packet.Raw, ethertype, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// receive returns the next frame that satisfies match, or fails the test.
func receive(t *testing.T, c *packet.Conn, match func([]byte) bool) []byte {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1600)
	for {
		n, _, err := c.ReadFrom(b)
		if err != nil {
			t.Fatalf("no announcement received: %v", err)
		}
		if match(b[:n]) {
			return b[:n]
		}
	}
}

func announce(t *testing.T, n *netlab.Node, ifname string, addrs ...netip.Addr) {
	t.Helper()
	// the packet socket is opened inside Announce: run it in the namespace
	if err := n.Do(func() error { return New(ifname).Announce(addrs) }); err != nil {
		t.Fatal(err)
	}
}

func TestGARPReceived(t *testing.T) {
	lab := netlab.New(t, "n1", "cl")
	n1, cl := lab.Node("n1"), lab.Node("cl")
	vip := netip.MustParseAddr("10.99.0.100")
	c := sniff(t, cl, unix.ETH_P_ARP)
	announce(t, n1, "eth0", vip)
	want, _ := GARP(mustMAC(n1.MAC), vip)
	got := receive(t, c, func(b []byte) bool { return len(b) >= 42 && bytes.Equal(b[28:32], vip.AsSlice()) })
	if !bytes.Equal(got, want) {
		t.Errorf("client received\n % x\nwant\n % x", got, want)
	}
}

// TestGARPWithoutIPv4: an interface without any IPv4 address (where
// mdlayher/arp.Dial fails) still announces.
func TestGARPWithoutIPv4(t *testing.T) {
	lab := netlab.New(t, "n1", "cl")
	n1, cl := lab.Node("n1"), lab.Node("cl")
	n1.MustExec("ip", "addr", "flush", "dev", "eth0")
	vip := netip.MustParseAddr("10.99.0.101")
	c := sniff(t, cl, unix.ETH_P_ARP)
	announce(t, n1, "eth0", vip)
	want, _ := GARP(mustMAC(n1.MAC), vip)
	got := receive(t, c, func(b []byte) bool { return len(b) >= 42 && bytes.Equal(b[28:32], vip.AsSlice()) })
	if !bytes.Equal(got, want) {
		t.Errorf("client received\n % x\nwant\n % x", got, want)
	}
}

func TestNAReceived(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "cl")
	n1, cl := lab.Node("n1"), lab.Node("cl")
	vip := netip.MustParseAddr("fd99::100")
	c := sniff(t, cl, unix.ETH_P_IPV6)
	announce(t, n1, "eth0", vip)
	want, _ := UnsolicitedNA(mustMAC(n1.MAC), vip)
	got := receive(t, c, func(b []byte) bool {
		return len(b) >= 78 && b[20] == 58 && b[54] == 136 && bytes.Equal(b[62:78], vip.AsSlice())
	})
	if !bytes.Equal(got, want) {
		t.Errorf("client received\n % x\nwant\n % x", got, want)
	}
	if got[21] != 255 {
		t.Errorf("hop limit %d, want 255", got[21])
	}
}

func TestAnnounceErrors(t *testing.T) {
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	err := n1.Do(func() error { return New("nosuch0").Announce([]netip.Addr{netip.MustParseAddr("10.99.0.100")}) })
	if err == nil {
		t.Error("announce on a missing interface succeeded")
	}
	if err := n1.Do(func() error { return New("lo").Announce([]netip.Addr{netip.MustParseAddr("10.99.0.100")}) }); err == nil {
		t.Error("announce on an interface without Ethernet address succeeded")
	}
	// a write error is reported with the address
	a := New("eth0")
	a.iface = func(string) (*net.Interface, error) {
		return &net.Interface{Name: "eth0", HardwareAddr: mustMAC("02:00:00:00:00:01")}, nil
	}
	a.open = func(*net.Interface) (writer, error) { return failWriter{}, nil }
	if err := a.Announce([]netip.Addr{netip.MustParseAddr("10.0.0.1")}); !errors.Is(err, unix.ENETDOWN) {
		t.Errorf("write error: %v, want ENETDOWN", err)
	}
}

type failWriter struct{}

func (failWriter) WriteTo([]byte, net.Addr) (int, error) { return 0, unix.ENETDOWN }
func (failWriter) Close() error                          { return nil }

// countingWriter counts frames and whether it was closed.
type countingWriter struct {
	frames *int
	closed *bool
}

func (w countingWriter) WriteTo([]byte, net.Addr) (int, error) { *w.frames++; return 0, nil }
func (w countingWriter) Close() error                          { *w.closed = true; return nil }

// TestAnnounceKeepsSocket: a burst reuses one socket (opening and closing an
// AF_PACKET socket per announcement costs an RCU grace period each), a
// recreated interface (new ifindex) gets a new one, and Close releases it.
func TestAnnounceKeepsSocket(t *testing.T) {
	a := New("eth0")
	index := 7
	a.iface = func(string) (*net.Interface, error) {
		return &net.Interface{Name: "eth0", Index: index, HardwareAddr: mustMAC("02:00:00:00:00:01")}, nil
	}
	opens, frames := 0, 0
	var closed []*bool
	a.open = func(*net.Interface) (writer, error) {
		opens++
		c := new(bool)
		closed = append(closed, c)
		return countingWriter{frames: &frames, closed: c}, nil
	}
	vip := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}
	for range 5 {
		if err := a.Announce(vip); err != nil {
			t.Fatal(err)
		}
	}
	if opens != 1 || frames != 10 {
		t.Fatalf("burst of 5: %d sockets opened, %d frames; want 1 and 10", opens, frames)
	}
	index = 8 // the interface was deleted and created again
	if err := a.Announce(vip); err != nil {
		t.Fatal(err)
	}
	if opens != 2 || !*closed[0] {
		t.Fatalf("after a new ifindex: %d sockets opened, old one closed=%v; want 2, true", opens, *closed[0])
	}
	if err := a.Close(); err != nil || !*closed[1] {
		t.Fatalf("Close: %v, socket closed=%v", err, *closed[1])
	}
}
