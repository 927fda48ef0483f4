package vip

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/vishvananda/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func manager(t *testing.T, n *netlab.Node) *Manager {
	t.Helper()
	var m *Manager
	if err := n.Do(func() (err error) { m, err = New(); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
var cmpPrefix = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func TestAddresses(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	ctx := context.Background()
	vips := []Address{
		{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0"},
		{Prefix: netip.MustParsePrefix("10.99.0.101/24"), Dev: "eth0", Label: "eth0:1", Brd: netip.MustParseAddr("10.99.0.255")},
		{Prefix: netip.MustParsePrefix("192.168.7.1/24"), Dev: "eth0", NoPrefixRoute: true, Scope: unix.RT_SCOPE_LINK},
		{Prefix: netip.MustParsePrefix("fd99::100/64"), Dev: "eth0", NoDAD: true},
	}
	missing, err := m.MissingVIPs(ctx, vips)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(vips, missing, cmpAddr, cmpPrefix); d != "" {
		t.Errorf("missing before add (-want +got):\n%s", d)
	}
	if err := m.AddVIPs(ctx, vips); err != nil {
		t.Fatal(err)
	}
	if err := m.AddVIPs(ctx, vips); err != nil {
		t.Fatalf("second add must converge silently: %v", err)
	}
	out := n.MustExec("ip", "-o", "addr", "show", "dev", "eth0")
	for _, want := range []string{
		"inet 10.99.0.100/24",
		"inet 10.99.0.101/24 brd 10.99.0.255 scope global secondary eth0:1",
		"inet 192.168.7.1/24 scope link noprefixroute",
		"inet6 fd99::100/64 scope global nodad",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ip addr lacks %q:\n%s", want, out)
		}
	}
	// As keepalived: IFA_BROADCAST only where brd is configured (the
	// netlink library would compute one for the others).
	brd := map[netip.Addr]netip.Addr{}
	if err := n.Do(func() error {
		link, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		list, err := netlink.AddrList(link, netlink.FAMILY_V4)
		for _, a := range list {
			ip, _ := netip.AddrFromSlice(a.IP)
			b, _ := netip.AddrFromSlice(a.Broadcast)
			brd[ip.Unmap()] = b.Unmap()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]netip.Addr{
		"10.99.0.100": {},
		"10.99.0.101": netip.MustParseAddr("10.99.0.255"),
		"192.168.7.1": {},
	} {
		if got, ok := brd[netip.MustParseAddr(ip)]; !ok || got != want {
			t.Errorf("%s: broadcast read back %v (present %v), want %v", ip, got, ok, want)
		}
	}
	if r := n.MustExec("ip", "route", "show", "192.168.7.0/24"); strings.TrimSpace(r) != "" {
		t.Errorf("noprefixroute address has a prefix route: %s", r)
	}
	if missing, err := m.MissingVIPs(ctx, vips); err != nil || len(missing) != 0 {
		t.Errorf("missing after add = %v, %v", missing, err)
	}
	n.MustExec("ip", "addr", "del", "10.99.0.100/24", "dev", "eth0")
	// The manager's address table follows the kernel through netlink
	// events: a loaded machine delivers the deletion a moment later.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		missing, err = m.MissingVIPs(ctx, vips)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) != 0 || time.Now().After(deadline) {
			break
		}
	}
	if d := cmp.Diff(vips[:1], missing, cmpAddr, cmpPrefix); d != "" {
		t.Errorf("missing after manual delete (-want +got):\n%s", d)
	}
	if err := m.DelVIPs(ctx, vips); err != nil {
		t.Fatal(err)
	}
	if err := m.DelVIPs(ctx, vips); err != nil {
		t.Fatalf("second delete must converge silently: %v", err)
	}
	for _, v := range vips {
		if n.HasAddr(v.Prefix.Addr()) {
			t.Errorf("%s still present after delete", v.Prefix)
		}
	}
}

func TestAddressErrors(t *testing.T) {
	lab := netlab.New(t, "n1")
	m := manager(t, lab.Node("n1"))
	ctx := context.Background()
	err := m.AddVIPs(ctx, []Address{{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "nosuch0"}})
	if err == nil || !strings.Contains(err.Error(), "nosuch0") {
		t.Errorf("add on a missing interface: %v", err)
	}
	// IPv6 is disabled on this lab's interfaces: the kernel refuses
	err = m.AddVIPs(ctx, []Address{{Prefix: netip.MustParsePrefix("fd99::100/64"), Dev: "eth0"}})
	if !errors.Is(err, unix.EACCES) {
		t.Errorf("IPv6 address on an interface without IPv6: %v, want EACCES reachable with errors.Is", err)
	}
	for in, want := range map[string]uint8{"global": 0, "link": 253, "host": 254, "site": 200, "nowhere": 255, "7": 7} {
		if got, err := ParseScope(in); err != nil || got != want {
			t.Errorf("ParseScope(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseScope("bogus"); err == nil {
		t.Error("unknown scope accepted")
	}
	if err := m.DelVIPs(ctx, []Address{{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "nosuch0"}}); err != nil {
		t.Errorf("delete on a missing interface must converge: %v", err)
	}
}

func TestRoutes(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	ctx := context.Background()
	routes := []Route{
		{Dst: netip.MustParsePrefix("192.168.200.0/24"), Via: netip.MustParseAddr("10.99.0.254"), Dev: "eth0", Metric: 7},
		{Dst: netip.MustParsePrefix("192.168.201.0/24"), Dev: "eth0"},
		{Dst: netip.MustParsePrefix("192.168.202.0/24"), Blackhole: true},
		{Dst: netip.MustParsePrefix("192.168.203.0/24"), Via: netip.MustParseAddr("10.99.0.254"), Protocol: 99},
	}
	if err := m.AddRoutes(ctx, routes); err != nil {
		t.Fatal(err)
	}
	if err := m.AddRoutes(ctx, routes); err != nil {
		t.Fatalf("second add must converge: %v", err)
	}
	out := n.MustExec("ip", "route", "show")
	for _, want := range []string{
		"192.168.200.0/24 via 10.99.0.254 dev eth0 metric 7",
		"192.168.201.0/24 dev eth0 scope link",
		"blackhole 192.168.202.0/24",
		"192.168.203.0/24 via 10.99.0.254 dev eth0 proto openr", // ip(8) names 99
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ip route lacks %q:\n%s", want, out)
		}
	}
	if err := m.DelRoutes(ctx, routes); err != nil {
		t.Fatal(err)
	}
	if err := m.DelRoutes(ctx, routes); err != nil {
		t.Fatalf("second delete must converge: %v", err)
	}
	if out := n.MustExec("ip", "route", "show"); strings.Contains(out, "192.168.20") {
		t.Errorf("routes left:\n%s", out)
	}
}

func TestVMAC(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	idx, err := m.EnsureVMAC("vrrp.51", "eth0", 51, false)
	if err != nil {
		t.Fatal(err)
	}
	idx2, err := m.EnsureVMAC("vrrp.51", "eth0", 51, false)
	if err != nil || idx2 != idx {
		t.Fatalf("second EnsureVMAC = %d, %v; want %d", idx2, err, idx)
	}
	out := n.MustExec("ip", "-d", "link", "show", "vrrp.51")
	for _, want := range []string{"vrrp.51@eth0", "00:00:5e:00:01:33", "macvlan mode private", "state UP"} {
		if !strings.Contains(out, want) {
			t.Errorf("ip link lacks %q:\n%s", want, out)
		}
	}
	if _, err := m.EnsureVMAC("vrrp.51", "eth0", 52, false); err == nil {
		t.Error("EnsureVMAC accepted an existing interface with another MAC")
	}
	sysctl := func(path string) string {
		return strings.TrimSpace(n.MustExec("cat", "/proc/sys/net/ipv4/conf/"+path))
	}
	// only the VMAC answers ARP for the VIPs, as with keepalived
	for path, want := range map[string]string{"vrrp.51/arp_ignore": "1", "eth0/arp_ignore": "1", "eth0/arp_filter": "1"} {
		if got := sysctl(path); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	if err := m.DeleteVMAC("vrrp.51"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"eth0/arp_ignore": "0", "eth0/arp_filter": "0"} {
		if got := sysctl(path); got != want {
			t.Errorf("after the last VMAC: %s = %s, want %s (restored)", path, got, want)
		}
	}
	if err := m.DeleteVMAC("vrrp.51"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteVMAC("eth0"); err == nil {
		t.Error("DeleteVMAC removed a non-macvlan interface")
	}
	if got := VMACAddr(52, true).String(); got != "00:00:5e:00:02:34" {
		t.Errorf("IPv6 VMAC = %s", got)
	}
}

// tableMissing asks only the in-memory table.
func tableMissing(m *Manager, addrs []Address) ([]Address, bool) { return m.tab.missing(addrs) }

// TestTableFollowsKernel: the table behind MissingVIPs follows additions and
// removals made by anyone, and interfaces that go away and come back.
func TestTableFollowsKernel(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	ctx := context.Background()
	vips := []Address{{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0"}}
	wait := func(what string, want int) {
		t.Helper()
		if !netlab.WaitFor(2*time.Second, func() bool {
			got, ok := tableMissing(m, vips)
			return ok && len(got) == want
		}) {
			got, ok := tableMissing(m, vips)
			t.Fatalf("%s: table reports missing %v (current %v), want %d missing", what, got, ok, want)
		}
	}
	wait("at start", 1)
	if err := m.AddVIPs(ctx, vips); err != nil {
		t.Fatal(err)
	}
	wait("after AddVIPs", 0)
	n.MustExec("ip", "addr", "del", "10.99.0.100/24", "dev", "eth0")
	wait("after a deletion by hand", 1)
	if got, err := m.MissingVIPs(ctx, vips); err != nil || len(got) != 1 {
		t.Errorf("MissingVIPs = %v, %v; want the VIP", got, err)
	}
	n.MustExec("ip", "addr", "add", "10.99.0.100/24", "dev", "eth0")
	wait("after an addition by hand", 0)

	// an interface removed and created again under the same name
	other := []Address{{Prefix: netip.MustParsePrefix("10.98.0.1/24"), Dev: "x0"}}
	n.MustExec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	n.MustExec("ip", "addr", "add", "10.98.0.1/24", "dev", "x0")
	vips = other
	wait("on a new interface", 0)
	n.MustExec("ip", "link", "del", "x0")
	wait("after the interface is deleted", 1)
	n.MustExec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	n.MustExec("ip", "addr", "add", "10.98.0.1/24", "dev", "x0")
	wait("on the recreated interface", 0)
}

func BenchmarkMissingVIPs(b *testing.B) {
	lab := netlab.New(b, "n1")
	var m *Manager
	if err := lab.Node("n1").Do(func() (err error) { m, err = New(); return err }); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	vips := []Address{{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0"}}
	ctx := context.Background()
	if err := m.AddVIPs(ctx, vips); err != nil {
		b.Fatal(err)
	}
	netlab.WaitFor(2*time.Second, func() bool { got, ok := m.tab.missing(vips); return ok && len(got) == 0 })
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got, err := m.MissingVIPs(ctx, vips); err != nil || len(got) != 0 {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("kernel-dump", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got, err := m.missingFromKernel(ctx, vips); err != nil || len(got) != 0 {
				b.Fatal(got, err)
			}
		}
	})
}

// TestCloseLeavesNoGoroutine: Close stops the table's subscriptions.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	lab := netlab.New(t, "n1")
	opts := goleak.IgnoreCurrent()
	var m *Manager
	if err := lab.Node("n1").Do(func() (err error) { m, err = New(); return err }); err != nil {
		t.Fatal(err)
	}
	netlab.WaitFor(2*time.Second, func() bool { _, ok := m.tab.missing(nil); return ok })
	m.Close()
	goleak.VerifyNone(t, opts)
}

// TestVMACIPv6: an IPv6 VMAC (00:00:5e:00:02:VRID) generates no link-local
// address of its own (it would be the same on every router and fail DAD)
// and carries its parent's instead.
func TestVMACIPv6(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	if _, err := m.EnsureVMAC("vrrp.52", "eth0", 52, true); err != nil {
		t.Fatal(err)
	}
	parent := n.MustExec("ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")
	f := strings.Fields(parent)
	if len(f) < 4 {
		t.Fatalf("no link-local address on eth0: %q", parent)
	}
	ll := f[3]                         // fe80::.../64
	time.Sleep(200 * time.Millisecond) // a generated address would appear by now
	out := n.MustExec("ip", "-6", "-o", "addr", "show", "dev", "vrrp.52")
	if !strings.Contains(out, ll) || strings.Count(out, "inet6") != 1 || strings.Contains(out, "tentative") || strings.Contains(out, "dadfailed") {
		t.Errorf("vrrp.52 addresses:\n%s\nwant exactly eth0's %s, usable", out, ll)
	}
	if l := n.MustExec("ip", "link", "show", "vrrp.52"); !strings.Contains(l, "00:00:5e:00:02:34") {
		t.Errorf("vrrp.52:\n%s", l)
	}
}

// TestRulesAndMultipath: rules and a multipath route reach a real kernel,
// a second add and a second delete converge.
func TestRulesAndMultipath(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	ctx := context.Background()
	routes := []Route{{Dst: netip.MustParsePrefix("192.168.210.0/24"), Nexthops: []Nexthop{
		{Via: netip.MustParseAddr("10.99.0.253"), Dev: "eth0", Weight: 2},
		{Via: netip.MustParseAddr("10.99.0.252"), Dev: "eth0", Weight: 1},
	}}}
	rules := []Rule{
		{Family: 4, Not: true, From: netip.MustParsePrefix("192.168.210.0/24"), Priority: 1000, Table: 100},
		{Family: 4, To: netip.MustParsePrefix("10.0.0.0/8"), FWMark: 0x10, FWMask: 0xff, Priority: 1001, Action: RuleProhibit},
		{Family: 6, Priority: 1002, Goto: 1003, IPProto: 6, DPortFirst: 80, DPortLast: 80},
	}
	for range 2 {
		if err := m.AddRoutes(ctx, routes); err != nil {
			t.Fatal(err)
		}
		if err := m.AddRules(ctx, rules); err != nil {
			t.Fatal(err)
		}
	}
	out := n.MustExec("ip", "route", "show") + n.MustExec("ip", "rule", "show") + n.MustExec("ip", "-6", "rule", "show")
	for _, want := range []string{
		"nexthop via 10.99.0.253 dev eth0 weight 2",
		"nexthop via 10.99.0.252 dev eth0 weight 1",
		"1000:\tnot from 192.168.210.0/24 lookup 100",
		"1001:\tfrom all to 10.0.0.0/8 fwmark 0x10/0xff prohibit",
		"1002:\tfrom all ipproto tcp dport 80 goto 1003",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kernel lacks %q:\n%s", want, out)
		}
	}
	for range 2 {
		if err := m.DelRules(ctx, rules); err != nil {
			t.Fatal(err)
		}
		if err := m.DelRoutes(ctx, routes); err != nil {
			t.Fatal(err)
		}
	}
	out = n.MustExec("ip", "route", "show") + n.MustExec("ip", "rule", "show") + n.MustExec("ip", "-6", "rule", "show")
	if strings.Contains(out, "192.168.210") || strings.Contains(out, "100") {
		t.Errorf("left behind:\n%s", out)
	}
}

// TestCallersKeepSmallStacks: the netlink requests run on the Manager's
// goroutine, so the goroutines asking for them (one per VRRP instance) do
// not grow their stacks for the library's 64 KB receive buffer.
func TestCallersKeepSmallStacks(t *testing.T) {
	lab := netlab.New(t, "n1")
	m := manager(t, lab.Node("n1"))
	const callers = 50
	vips := []Address{{Prefix: netip.MustParsePrefix("10.99.0.200/32"), Dev: "eth0"}}
	stacks := func() uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse
	}
	before := stacks()
	var done, hold sync.WaitGroup
	hold.Add(1)
	errs := make(chan error, callers)
	for range callers {
		done.Add(1)
		go func() {
			err := m.AddVIPs(context.Background(), vips)
			if err == nil {
				err = m.DelVIPs(context.Background(), vips)
			}
			errs <- err
			done.Done()
			hold.Wait() // keep the stack until it is measured
		}()
	}
	done.Wait()
	grown := stacks() - min(before, stacks())
	hold.Done()
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// before: at least 128 KB each (6.4 MB); now a few KB each
	if per := grown / callers; per >= 32<<10 {
		t.Errorf("stacks grew by %d KB per caller of AddVIPs/DelVIPs, want < 32 KB", per>>10)
	}
}
