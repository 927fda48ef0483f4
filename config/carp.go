package config

import (
	"fmt"
	"net/netip"
)

// This file decodes [[carp_instance]]: one virtual host of CARP as ucarp
// speaks it (vrrp/carp runs it). Keys are ucarp's long option names.

// CARP defaults (ucarp's).
const (
	DefaultCARPAdvBase   = 1
	DefaultCARPDeadRatio = 3
	// MaxCARPPassLen is ucarp's password limit (a 20-byte key buffer with
	// the terminating NUL).
	MaxCARPPassLen = 19
)

// CARPGroup is ucarp's default --mcastip.
var CARPGroup = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// CARPInstance is a [[carp_instance]] (one ucarp process).
type CARPInstance struct {
	Name      string
	Interface string     // interface (ucarp --interface), required
	VHID      int        // vhid 1..255, required
	Pass      string     // pass, at most 19 bytes; or the first line of passfile
	PassFile  string     // passfile (read by lvsd run and lvsd check)
	Addr      netip.Addr // addr: the virtual IPv4 address (HMAC, GARP, script argument), required
	SrcIP     netip.Addr // srcip; invalid: the interface's first IPv4 address
	MCastIP   netip.Addr // mcastip, default 224.0.0.18
	AdvBase   int        // advbase 0..255 seconds, default 1 (0 only with advskew > 0)
	AdvSkew   int        // advskew 0..255 (1/256 s), default 0
	DeadRatio int        // deadratio >= 1, default 3
	Preempt   bool       // preempt
	Neutral   bool       // neutral: no down script at start
	// IgnoreIfState is ignoreifstate: keep running while the link is down.
	IgnoreIfState bool
	Shutdown      bool    // shutdown: run the down script when lvsd stops as master
	NoMcast       bool    // nomcast: adverts to Ethernet broadcast
	UpScript      Command // upscript: run with INTERFACE ADDR [XPARAM] on MASTER
	DownScript    Command // downscript: same arguments on BACKUP
	XParam        string  // xparam: extra last argument of both scripts
	// VIPs are addresses lvsd itself installs as MASTER and removes
	// otherwise (virtual_ipaddress lines, as for a vrrp_instance); empty:
	// the scripts manage addresses, as with ucarp.
	VIPs []VIP
}

func (d *decoder) decodeCARP(n *node) CARPInstance {
	c := CARPInstance{AdvBase: DefaultCARPAdvBase, DeadRatio: DefaultCARPDeadRatio, MCastIP: CARPGroup}
	n.name(&c.Name)
	if n.nonEmpty("interface", &c.Interface) {
		if err := checkIfName(c.Interface); err != nil {
			d.errorf(n.keyPath("interface"), "%v", err)
		}
	} else if !n.has("interface") {
		d.errorf(n.path(), "missing key interface")
	}
	if !n.integer("vhid", &c.VHID, 1, 255) && !n.has("vhid") {
		d.errorf(n.path(), "missing key vhid")
	}
	passSet := n.str("pass", &c.Pass)
	fileSet := n.nonEmpty("passfile", &c.PassFile)
	switch {
	case passSet && fileSet:
		d.errorf(n.keyPath("passfile"), "excludes pass")
	case passSet && c.Pass == "":
		d.errorf(n.keyPath("pass"), "empty password")
	case passSet && len(c.Pass) > MaxCARPPassLen:
		d.errorf(n.keyPath("pass"), "%d bytes; ucarp accepts at most %d", len(c.Pass), MaxCARPPassLen)
	case !passSet && !fileSet && !n.has("pass") && !n.has("passfile"):
		d.errorf(n.path(), "missing key pass (or passfile)")
	}
	if n.addr("addr", &c.Addr) {
		if !c.Addr.Is4() {
			d.errorf(n.keyPath("addr"), "%s is not IPv4 (ucarp's CARP is IPv4 only)", c.Addr)
		}
	} else if !n.has("addr") {
		d.errorf(n.path(), "missing key addr")
	}
	if n.addr("srcip", &c.SrcIP) && !c.SrcIP.Is4() {
		d.errorf(n.keyPath("srcip"), "%s is not IPv4", c.SrcIP)
	}
	if n.addr("mcastip", &c.MCastIP) && !c.MCastIP.Is4() {
		d.errorf(n.keyPath("mcastip"), "%s is not IPv4", c.MCastIP)
	}
	n.integer("advbase", &c.AdvBase, 0, 255)
	n.integer("advskew", &c.AdvSkew, 0, 255)
	if c.AdvBase == 0 && c.AdvSkew == 0 && n.has("advbase") {
		d.errorf(n.keyPath("advbase"), "0 needs advskew > 0 (ucarp: an advertisement time base is required)")
	}
	n.integer("deadratio", &c.DeadRatio, 1, 1000)
	n.boolean("preempt", &c.Preempt)
	n.boolean("neutral", &c.Neutral)
	n.boolean("ignoreifstate", &c.IgnoreIfState)
	n.boolean("shutdown", &c.Shutdown)
	n.boolean("nomcast", &c.NoMcast)
	n.command("upscript", &c.UpScript)
	n.command("downscript", &c.DownScript)
	n.str("xparam", &c.XParam)
	c.VIPs = n.vips("virtual_ipaddress")
	for i, v := range c.VIPs {
		if !v.Prefix.Addr().Is4() {
			d.errorf(fmt.Sprintf("%s[%d]", n.keyPath("virtual_ipaddress"), i), "%s is not IPv4", v.Prefix.Addr())
		}
		if c.VIPs[i].Dev == "" {
			c.VIPs[i].Dev = c.Interface
		}
		if c.VIPs[i].Scope == "" {
			c.VIPs[i].Scope = "global"
		}
	}
	n.finish()
	return c
}

// validateCARP checks carp_instance names and that no two virtual hosts
// (CARP or VRRP: both are IP protocol 112) share an interface and id.
func (d *decoder) validateCARP(c *Config) {
	d.names("carp_instance", len(c.CARPInstances), func(i int) string { return c.CARPInstances[i].Name })
	type key struct {
		ifname string
		id     int
	}
	seen := map[key]string{}
	for _, in := range c.Instances {
		seen[key{in.Interface, in.VirtualRouterID}] = "vrrp_instance " + in.Name
	}
	for i, in := range c.CARPInstances {
		k := key{in.Interface, in.VHID}
		if other, ok := seen[k]; ok && in.Interface != "" {
			d.errorf(fmt.Sprintf("carp_instance[%d].vhid", i), "%d on %s is also %s (CARP and VRRP share IP protocol 112: use another id)", in.VHID, in.Interface, other)
			continue
		}
		seen[k] = "carp_instance " + in.Name
	}
}

func (w *tomlWriter) carpInstance(c *CARPInstance) {
	w.arrayTable("carp_instance")
	w.str("name", c.Name)
	w.str("interface", c.Interface)
	w.int("vhid", c.VHID)
	if c.PassFile != "" {
		w.str("passfile", c.PassFile)
	} else {
		w.str("pass", c.Pass)
	}
	w.addr("addr", c.Addr)
	w.addrOpt("srcip", c.SrcIP)
	w.addr("mcastip", c.MCastIP)
	w.int("advbase", c.AdvBase)
	w.int("advskew", c.AdvSkew)
	w.int("deadratio", c.DeadRatio)
	w.boolean("preempt", c.Preempt)
	w.boolean("neutral", c.Neutral)
	w.boolean("ignoreifstate", c.IgnoreIfState)
	w.boolean("shutdown", c.Shutdown)
	w.boolean("nomcast", c.NoMcast)
	w.command("upscript", c.UpScript)
	w.command("downscript", c.DownScript)
	w.strOpt("xparam", c.XParam)
	if len(c.VIPs) > 0 {
		w.vips("virtual_ipaddress", c.VIPs)
	}
}

// carp checks the carp_instance tables against the host: interfaces
// (warnings), scripts and password files (errors).
func (hc *hostCheck) carp(vmacs map[string]bool) {
	for i, in := range hc.c.CARPInstances {
		base := fmt.Sprintf("carp_instance[%d]", i)
		hc.iface(base+".interface", in.Interface, vmacs)
		for j, v := range in.VIPs {
			if v.Dev != in.Interface {
				hc.iface(fmt.Sprintf("%s.virtual_ipaddress[%d]", base, j), v.Dev, vmacs)
			}
		}
		hc.script(base+".upscript", in.UpScript)
		hc.script(base+".downscript", in.DownScript)
		if in.PassFile != "" {
			if _, err := hc.h.Stat(in.PassFile); err != nil {
				hc.err.errorf(base+".passfile", "%s: %v", in.PassFile, unwrapPath(err))
			}
		}
	}
}
