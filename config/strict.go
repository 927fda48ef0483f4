package config

import "fmt"

// Strict reports whether the instance runs in strict mode: its strict_mode,
// else global.vrrp_strict (keepalived 2.2.7, vrrp_complete_instance).
func (in *VRRPInstance) Strict(g *Global) bool {
	if in.StrictMode != nil {
		return *in.StrictMode
	}
	return g.VRRPStrict
}

// AcceptMode reports whether the instance, as master, accepts packets
// addressed to its VIPs (RFC 5798 Accept_Mode). Unset, it is keepalived's
// default: on for the address owner (priority 255) and outside strict mode,
// off otherwise. When it is off, the daemon installs firewall rules that drop
// traffic to and from the VIPs while the instance is master.
func (in *VRRPInstance) AcceptMode(g *Global) bool {
	if in.Priority == 255 {
		return true
	}
	if in.Accept != nil {
		return *in.Accept
	}
	return !in.Strict(g)
}

// LowerPrioNoAdvertMode resolves lower_prio_no_advert: the instance's value,
// else the global default; strict mode always sends none (keepalived 2.2.7).
func (in *VRRPInstance) LowerPrioNoAdvertMode(g *Global) bool {
	if in.Strict(g) {
		return true
	}
	if in.LowerPrioNoAdvert != nil {
		return *in.LowerPrioNoAdvert
	}
	return g.VRRPLowerPrioNoAdvert
}

// validateStrict refuses what strict mode forbids. keepalived 2.2.7 logs a
// configuration error for each and then resets the value (or, for unicast
// peers, drops the instance); lvsd refuses the file, so the
// running instance is the one that was written.
func (d *decoder) validateStrict(c *Config) {
	g := &c.Global
	for i := range c.Instances {
		in := &c.Instances[i]
		if !in.Strict(g) {
			continue
		}
		base := fmt.Sprintf("vrrp_instance[%d]", i)
		why := "global.vrrp_strict"
		if in.StrictMode != nil {
			why = "strict_mode"
		}
		if in.Auth.Type != "" {
			d.errorf(base+".authentication", "not allowed with %s (RFC 5798 has no authentication; keepalived ignores it)", why)
		}
		if len(in.UnicastPeers) > 0 {
			d.errorf(base+".unicast_peer", "not allowed with %s (VRRP is multicast; keepalived drops the instance)", why)
		}
		if in.State == "MASTER" && in.Priority != 255 {
			d.errorf(base+".state", "MASTER needs priority 255 with %s (only the address owner starts as master)", why)
		}
		if in.PreemptDelay > 0 {
			d.errorf(base+".preempt_delay", "not allowed with %s (RFC 5798 has no preemption delay)", why)
		}
		if in.Accept != nil && *in.Accept && in.Priority != 255 && in.Version == 2 {
			d.errorf(base+".accept", "not allowed for VRRPv2 with %s (RFC 3768 has no Accept_Mode: a backup that became master drops traffic to its VIPs)", why)
		}
		if in.LowerPrioNoAdvert != nil && !*in.LowerPrioNoAdvert {
			d.errorf(base+".lower_prio_no_advert", "must be true with %s (a master does not answer a lower-priority advert)", why)
		}
		if in.UseVMAC && in.VMACXmitBase {
			d.errorf(base+".vmac_xmit_base", "not allowed with %s (adverts go out of the VMAC)", why)
		}
		if in.Family == 6 && len(in.VIPs) > 0 && !in.VIPs[0].Prefix.Addr().IsLinkLocalUnicast() {
			d.errorf(base+".virtual_ipaddress[0]", "the first IPv6 address must be link-local with %s (RFC 5798 5.2.9)", why)
		}
	}
}
