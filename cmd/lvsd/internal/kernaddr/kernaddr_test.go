package kernaddr

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/vip"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var indexes = map[string]int{"eth0": 2, "eth1": 3, "vrrp.51": 4}

func index(dev string) (int, error) {
	if i, ok := indexes[dev]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("no interface %q", dev)
}

var place = Placement{Iface: "eth0", Dev: "vrrp.51"}

// routeRequest follows a configured route all the way to its netlink request.
func routeRequest(t *testing.T, r config.Route) *netlink.Route {
	t.Helper()
	vr, err := Route(r)
	if err != nil {
		t.Fatal(err)
	}
	nr, err := vip.NetlinkRoute(place.Route(vr), index)
	if err != nil {
		t.Fatal(err)
	}
	return nr
}

func addrRequest(t *testing.T, v config.VIP) *netlink.Addr {
	t.Helper()
	vv, err := VIP(v, false)
	if err != nil {
		t.Fatal(err)
	}
	a := place.Addr(vv)
	i, err := index(a.Dev)
	if err != nil {
		t.Fatal(err)
	}
	return vip.NetlinkAddr(a, i)
}

// (reflect.DeepEqual, not cmp: netlink.Addr and netlink.Route have Equal
// methods that look at a few fields only.)

// fieldsCovered fails unless every field of typ has a case.
func fieldsCovered(t *testing.T, typ reflect.Type, cases map[string]func()) {
	t.Helper()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; cases[name] == nil {
			t.Errorf("%s.%s has no case: add one that shows it reaches the netlink request", typ, name)
		}
	}
}

// TestRouteFieldsReachNetlink: setting any one field of a configured route
// changes the netlink request; a field lost on the way fails here.
func TestRouteFieldsReachNetlink(t *testing.T) {
	base := config.Route{Dst: netip.MustParsePrefix("10.60.0.0/16")}
	set := map[string]func(*config.Route){
		"Dst":       func(r *config.Route) { r.Dst = netip.MustParsePrefix("10.61.0.0/16") },
		"Src":       func(r *config.Route) { r.Src = netip.MustParseAddr("10.98.0.1") },
		"Via":       func(r *config.Route) { r.Via = netip.MustParseAddr("10.98.0.254") },
		"Dev":       func(r *config.Route) { r.Dev = "eth1" },
		"Metric":    func(r *config.Route) { r.Metric = 7 },
		"Table":     func(r *config.Route) { r.Table = 100 },
		"Scope":     func(r *config.Route) { r.Scope = "host" },
		"Protocol":  func(r *config.Route) { r.Protocol = "99" },
		"Blackhole": func(r *config.Route) { r.Blackhole = true },
	}
	cases := map[string]func(){}
	for name, f := range set {
		cases[name] = func() {
			r := base
			f(&r)
			if reflect.DeepEqual(routeRequest(t, base), routeRequest(t, r)) {
				t.Errorf("config.Route.%s = %+v is lost on the way to netlink", name, r)
			}
		}
	}
	fieldsCovered(t, reflect.TypeOf(config.Route{}), cases)
	for _, c := range cases {
		c()
	}
}

// TestVIPFieldsReachNetlink: the same for a configured address.
func TestVIPFieldsReachNetlink(t *testing.T) {
	base4 := config.VIP{Prefix: netip.MustParsePrefix("10.99.0.100/24")}
	base6 := config.VIP{Prefix: netip.MustParsePrefix("fd99::100/64")}
	type mut struct {
		base config.VIP
		f    func(*config.VIP)
	}
	set := map[string]mut{
		"Prefix":        {base4, func(v *config.VIP) { v.Prefix = netip.MustParsePrefix("10.99.0.100/25") }},
		"Brd":           {base4, func(v *config.VIP) { v.Brd = netip.MustParseAddr("10.99.0.255") }},
		"Dev":           {base4, func(v *config.VIP) { v.Dev = "eth1" }},
		"Scope":         {base4, func(v *config.VIP) { v.Scope = "link" }},
		"Label":         {base4, func(v *config.VIP) { v.Label = "eth0:1" }},
		"NoPrefixRoute": {base4, func(v *config.VIP) { v.NoPrefixRoute = true }},
		"NoDAD":         {base6, func(v *config.VIP) { v.NoDAD = true }},
	}
	cases := map[string]func(){}
	for name, m := range set {
		cases[name] = func() {
			v := m.base
			m.f(&v)
			if reflect.DeepEqual(addrRequest(t, m.base), addrRequest(t, v)) {
				t.Errorf("config.VIP.%s = %+v is lost on the way to netlink", name, v)
			}
		}
	}
	fieldsCovered(t, reflect.TypeOf(config.VIP{}), cases)
	for _, c := range cases {
		c()
	}
}

// TestIssueRoutes: the lines of issue 15, parsed from a file, become a
// blackhole route with no device and a gatewayed route with protocol 99.
func TestIssueRoutes(t *testing.T) {
	const file = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.98.0.100/24"]
virtual_routes = ["blackhole 10.50.0.0/16", "10.60.0.0/16 via 10.98.0.254 dev eth0 proto 99"]
`
	cfg, err := config.Parse("t.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	rs := cfg.Instances[0].Routes
	if len(rs) != 2 {
		t.Fatalf("routes = %+v", rs)
	}
	bh := routeRequest(t, rs[0])
	if bh.Type != unix.RTN_BLACKHOLE || bh.LinkIndex != 0 || bh.Scope != netlink.SCOPE_UNIVERSE || bh.Protocol != unix.RTPROT_BOOT {
		t.Errorf("blackhole 10.50.0.0/16: type %d ifindex %d scope %d proto %d, want blackhole, no device, universe, boot",
			bh.Type, bh.LinkIndex, bh.Scope, bh.Protocol)
	}
	gw := routeRequest(t, rs[1])
	if gw.Protocol != 99 || gw.Gw.String() != "10.98.0.254" || gw.LinkIndex != indexes["vrrp.51"] || gw.Type == unix.RTN_BLACKHOLE {
		t.Errorf("10.60.0.0/16 via: proto %d gw %s ifindex %d type %d, want proto 99 via 10.98.0.254 on the instance's device",
			gw.Protocol, gw.Gw, gw.LinkIndex, gw.Type)
	}
}

func TestRouteProtocolRejected(t *testing.T) {
	const file = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.98.0.100/24"]
virtual_routes = ["10.60.0.0/16 via 10.98.0.254 proto nosuch"]
`
	if _, err := config.Parse("t.toml", []byte(file)); err == nil {
		t.Fatal("proto nosuch accepted")
	}
}
