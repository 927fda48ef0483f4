package config

import (
	"fmt"
	"net/netip"
)

// validate checks what spans blocks: names, references and duplicates.
// Paths are display paths so that the errors get the key's position.
func (d *decoder) validate(c *Config) {
	scripts := d.names("vrrp_script", len(c.Scripts), func(i int) string { return c.Scripts[i].Name })
	procs := d.names("vrrp_track_process", len(c.TrackProcesses), func(i int) string { return c.TrackProcesses[i].Name })
	files := d.names("track_file", len(c.TrackFiles), func(i int) string { return c.TrackFiles[i].Name })
	d.names("vrrp_sync_group", len(c.SyncGroups), func(i int) string { return c.SyncGroups[i].Name })
	insts := d.names("vrrp_instance", len(c.Instances), func(i int) string { return c.Instances[i].Name })
	groups := d.names("virtual_server_group", len(c.VirtualServerGroups), func(i int) string { return c.VirtualServerGroups[i].Name })
	d.validateCARP(c)
	d.validateFileChecks(c, files)
	d.validateBFD(c)

	refs := func(base, key, what, block string, rs []TrackRef, known map[string]int) {
		for j, r := range rs {
			if _, ok := known[r.Name]; !ok && r.Name != "" {
				d.errorf(fmt.Sprintf("%s.%s[%d]", base, key, j), "%s %q not defined (no [[%s]] with this name)", what, r.Name, block)
			}
		}
	}
	memberOf := map[string]string{}
	for i, g := range c.SyncGroups {
		base := fmt.Sprintf("vrrp_sync_group[%d]", i)
		if len(g.Group) == 0 {
			d.errorf(base+".group", "empty group (name at least one vrrp_instance)")
		}
		seen := map[string]bool{}
		for j, m := range g.Group {
			p := fmt.Sprintf("%s.group[%d]", base, j)
			switch {
			case seen[m]:
				d.errorf(p, "instance %q listed twice", m)
			case insts[m] == 0:
				d.errorf(p, "instance %q not defined (no [[vrrp_instance]] with this name)", m)
			case memberOf[m] != "":
				d.errorf(p, "instance %q is already in sync group %q", m, memberOf[m])
			default:
				memberOf[m] = g.Name
			}
			seen[m] = true
		}
		refs(base, "track_script", "vrrp_script", "vrrp_script", g.TrackScripts, scripts)
		refs(base, "track_process", "vrrp_track_process", "vrrp_track_process", g.TrackProcesses, procs)
		refs(base, "track_file", "track_file", "track_file", g.TrackFiles, files)
	}

	type vridKey struct {
		iface  string
		family int
		vrid   int
	}
	vrids := map[vridKey]string{}
	for i := range c.Instances {
		in := &c.Instances[i]
		base := fmt.Sprintf("vrrp_instance[%d]", i)
		refs(base, "track_script", "vrrp_script", "vrrp_script", in.TrackScripts, scripts)
		refs(base, "track_process", "vrrp_track_process", "vrrp_track_process", in.TrackProcesses, procs)
		refs(base, "track_file", "track_file", "track_file", in.TrackFiles, files)
		if in.Interface != "" && in.VirtualRouterID != 0 {
			k := vridKey{in.Interface, in.Family, in.VirtualRouterID}
			if other, ok := vrids[k]; ok {
				d.errorf(base+".virtual_router_id", "%d already used by instance %q on %s for IPv%d (VRIDs must be unique per interface and family)", in.VirtualRouterID, other, in.Interface, in.Family)
			} else {
				vrids[k] = in.Name
			}
		}
		famOK := func(a netip.Addr) bool { return (in.Family == 6) == a.Is6() }
		if in.UnicastSrcIP.IsValid() && !famOK(in.UnicastSrcIP) {
			d.errorf(base+".unicast_src_ip", "%s is not IPv%d like the instance's virtual addresses", in.UnicastSrcIP, in.Family)
		}
		if in.MCastSrcIP.IsValid() && !famOK(in.MCastSrcIP) {
			d.errorf(base+".mcast_src_ip", "%s is not IPv%d like the instance's virtual addresses", in.MCastSrcIP, in.Family)
		}
		peers := map[netip.Addr]bool{}
		for j, p := range in.UnicastPeers {
			pp := fmt.Sprintf("%s.unicast_peer[%d]", base, j)
			if !famOK(p.IP) {
				d.errorf(pp, "%s is not IPv%d like the instance's virtual addresses", p.IP, in.Family)
			}
			if peers[p.IP] {
				d.errorf(pp, "peer %s listed twice", p.IP)
			}
			peers[p.IP] = true
		}
		vips := map[netip.Addr]bool{}
		for j, v := range in.VIPs {
			if vips[v.Prefix.Addr()] {
				d.errorf(fmt.Sprintf("%s.virtual_ipaddress[%d]", base, j), "address %s listed twice", v.Prefix.Addr())
			}
			vips[v.Prefix.Addr()] = true
		}
		if in.Auth.Type != "" && in.Version == 3 {
			d.errorf(base+".authentication", "VRRPv3 has no authentication (RFC 5798); remove it or use version = 2")
		}
		if in.V3ChecksumAsV2 && in.Version != 3 {
			d.errorf(base+".v3_checksum_as_v2", "only for version 3 instances")
		}
	}
	if sd := c.Global.LVSSyncDaemon; sd != nil && sd.VRRPInstance != "" {
		if _, ok := insts[sd.VRRPInstance]; !ok {
			d.errorf("global.lvs_sync_daemon.vrrp_instance", "instance %q not defined (no [[vrrp_instance]] with this name)", sd.VRRPInstance)
		} else if sd.SyncID < 0 {
			sd.SyncID = c.Instances[insts[sd.VRRPInstance]-1].VirtualRouterID
		}
	}
	if sd := c.Global.LVSSyncDaemon; sd != nil && sd.SyncID < 0 {
		sd.SyncID = 0
	}

	type vsKey struct {
		ip     netip.Addr
		port   uint16
		fwmark uint32
		group  string
		family int
		proto  string
	}
	type rsKey struct {
		ip   netip.Addr
		port uint16
	}
	vss := make(map[vsKey]int, len(c.VirtualServers))
	rss := map[rsKey]int{} // one map, emptied per virtual server
	for i := range c.VirtualServers {
		vs := &c.VirtualServers[i]
		base := fmt.Sprintf("virtual_server[%d]", i)
		if vs.Group != "" {
			if _, ok := groups[vs.Group]; !ok {
				d.errorf(base+".group", "virtual_server_group %q not defined (no [[virtual_server_group]] with this name)", vs.Group)
			}
		}
		if vs.VRRPInstance != "" {
			if _, ok := insts[vs.VRRPInstance]; !ok {
				d.errorf(base+".vrrp_instance", "instance %q not defined (no [[vrrp_instance]] with this name)", vs.VRRPInstance)
			}
		}
		k := vsKey{vs.IP, vs.Port, vs.FWMark, vs.Group, vs.Family, vs.Protocol}
		if j, ok := vss[k]; ok {
			d.errorf(base, "same service as virtual_server[%d] (%s)", j, vsString(vs))
		} else {
			vss[k] = i
		}
		if vs.SorryServer != nil && vs.IP.IsValid() && vs.SorryServer.IP.Is4() != vs.IP.Is4() && vs.SorryServerLVSMethod != "TUN" {
			d.errorf(base+".sorry_server", "IPv%d sorry server for an IPv%d virtual server", fam(vs.SorryServer.IP), fam(vs.IP))
		}
		clear(rss)
		for j, rs := range vs.RealServers {
			rk := rsKey{rs.IP, rs.Port}
			if o, ok := rss[rk]; ok && rs.IP.IsValid() {
				d.errorf(fmt.Sprintf("%s.real_server[%d]", base, j), "real server %s listed twice (also real_server[%d])", netip.AddrPortFrom(rs.IP, rs.Port), o)
			} else {
				rss[rk] = j
			}
		}
	}
	d.validateBGP(c, insts)
	d.validateStrict(c)
	d.validateVRRPExtra(c)
	d.validateGARPGroups(c)
}

func vsString(vs *VirtualServer) string {
	switch {
	case vs.FWMark != 0:
		return fmt.Sprintf("fwmark %d IPv%d %s", vs.FWMark, vs.Family, vs.Protocol)
	case vs.Group != "":
		return fmt.Sprintf("group %s %s", vs.Group, vs.Protocol)
	default:
		return fmt.Sprintf("%s %s", netip.AddrPortFrom(vs.IP, vs.Port), vs.Protocol)
	}
}

// names checks that the names of one kind of block are unique and returns
// name -> index+1.
func (d *decoder) names(block string, n int, name func(int) string) map[string]int {
	m := make(map[string]int, n)
	for i := 0; i < n; i++ {
		nm := name(i)
		if nm == "" {
			continue
		}
		if j, ok := m[nm]; ok {
			d.errorf(fmt.Sprintf("%s[%d].name", block, i), "duplicate name %q (also %s[%d])", nm, block, j-1)
			continue
		}
		m[nm] = i + 1
	}
	return m
}
