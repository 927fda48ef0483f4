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
		"Nexthops": func(r *config.Route) {
			r.Nexthops = []config.Nexthop{{Via: netip.MustParseAddr("10.98.0.1"), Weight: 1}, {Via: netip.MustParseAddr("10.98.0.2"), Weight: 1}}
		},
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

func ruleRequest(t *testing.T, r config.Rule) *netlink.Rule {
	t.Helper()
	vr, err := Rule(r)
	if err != nil {
		t.Fatal(err)
	}
	nr, err := vip.NetlinkRule(KernelRule(vr))
	if err != nil {
		t.Fatal(err)
	}
	return nr
}

// TestRuleFieldsReachNetlink: setting any one field of a configured rule
// changes the netlink request. A field that only means something with
// another (uidrange's ends, sport's last port) starts from a base that has
// the other.
func TestRuleFieldsReachNetlink(t *testing.T) {
	tbl := config.Rule{Family: 4, Table: 100}
	uid := config.Rule{Family: 4, Table: 100, HasUIDRange: true, UIDFirst: 1, UIDLast: 10}
	ports := config.Rule{Family: 4, Table: 100, SPortFirst: 1, SPortLast: 1, DPortFirst: 1, DPortLast: 1}
	sup := config.Rule{Family: 4, Table: 100, HasSuppress: true}
	gt := config.Rule{Family: 4, Priority: 10, Goto: 20}
	act := config.Rule{Family: 4, Action: "blackhole"}
	type mut struct {
		base config.Rule
		f    func(*config.Rule)
	}
	set := map[string]mut{
		"Family":      {tbl, func(r *config.Rule) { r.Family = 6 }},
		"Not":         {tbl, func(r *config.Rule) { r.Not = true }},
		"From":        {tbl, func(r *config.Rule) { r.From = netip.MustParsePrefix("10.1.0.0/16") }},
		"To":          {tbl, func(r *config.Rule) { r.To = netip.MustParsePrefix("10.2.0.0/16") }},
		"Priority":    {tbl, func(r *config.Rule) { r.Priority = 7 }},
		"TOS":         {tbl, func(r *config.Rule) { r.TOS = 0x10 }},
		"FWMark":      {tbl, func(r *config.Rule) { r.FWMark = 3 }},
		"FWMask":      {tbl, func(r *config.Rule) { r.FWMask = 0xff }},
		"IIF":         {tbl, func(r *config.Rule) { r.IIF = "eth0" }},
		"OIF":         {tbl, func(r *config.Rule) { r.OIF = "eth1" }},
		"HasUIDRange": {tbl, func(r *config.Rule) { r.HasUIDRange = true }},
		"UIDFirst":    {uid, func(r *config.Rule) { r.UIDFirst = 5 }},
		"UIDLast":     {uid, func(r *config.Rule) { r.UIDLast = 50 }},
		"IPProto":     {tbl, func(r *config.Rule) { r.IPProto = 6 }},
		"SPortFirst":  {tbl, func(r *config.Rule) { r.SPortFirst, r.SPortLast = 80, 80 }},
		"SPortLast":   {ports, func(r *config.Rule) { r.SPortLast = 9 }},
		"DPortFirst":  {tbl, func(r *config.Rule) { r.DPortFirst, r.DPortLast = 80, 80 }},
		"DPortLast":   {ports, func(r *config.Rule) { r.DPortLast = 9 }},
		"HasSuppress": {tbl, func(r *config.Rule) { r.HasSuppress = true }},
		"SuppressLen": {sup, func(r *config.Rule) { r.SuppressLen = 8 }},
		"Table":       {tbl, func(r *config.Rule) { r.Table = 101 }},
		"Goto":        {gt, func(r *config.Rule) { r.Goto = 30 }},
		"Action":      {act, func(r *config.Rule) { r.Action = "prohibit" }},
		"Protocol":    {tbl, func(r *config.Rule) { r.Protocol = "keepalived" }},
	}
	cases := map[string]func(){}
	for name, m := range set {
		cases[name] = func() {
			r := m.base
			m.f(&r)
			if reflect.DeepEqual(ruleRequest(t, m.base), ruleRequest(t, r)) {
				t.Errorf("config.Rule.%s = %+v is lost on the way to netlink", name, r)
			}
		}
	}
	fieldsCovered(t, reflect.TypeOf(config.Rule{}), cases)
	for _, c := range cases {
		c()
	}
}

// TestNexthopFieldsReachNetlink: the same for each field of a nexthop, and
// a multipath route's nexthops are its request's RTA_MULTIPATH.
func TestNexthopFieldsReachNetlink(t *testing.T) {
	base := config.Route{Dst: netip.MustParsePrefix("10.60.0.0/16"), Nexthops: []config.Nexthop{
		{Via: netip.MustParseAddr("10.98.0.1"), Weight: 1},
		{Via: netip.MustParseAddr("10.98.0.2"), Dev: "eth1", Weight: 3},
	}}
	set := map[string]func(*config.Nexthop){
		"Via":    func(n *config.Nexthop) { n.Via = netip.MustParseAddr("10.98.0.3") },
		"Dev":    func(n *config.Nexthop) { n.Dev = "eth1" },
		"Weight": func(n *config.Nexthop) { n.Weight = 2 },
	}
	cases := map[string]func(){}
	for name, f := range set {
		cases[name] = func() {
			r := base
			r.Nexthops = append([]config.Nexthop(nil), base.Nexthops...)
			f(&r.Nexthops[0])
			if reflect.DeepEqual(routeRequest(t, base), routeRequest(t, r)) {
				t.Errorf("config.Nexthop.%s = %+v is lost on the way to netlink", name, r.Nexthops[0])
			}
		}
	}
	fieldsCovered(t, reflect.TypeOf(config.Nexthop{}), cases)
	for _, c := range cases {
		c()
	}
	nr := routeRequest(t, base)
	if nr.Gw != nil || nr.LinkIndex != 0 || len(nr.MultiPath) != 2 {
		t.Fatalf("multipath request: gw %v ifindex %d nexthops %v", nr.Gw, nr.LinkIndex, nr.MultiPath)
	}
	if h := nr.MultiPath[1]; h.Gw.String() != "10.98.0.2" || h.LinkIndex != indexes["eth1"] || h.Hops != 2 {
		t.Errorf("second nexthop %v, want via 10.98.0.2 on eth1 with rtnh_hops 2 (weight 3)", h)
	}
	// A nexthop on the instance's interface goes on its VMAC, as a route does.
	r := base
	r.Nexthops = []config.Nexthop{{Dev: "eth0", Weight: 1}, {Dev: "eth1", Weight: 1}}
	if got := routeRequest(t, r).MultiPath[0].LinkIndex; got != indexes["vrrp.51"] {
		t.Errorf("nexthop dev eth0 placed on ifindex %d, want the VMAC's %d", got, indexes["vrrp.51"])
	}
}

// TestIssueRules: rule lines parsed from a file reach the request as ip
// rule would send them.
func TestIssueRules(t *testing.T) {
	const file = `
static_rules = ["from 10.1.0.0/16 fwmark 0x10/0xff priority 100 table 200", "inet6 not iif eth0 priority 101 unreachable"]
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.98.0.100/24"]
virtual_rules = ["to 10.98.0.100 priority 300 goto 400"]
`
	cfg, err := config.Parse("t.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	a := ruleRequest(t, cfg.StaticRules[0])
	if a.Src.String() != "10.1.0.0/16" || a.Mark != 0x10 || a.Mask == nil || *a.Mask != 0xff || a.Priority != 100 || a.Table != 200 || a.Family != unix.AF_INET {
		t.Errorf("rule 0: %+v", a)
	}
	b := ruleRequest(t, cfg.StaticRules[1])
	if b.Family != unix.AF_INET6 || !b.Invert || b.IifName != "eth0" || b.Type != unix.RTN_UNREACHABLE || b.Table != 0 {
		t.Errorf("rule 1: %+v", b)
	}
	c := ruleRequest(t, cfg.Instances[0].Rules[0])
	if c.Dst.String() != "10.98.0.100/32" || c.Goto != 400 || c.Priority != 300 {
		t.Errorf("virtual rule: %+v", c)
	}
}
