package vipfw

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

func open(t *testing.T, n *netlab.Node, name string) *Firewall {
	t.Helper()
	var f *Firewall
	if err := n.Do(func() (err error) { f, err = Open(name); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// TestDropAcceptClose drives the table in a namespace and reads it back
// with nft: the VIPs appear in the sets while dropped, the rules drop
// traffic to them (ping from a peer fails, then works after Accept), and
// Close removes the table.
func TestDropAcceptClose(t *testing.T) {
	testenv.NeedBinary(t, "nft")
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	vip := netip.MustParseAddr("10.99.0.100")
	vip6 := netip.MustParseAddr("fd99::100")
	n1.MustExec("ip", "addr", "add", "10.99.0.100/24", "dev", "eth0")
	n1.MustExec("ip", "addr", "add", "fd99::100/64", "dev", "eth0", "nodad")
	// an old table of the same name is replaced
	n1.MustExec("nft", "add", "table", "inet", "fwtest")
	n1.MustExec("nft", "add", "chain", "inet", "fwtest", "junk")

	f := open(t, n1, "fwtest")
	out := n1.MustExec("nft", "list", "table", "inet", "fwtest")
	for _, want := range []string{
		"set vips4 {", "type ipv4_addr", "set vips6 {", "type ipv6_addr",
		"chain in {", "type filter hook input priority filter - 1; policy accept;", "ip daddr @vips4 drop", "ip6 daddr @vips6 icmpv6 type 133-137 accept", "ip6 daddr @vips6 drop",
		"chain out {", "type filter hook output priority filter - 1; policy accept;", "ip saddr @vips4 drop", "ip6 saddr @vips6 drop",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("nft list table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "junk") {
		t.Errorf("old table kept:\n%s", out)
	}
	ping := func(dst netip.Addr) error {
		_, err := n2.Exec(t.Context(), "ping", "-c1", "-W1", dst.String())
		return err
	}
	if err := ping(vip); err != nil {
		t.Fatalf("ping VIP before Drop: %v", err)
	}

	if err := f.Drop([]netip.Addr{vip, vip6, vip}); err != nil {
		t.Fatal(err)
	}
	if err := f.Drop([]netip.Addr{vip}); err != nil {
		t.Fatalf("second Drop must converge: %v", err)
	}
	if d := cmp.Diff([]netip.Addr{vip, vip6}, f.Dropped(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("Dropped (-want +got):\n%s", d)
	}
	out = n1.MustExec("nft", "list", "set", "inet", "fwtest", "vips4")
	if !strings.Contains(out, "elements = { 10.99.0.100 }") {
		t.Errorf("vips4 lacks the VIP:\n%s", out)
	}
	out = n1.MustExec("nft", "list", "set", "inet", "fwtest", "vips6")
	if !strings.Contains(out, "elements = { fd99::100 }") {
		t.Errorf("vips6 lacks the VIP:\n%s", out)
	}
	if err := ping(vip); err == nil {
		t.Errorf("ping to a dropped VIP answered")
	}
	if err := ping(vip6); err == nil {
		t.Errorf("ping6 to a dropped VIP answered")
	}
	if err := ping(n1.IP); err != nil {
		t.Errorf("ping to n1's own address: %v (only VIPs are dropped)", err)
	}

	if err := f.Accept([]netip.Addr{vip, vip6, netip.MustParseAddr("10.1.1.1")}); err != nil {
		t.Fatalf("Accept (an address never dropped ignored): %v", err)
	}
	if err := ping(vip); err != nil {
		t.Errorf("ping VIP after Accept: %v", err)
	}
	if err := ping(vip6); err != nil {
		t.Errorf("ping6 VIP after Accept: %v", err)
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := f.Drop([]netip.Addr{vip}); err != ErrClosed {
		t.Errorf("Drop after Close = %v, want ErrClosed", err)
	}
	if out := n1.MustExec("nft", "list", "tables"); strings.Contains(out, "fwtest") {
		t.Errorf("table left after Close:\n%s", out)
	}
}

// TestOptions: keepalived's nftables keywords (table name, chain priority,
// counters) as nft reads the table back, and the counters count the
// packets dropped.
func TestOptions(t *testing.T) {
	testenv.NeedBinary(t, "nft")
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ah"}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	vip := netip.MustParseAddr("10.99.0.100")
	n1.MustExec("ip", "addr", "add", "10.99.0.100/24", "dev", "eth0")
	var f *Firewall
	if err := n1.Do(func() (err error) {
		f, err = OpenWith(Options{Table: "kaopt", Priority: 7, Counters: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	out := n1.MustExec("nft", "list", "table", "inet", "kaopt")
	for _, want := range []string{
		"type filter hook input priority filter + 7; policy accept;",
		"type filter hook output priority filter + 7; policy accept;",
		"ip daddr @vips4 counter packets 0 bytes 0 drop",
		"ip6 daddr @vips6 icmpv6 type 133-137 counter packets 0 bytes 0 accept",
		"ip saddr @vips4 counter packets 0 bytes 0 drop",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("nft list table lacks %q:\n%s", want, out)
		}
	}
	if err := f.Drop([]netip.Addr{vip}); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.Exec(t.Context(), "ping", "-c2", "-i0.2", "-W1", vip.String()); err == nil {
		t.Error("ping to a dropped VIP answered")
	}
	out = n1.MustExec("nft", "list", "chain", "inet", "kaopt", "in")
	if !strings.Contains(out, "ip daddr @vips4 counter packets 2 bytes 168 drop") {
		t.Errorf("the counter did not count the 2 pings dropped:\n%s", out)
	}
	// without counters (Open): none
	var g *Firewall
	if err := n1.Do(func() (err error) { g, err = Open("kaplain"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	if out := n1.MustExec("nft", "list", "table", "inet", "kaplain"); strings.Contains(out, "counter") || !strings.Contains(out, "priority filter - 1;") {
		t.Errorf("Open: counters or another priority:\n%s", out)
	}
}
