package daemon

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/netlab"
	"golang.org/x/sys/unix"
)

// linkReady's quick queries give the dump's answer for every interface
// state an instance meets at start: missing, down with only an IPv6
// global address, up with only an IPv6 link-local, an IPv4 address, an
// IPv4 address carrying only an alias label, IPv6 disabled; and ifIndex
// gives net's index.
func TestLinkReadyMatchesDump(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1")
	n1 := lab.Node("n1")
	n1.MustExec("ip", "link", "add", "t0", "type", "veth", "peer", "name", "t1") // down, no address
	n1.MustExec("ip", "link", "add", "u0", "type", "veth", "peer", "name", "u1") // up: link-locals only
	n1.MustExec("ip", "link", "add", "a0", "type", "veth", "peer", "name", "a1") // an alias label only
	n1.MustExec("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1") // IPv6 off
	for _, l := range []string{"t0", "u0", "u1", "a0", "a1", "d0", "d1"} {
		n1.MustExec("sysctl", "-qw", "net.ipv6.conf."+l+".disable_ipv6="+map[bool]string{true: "1", false: "0"}[l == "d0"])
		if l != "t0" {
			n1.MustExec("ip", "link", "set", l, "up")
		}
	}
	n1.MustExec("ip", "addr", "add", "192.0.2.7/24", "dev", "a0", "label", "a0:vip")
	n1.MustExec("ip", "addr", "add", "198.51.100.7/24", "dev", "d0")
	n1.MustExec("ip", "-6", "addr", "add", "2001:db8::7/64", "dev", "t0", "nodad") // global only
	src4, src6 := netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("fe80::1")
	err := n1.Do(func() error {
		all, err := net.Interfaces()
		if err != nil {
			return err
		}
		names := []string{"nosuch0"}
		for _, ifi := range all {
			names = append(names, ifi.Name)
			if i, err := ifIndex(ifi.Name); err != nil || i != ifi.Index {
				t.Errorf("ifIndex(%s) = %d, %v; net gives %d", ifi.Name, i, err, ifi.Index)
			}
		}
		if _, err := ifIndex("nosuch0"); !errors.Is(err, unix.ENODEV) {
			t.Errorf("ifIndex(nosuch0): %v, want ENODEV", err)
		}
		if _, err := ifIndex("a-name-far-too-long"); !errors.Is(err, unix.EINVAL) {
			t.Errorf("ifIndex(long name): %v, want EINVAL", err)
		}
		yes := 0
		for _, name := range names {
			for _, in := range []config.VRRPInstance{
				{Interface: name, Family: 4},
				{Interface: name, Family: 6},
				{Interface: name, Family: 4, MCastSrcIP: src4},
				{Interface: name, Family: 6, UnicastPeers: []config.UnicastPeer{{IP: src6}}, UnicastSrcIP: src6},
			} {
				got, want := linkReady(&in), linkReadyDump(&in)
				if got != want {
					t.Errorf("%s family %d (source %v/%v): linkReady %v, the dump says %v", name, in.Family, in.MCastSrcIP, in.UnicastSrcIP, got, want)
				}
				if got {
					yes++
				}
			}
		}
		// Both answers occur, so the comparison is not vacuous.
		if yes == 0 || yes == 4*len(names) {
			t.Errorf("%d of %d cases ready", yes, 4*len(names))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
