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
	return vrrp.Route{Dst: r.Dst, Via: r.Via, Dev: r.Dev, Src: r.Src, Metric: r.Metric, Table: r.Table,
		Scope: sc, Protocol: proto, Blackhole: r.Blackhole}, nil
}

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
// left to the kernel to place; a blackhole route has no device.
func (p Placement) Route(r vrrp.Route) vip.Route {
	dev := r.Dev
	if !r.Blackhole && (dev != "" || !r.Via.IsValid()) {
		dev = p.DevOf(dev)
	}
	return vip.Route{Dst: r.Dst, Src: r.Src, Via: r.Via, Dev: dev, Metric: r.Metric, Table: r.Table,
		Scope: r.Scope, Protocol: r.Protocol, Blackhole: r.Blackhole}
}
