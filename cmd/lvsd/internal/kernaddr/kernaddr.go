package kernaddr

import (
	"fmt"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// VIP maps a virtual_ipaddress (or, with excluded, a
// virtual_ipaddress_excluded) entry onto the runner's value.
func VIP(v config.VIP, excluded bool) (vrrp.VIP, error) {
	sc, err := vip.ParseScope(v.Scope)
	if err != nil {
		return vrrp.VIP{}, fmt.Errorf("address %s: %w", v.Prefix, err)
	}
	return vrrp.VIP{Prefix: v.Prefix, Dev: v.Dev, Label: v.Label, Scope: sc, Broadcast: v.Brd,
		NoPrefixRoute: v.NoPrefixRoute, NoDAD: v.NoDAD, Excluded: excluded}, nil
}

// Route maps a virtual_routes entry onto the runner's value.
func Route(r config.Route) (vrrp.Route, error) {
	var sc uint8
	if r.Scope != "" {
		s, err := vip.ParseScope(r.Scope)
		if err != nil {
			return vrrp.Route{}, fmt.Errorf("route %s: %w", r.Dst, err)
		}
		sc = s
	}
	proto, ok := config.RouteProtocol(r.Protocol)
	if !ok {
		return vrrp.Route{}, fmt.Errorf("route %s: unknown protocol %q", r.Dst, r.Protocol)
	}
	out := vrrp.Route{Dst: r.Dst, Via: r.Via, Dev: r.Dev, Src: r.Src, Metric: r.Metric, Table: r.Table,
		Scope: sc, Protocol: proto, Blackhole: r.Blackhole}
	for _, nh := range r.Nexthops {
		out.Nexthops = append(out.Nexthops, vrrp.Nexthop{Via: nh.Via, Dev: nh.Dev, Weight: nh.Weight})
	}
	return out, nil
}

// ruleActions maps a configured rule action onto its FR_ACT_* number.
var ruleActions = map[string]uint8{"": 0, "nop": vip.RuleNop, "blackhole": vip.RuleBlackhole,
	"unreachable": vip.RuleUnreachable, "prohibit": vip.RuleProhibit}

// Rule maps a virtual_rules or static_rules entry onto the runner's value.
func Rule(r config.Rule) (vrrp.Rule, error) {
	act, ok := ruleActions[r.Action]
	if !ok {
		return vrrp.Rule{}, fmt.Errorf("rule %s: unknown action %q", r, r.Action)
	}
	var proto uint8
	if r.Protocol != "" { // unlike a route's, a rule's protocol has no default
		p, ok := config.RouteProtocol(r.Protocol)
		if !ok {
			return vrrp.Rule{}, fmt.Errorf("rule %s: unknown protocol %q", r, r.Protocol)
		}
		proto = p
	}
	return vrrp.Rule{
		Family: r.Family, Not: r.Not, From: r.From, To: r.To, Priority: r.Priority, TOS: r.TOS,
		FWMark: r.FWMark, FWMask: r.FWMask, IIF: r.IIF, OIF: r.OIF,
		HasUIDRange: r.HasUIDRange, UIDFirst: r.UIDFirst, UIDLast: r.UIDLast, IPProto: r.IPProto,
		SPortFirst: r.SPortFirst, SPortLast: r.SPortLast, DPortFirst: r.DPortFirst, DPortLast: r.DPortLast,
		HasSuppress: r.HasSuppress, SuppressLen: r.SuppressLen,
		Table: r.Table, Goto: r.Goto, Action: act, Protocol: proto,
	}, nil
}

// KernelRule is the kernel rule for r. A rule's interfaces are always named
// (iif, oif), so it is placed nowhere: the instance's VMAC does not stand in
// for its interface.
func KernelRule(r vrrp.Rule) vip.Rule { return vip.Rule(r) }

// Placement puts an instance's addresses and routes on devices: those with
// no device, or on the instance's interface Iface, go on Dev (the VMAC with
// use_vmac, else Iface).
type Placement struct {
	Iface string
	Dev   string
}

// DevOf is the device that carries an address or route configured on d.
func (p Placement) DevOf(d string) string {
	if d == "" || d == p.Iface {
		return p.Dev
	}
	return d
}

// Addr is the kernel address for v.
func (p Placement) Addr(v vrrp.VIP) vip.Address {
	return vip.Address{
		Prefix: v.Prefix, Dev: p.DevOf(v.Dev), Brd: v.Broadcast, Scope: v.Scope,
		Label: v.Label, NoPrefixRoute: v.NoPrefixRoute, NoDAD: v.NoDAD,
	}
}

// Route is the kernel route for r. A route with a gateway and no device is
// left to the kernel to place; a blackhole route has no device; the
// nexthops of a multipath route are placed as routes are.
func (p Placement) Route(r vrrp.Route) vip.Route {
	dev := r.Dev
	if !r.Blackhole && (dev != "" || !r.Via.IsValid()) {
		dev = p.DevOf(dev)
	}
	if len(r.Nexthops) > 0 {
		dev = ""
	}
	out := vip.Route{Dst: r.Dst, Src: r.Src, Via: r.Via, Dev: dev, Metric: r.Metric, Table: r.Table,
		Scope: r.Scope, Protocol: r.Protocol, Blackhole: r.Blackhole}
	for _, nh := range r.Nexthops {
		d := nh.Dev
		if d != "" || !nh.Via.IsValid() {
			d = p.DevOf(d)
		}
		out.Nexthops = append(out.Nexthops, vip.Nexthop{Via: nh.Via, Dev: d, Weight: nh.Weight})
	}
	return out
}

// Static places static_ipaddress and static_routes: they belong to no
// instance, so nothing stands in for an empty device.
var Static = Placement{}
