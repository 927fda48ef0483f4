package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Dump renders c as TOML with every effective value spelled out (the
// defaults Load filled in included). Parse accepts the result again and
// yields an equal Config (apart from File).
func Dump(c *Config) []byte {
	w := &tomlWriter{}
	w.comment("lvsd effective configuration, every default filled in")
	if c.File != "" {
		w.comment("loaded from " + c.File)
	}
	// Top-level keys come before the first table.
	if len(c.StaticAddresses) > 0 {
		w.vips("static_ipaddress", c.StaticAddresses)
	}
	w.routes("static_routes", c.StaticRoutes)
	w.rules("static_rules", c.StaticRules)
	w.table("global")
	g := &c.Global
	w.str("router_id", g.RouterID)
	w.str("script_user", g.ScriptUser)
	w.strOpt("script_group", g.ScriptGroup)
	w.boolean("enable_script_security", g.EnableScriptSecurity)
	w.int("vrrp_version", g.VRRPVersion)
	w.strOpt("notify_fifo", g.NotifyFIFO)
	w.command("notify_fifo_script", g.NotifyFIFOScript)
	w.strOpt("vrrp_notify_fifo", g.VRRPNotifyFIFO)
	w.command("vrrp_notify_fifo_script", g.VRRPNotifyFIFOScript)
	w.strOpt("lvs_notify_fifo", g.LVSNotifyFIFO)
	w.boolean("fifo_write_vrrp_states_on_reload", g.FIFOWriteVRRPStatesOnReload)
	w.boolean("rs_init_notifies", g.RSInitNotifies)
	w.command("lvs_notify_fifo_script", g.LVSNotifyFIFOScript)
	if sd := g.LVSSyncDaemon; sd != nil {
		inst := ""
		if sd.VRRPInstance != "" {
			inst = "vrrp_instance = " + quote(sd.VRRPInstance) + ", "
		}
		w.raw("lvs_sync_daemon", fmt.Sprintf("{ interface = %s, %ssync_id = %d, maxlen = %d, port = %d, ttl = %d, group = %s }",
			quote(sd.Interface), inst, sd.SyncID, sd.MaxLen, sd.Port, sd.TTL, quote(sd.Group.String())))
	}
	if t := g.LVSTimeouts; t != (LVSTimeouts{}) {
		var parts []string
		for _, p := range []struct {
			k string
			d time.Duration
		}{{"tcp", t.TCP}, {"tcpfin", t.TCPFin}, {"udp", t.UDP}} {
			if p.d != 0 {
				parts = append(parts, p.k+" = "+durString(p.d))
			}
		}
		w.raw("lvs_timeouts", "{ "+strings.Join(parts, ", ")+" }")
	}
	w.boolean("lvs_flush", g.LVSFlush)
	w.boolean("lvs_flush_on_stop", g.LVSFlushOnStop)
	w.strOpt("metrics_listen", g.MetricsListen)
	if g.VRRPRTPriority != 0 {
		w.int("vrrp_rt_priority", g.VRRPRTPriority)
	}
	w.boolean("vrrp_no_swap", g.VRRPNoSwap)
	w.dur("vrrp_late_timer", g.VRRPLateTimer)
	w.dur("vrrp_garp_master_delay", g.GARPMasterDelay)
	w.int("vrrp_garp_master_repeat", g.GARPMasterRepeat)
	w.dur("vrrp_garp_master_refresh", g.GARPMasterRefresh)
	w.int("vrrp_garp_master_refresh_repeat", g.GARPMasterRefreshRepeat)
	w.dur("vrrp_garp_lower_prio_delay", g.GARPLowerPrioDelay)
	w.int("vrrp_garp_lower_prio_repeat", g.GARPLowerPrioRepeat)
	w.durOpt("vrrp_garp_interval", g.GARPInterval)
	w.durOpt("vrrp_gna_interval", g.GNAInterval)
	w.addr("vrrp_mcast_group4", g.VRRPMcastGroup4)
	w.addr("vrrp_mcast_group6", g.VRRPMcastGroup6)
	w.durOpt("vrrp_startup_delay", g.VRRPStartupDelay)
	w.boolean("vrrp_skip_check_adv_addr", g.VRRPSkipCheckAdvAddr)
	w.boolPtr("vrrp_check_unicast_src", g.VRRPCheckUnicastSrc)
	w.boolean("disable_local_igmp", g.DisableLocalIGMP)
	w.boolean("vrrp_lower_prio_no_advert", g.VRRPLowerPrioNoAdvert)
	w.boolean("vrrp_strict", g.VRRPStrict)
	w.str("nftables", g.NFTables)
	w.int("nftables_priority", g.NFTablesPriority)
	w.boolean("nftables_counters", g.NFTablesCounters)
	w.strOpt("net_namespace", g.NetNamespace)
	w.strOpt("ssl_ca", g.SSLCA)
	w.strOpt("ssl_certificate", g.SSLCertificate)
	w.strOpt("ssl_key", g.SSLKey)
	w.smtp(g.SMTP)
	w.snmp(g.SNMP)
	w.vrrpGlobalExtra(g)
	w.process(g.Process)
	w.netlink(g.Netlink)

	for _, s := range c.Scripts {
		w.arrayTable("vrrp_script")
		w.str("name", s.Name)
		w.command("script", s.Script)
		w.dur("interval", s.Interval)
		w.dur("timeout", s.Timeout)
		w.int("rise", s.Rise)
		w.int("fall", s.Fall)
		w.int("weight", s.Weight)
		w.boolean("reverse", s.WeightReverse)
		w.boolean("init_fail", s.InitFail)
	}
	for _, p := range c.TrackProcesses {
		w.arrayTable("vrrp_track_process")
		w.str("name", p.Name)
		proc := p.Process
		if p.Params != "" {
			proc += " " + p.Params
		}
		w.str("process", proc)
		w.strOpt("param_match", p.ParamMatch)
		w.int("weight", p.Weight)
		w.boolean("reverse", p.WeightReverse)
		w.int("quorum", p.Quorum)
		w.int("quorum_max", p.QuorumMax)
		w.dur("fork_delay", p.ForkDelay)
		w.dur("terminate_delay", p.TerminateDelay)
		w.boolean("full_command", p.FullCommand)
	}
	for _, f := range c.TrackFiles {
		w.arrayTable("track_file")
		w.str("name", f.Name)
		w.str("file", f.File)
		w.int("weight", f.Weight)
		w.boolean("reverse", f.WeightReverse)
		if f.InitFile {
			v := strconv.Itoa(f.InitValue)
			if f.InitOverwrite {
				v += " overwrite"
			}
			w.str("init_file", v)
		}
	}
	for _, sg := range c.SyncGroups {
		w.arrayTable("vrrp_sync_group")
		w.str("name", sg.Name)
		w.strs("group", sg.Group)
		w.notify(sg.Notify)
		w.tracks("track_script", sg.TrackScripts)
		w.tracks("track_process", sg.TrackProcesses)
		w.tracks("track_file", sg.TrackFiles)
		w.tracks("track_interface", sg.TrackInterfaces)
		w.tracks("track_bfd", sg.TrackBFDs)
		w.boolean("sync_group_tracking_weight", sg.SyncGroupTrackingWeight)
		w.boolPtr("smtp_alert", sg.SMTPAlert)
	}
	for i := range c.Instances {
		w.instance(&c.Instances[i])
	}
	for _, g := range c.VirtualServerGroups {
		w.arrayTable("virtual_server_group")
		w.str("name", g.Name)
		var vs []string
		for _, e := range g.Entries {
			vs = append(vs, vsgString(e))
		}
		w.strs("vip", vs)
	}
	for i := range c.VirtualServers {
		w.virtualServer(&c.VirtualServers[i])
	}
	for i := range c.CARPInstances {
		w.carpInstance(&c.CARPInstances[i])
	}
	w.bgp(c.BGP)
	for i := range c.BFDInstances {
		w.bfdInstance(&c.BFDInstances[i])
	}
	w.garpGroups(c.GARPGroups)
	return []byte(w.b.String())
}

func (w *tomlWriter) instance(in *VRRPInstance) {
	w.arrayTable("vrrp_instance")
	w.str("name", in.Name)
	w.str("state", in.State)
	w.str("interface", in.Interface)
	w.int("virtual_router_id", in.VirtualRouterID)
	w.int("priority", in.Priority)
	w.dur("advert_int", in.AdvertInt)
	w.int("version", in.Version)
	w.boolean("nopreempt", in.NoPreempt)
	w.dur("preempt_delay", in.PreemptDelay)
	if in.Auth.Type != "" {
		w.raw("authentication", fmt.Sprintf("{ auth_type = %s, auth_pass = %s }", quote(in.Auth.Type), quote(in.Auth.Pass)))
	}
	w.addrOpt("unicast_src_ip", in.UnicastSrcIP)
	if in.UnicastTTL != 0 {
		w.int("unicast_ttl", in.UnicastTTL)
	}
	if len(in.UnicastPeers) > 0 {
		var ps []string
		for _, p := range in.UnicastPeers {
			ps = append(ps, fmt.Sprintf("%s min_ttl %d max_ttl %d", p.IP, p.MinTTL, p.MaxTTL))
		}
		w.strs("unicast_peer", ps)
	}
	w.addrOpt("mcast_src_ip", in.MCastSrcIP)
	w.vips("virtual_ipaddress", in.VIPs)
	if len(in.ExcludedVIPs) > 0 {
		w.vips("virtual_ipaddress_excluded", in.ExcludedVIPs)
	}
	w.routes("virtual_routes", in.Routes)
	w.rules("virtual_rules", in.Rules)
	w.tracks("track_script", in.TrackScripts)
	w.tracks("track_process", in.TrackProcesses)
	w.tracks("track_file", in.TrackFiles)
	w.tracks("track_interface", in.TrackInterfaces)
	w.tracks("track_bfd", in.TrackBFDs)
	w.boolean("dont_track_primary", in.DontTrackPrimary)
	w.dur("garp_master_delay", in.GARPMasterDelay)
	w.int("garp_master_repeat", in.GARPMasterRepeat)
	w.dur("garp_master_refresh", in.GARPMasterRefresh)
	w.int("garp_master_refresh_repeat", in.GARPMasterRefreshRepeat)
	w.dur("garp_lower_prio_delay", in.GARPLowerPrioDelay)
	w.int("garp_lower_prio_repeat", in.GARPLowerPrioRepeat)
	w.notify(in.Notify)
	if in.UseVMAC {
		w.str("use_vmac", in.VMACName)
	} else {
		w.boolean("use_vmac", false)
	}
	w.boolean("vmac_xmit_base", in.VMACXmitBase)
	w.boolean("v3_checksum_as_v2", in.V3ChecksumAsV2)
	w.boolPtr("accept", in.Accept)
	w.boolPtr("strict_mode", in.StrictMode)
	w.boolean("skip_check_adv_addr", in.SkipCheckAdvAddr)
	w.boolPtr("check_unicast_src", in.CheckUnicastSrc)
	w.boolPtr("lower_prio_no_advert", in.LowerPrioNoAdvert)
	w.boolPtr("smtp_alert", in.SMTPAlert)
	w.vrrpInstanceExtra(in)
}

func (w *tomlWriter) virtualServer(vs *VirtualServer) {
	w.arrayTable("virtual_server")
	switch {
	case vs.FWMark != 0:
		w.int("fwmark", int(vs.FWMark))
	case vs.Group != "":
		w.str("group", vs.Group)
	default:
		w.addr("ip", vs.IP)
		w.int("port", int(vs.Port))
	}
	w.int("family", vs.Family)
	w.str("protocol", vs.Protocol)
	w.str("lb_algo", vs.LBAlgo)
	w.str("lb_kind", vs.LBKind)
	if vs.PersistenceTimeout > 0 {
		w.dur("persistence_timeout", vs.PersistenceTimeout)
	}
	w.str("persistence_granularity", strconv.Itoa(vs.PersistenceGranularity))
	w.strOpt("persistence_engine", vs.PersistenceEngine)
	w.boolean("ops", vs.OPS)
	w.boolean("sh-port", vs.SchedFlags.SHPort)
	w.boolean("sh-fallback", vs.SchedFlags.SHFallback)
	w.boolean("mh-port", vs.SchedFlags.MHPort)
	w.boolean("mh-fallback", vs.SchedFlags.MHFallback)
	w.dur("delay_loop", vs.DelayLoop)
	w.checkDefaults(&vs.CheckDefaults)
	w.int("quorum", vs.Quorum)
	w.int("hysteresis", vs.Hysteresis)
	w.command("quorum_up", vs.QuorumUp)
	w.command("quorum_down", vs.QuorumDown)
	w.boolean("alpha", vs.Alpha)
	w.boolean("omega", vs.Omega)
	w.boolean("ha_suspend", vs.HASuspend)
	w.strOpt("virtualhost", vs.Virtualhost)
	if s := vs.SorryServer; s != nil {
		w.str("sorry_server", fmt.Sprintf("%s %d", s.IP, s.Port))
	}
	w.boolean("sorry_server_inhibit", vs.SorryServerInhibit)
	w.str("sorry_server_lvs_method", vs.SorryServerLVSMethod)
	w.strOpt("vrrp_instance", vs.VRRPInstance)
	w.boolPtr("smtp_alert", vs.SMTPAlert)
	w.strOpt("snmp_name", vs.SNMPName)
	for i := range vs.RealServers {
		rs := &vs.RealServers[i]
		w.arrayTable("virtual_server.real_server")
		w.addr("ip", rs.IP)
		w.int("port", int(rs.Port))
		w.int("weight", rs.Weight)
		w.str("lvs_method", rs.LBKind)
		w.boolean("inhibit_on_failure", rs.InhibitOnFailure)
		w.command("notify_up", rs.NotifyUp)
		w.command("notify_down", rs.NotifyDown)
		if rs.UThreshold != 0 {
			w.int("uthreshold", rs.UThreshold)
		}
		if rs.LThreshold != 0 {
			w.int("lthreshold", rs.LThreshold)
		}
		w.strOpt("tunnel_type", rs.TunnelType)
		if rs.TunnelPort != 0 {
			w.int("tunnel_port", int(rs.TunnelPort))
		}
		w.boolOpt("tunnel_nocsum", rs.TunnelNoCsum)
		w.boolean("tunnel_csum", rs.TunnelCsum)
		w.boolean("tunnel_remcsum", rs.TunnelRemCsum)
		w.boolean("alpha", rs.Alpha)
		w.boolPtr("smtp_alert", rs.SMTPAlert)
		w.strOpt("snmp_name", rs.SNMPName)
		w.strOpt("virtualhost", rs.Virtualhost)
		w.checkDefaults(&rs.CheckDefaults)
		for _, h := range rs.Checks().HTTPGet {
			w.arrayTable("virtual_server.real_server.http_get")
			w.http(&h, false)
		}
		for _, h := range rs.Checks().SSLGet {
			w.arrayTable("virtual_server.real_server.ssl_get")
			w.http(&h, true)
		}
		for _, t := range rs.Checks().TCPCheck {
			w.arrayTable("virtual_server.real_server.tcp_check")
			w.common(&t.CheckCommon)
		}
		for _, p := range rs.Checks().PingCheck {
			w.arrayTable("virtual_server.real_server.ping_check")
			w.common(&p.CheckCommon)
		}
		for _, m := range rs.Checks().MiscCheck {
			w.arrayTable("virtual_server.real_server.misc_check")
			w.command("misc_path", m.Path)
			w.dur("misc_timeout", m.Timeout)
			w.boolean("misc_dynamic", m.Dynamic)
			w.boolean("log_all_failures", m.LogAllFailures)
			w.dur("warmup", m.Warmup)
			w.dur("delay_loop", m.DelayLoop)
			w.int("retry", m.Retry)
			w.dur("delay_before_retry", m.DelayBeforeRetry)
		}
		w.moreCheckers(rs.Checks())
	}
}

func (w *tomlWriter) common(c *CheckCommon) {
	w.conn(c)
	w.timings(c)
}

// conn writes a checker's connection keys (connKeys).
func (w *tomlWriter) conn(c *CheckCommon) {
	w.addrOpt("connect_ip", c.ConnectIP)
	w.int("connect_port", int(c.ConnectPort))
	w.addrOpt("bindto", c.BindTo)
	if c.BindPort != 0 {
		w.int("bind_port", int(c.BindPort))
	}
	w.strOpt("bind_if", c.BindIf)
	w.dur("connect_timeout", c.ConnectTimeout)
	if c.FWMark != 0 {
		w.int("fwmark", int(c.FWMark))
	}
}

// timings writes a checker's other common keys.
func (w *tomlWriter) timings(c *CheckCommon) {
	w.dur("warmup", c.Warmup)
	w.int("retry", c.Retry)
	w.dur("delay_before_retry", c.DelayBeforeRetry)
	w.dur("delay_loop", c.DelayLoop)
	w.boolean("log_all_failures", c.LogAllFailures)
}

func (w *tomlWriter) http(h *HTTPCheck, ssl bool) {
	w.common(&h.CheckCommon)
	w.strOpt("virtualhost", h.Virtualhost)
	w.str("http_protocol", h.HTTPProtocol)
	if ssl {
		w.boolean("enable_sni", h.EnableSNI)
	}
	w.httpMore(h, ssl)
	var us []string
	for _, u := range h.URLs {
		parts := []string{"path = " + quote(u.Path)}
		if u.Digest != "" {
			parts = append(parts, "digest = "+quote(u.Digest))
		}
		var sc []string
		for _, r := range u.StatusCodes {
			if r.Min == r.Max {
				sc = append(sc, strconv.Itoa(r.Min))
			} else {
				sc = append(sc, quote(fmt.Sprintf("%d-%d", r.Min, r.Max)))
			}
		}
		parts = append(parts, "status_code = ["+strings.Join(sc, ", ")+"]")
		if u.Virtualhost != "" {
			parts = append(parts, "virtualhost = "+quote(u.Virtualhost))
		}
		parts = urlMore(parts, &u, ssl)
		us = append(us, "{ "+strings.Join(parts, ", ")+" }")
	}
	w.raw("url", "["+strings.Join(us, ", ")+"]")
}

func (w *tomlWriter) notify(n NotifySet) {
	w.command("notify", n.Notify)
	w.command("notify_master", n.Master)
	w.command("notify_backup", n.Backup)
	w.command("notify_fault", n.Fault)
	w.command("notify_stop", n.Stop)
	w.command("notify_deleted", n.Deleted)
	w.command("notify_master_rx_lower_pri", n.MasterRxLowerPri)
	w.boolean("notify_priority_changes", n.PriorityChanges)
}

func (w *tomlWriter) tracks(k string, rs []TrackRef) {
	if len(rs) == 0 {
		return
	}
	var out []string
	for _, r := range rs {
		s := r.Name
		if r.WeightSet {
			s += " weight " + strconv.Itoa(r.Weight)
			if r.WeightReverse {
				s += " reverse"
			}
		}
		out = append(out, s)
	}
	w.strs(k, out)
}

func (w *tomlWriter) vips(k string, vs []VIP) {
	var out []string
	for _, v := range vs {
		out = append(out, vipString(v))
	}
	w.strs(k, out)
}

func vipString(v VIP) string {
	s := []string{v.Prefix.String()}
	if v.Brd.IsValid() {
		s = append(s, "brd", v.Brd.String())
	}
	if v.Dev != "" {
		s = append(s, "dev", v.Dev)
	}
	if v.Scope != "" {
		s = append(s, "scope", v.Scope)
	}
	if v.Label != "" {
		s = append(s, "label", v.Label)
	}
	if v.NoPrefixRoute {
		s = append(s, "noprefixroute")
	}
	if v.NoDAD {
		s = append(s, "nodad")
	}
	return strings.Join(s, " ")
}

func routeString(r Route) string {
	var s []string
	if r.Blackhole {
		s = append(s, "blackhole")
	}
	s = append(s, r.Dst.String())
	if r.Src.IsValid() {
		s = append(s, "src", r.Src.String())
	}
	if r.Via.IsValid() {
		s = append(s, "via", r.Via.String())
	}
	if r.Dev != "" {
		s = append(s, "dev", r.Dev)
	}
	if r.Metric != 0 {
		s = append(s, "metric", strconv.Itoa(r.Metric))
	}
	if r.Table != 0 {
		s = append(s, "table", strconv.Itoa(r.Table))
	}
	if r.Scope != "" {
		s = append(s, "scope", r.Scope)
	}
	if r.Protocol != "" {
		s = append(s, "proto", r.Protocol)
	}
	for _, nh := range r.Nexthops { // last: a nexthop takes the words after it
		s = append(s, "nexthop")
		if nh.Via.IsValid() {
			s = append(s, "via", nh.Via.String())
		}
		if nh.Dev != "" {
			s = append(s, "dev", nh.Dev)
		}
		s = append(s, "weight", strconv.Itoa(nh.Weight))
	}
	return strings.Join(s, " ")
}

// String is the rule in the line syntax parseRule reads.
func (r Rule) String() string {
	var s []string
	if r.Family == 6 && !r.From.IsValid() && !r.To.IsValid() {
		s = append(s, "inet6")
	}
	if r.Not {
		s = append(s, "not")
	}
	if r.From.IsValid() {
		s = append(s, "from", r.From.String())
	}
	if r.To.IsValid() {
		s = append(s, "to", r.To.String())
	}
	if r.Priority != 0 {
		s = append(s, "priority", strconv.FormatUint(uint64(r.Priority), 10))
	}
	if r.TOS != 0 {
		s = append(s, "tos", fmt.Sprintf("0x%02x", r.TOS))
	}
	if r.FWMark != 0 || r.FWMask != 0 {
		m := fmt.Sprintf("0x%x", r.FWMark)
		if r.FWMask != 0 {
			m += fmt.Sprintf("/0x%x", r.FWMask)
		}
		s = append(s, "fwmark", m)
	}
	if r.IIF != "" {
		s = append(s, "iif", r.IIF)
	}
	if r.OIF != "" {
		s = append(s, "oif", r.OIF)
	}
	if r.HasUIDRange {
		s = append(s, "uidrange", fmt.Sprintf("%d-%d", r.UIDFirst, r.UIDLast))
	}
	if r.IPProto != 0 {
		s = append(s, "ipproto", strconv.Itoa(int(r.IPProto)))
	}
	if r.SPortFirst != 0 {
		s = append(s, "sport", fmt.Sprintf("%d-%d", r.SPortFirst, r.SPortLast))
	}
	if r.DPortFirst != 0 {
		s = append(s, "dport", fmt.Sprintf("%d-%d", r.DPortFirst, r.DPortLast))
	}
	if r.HasSuppress {
		s = append(s, "suppress_prefixlength", strconv.Itoa(r.SuppressLen))
	}
	if r.Protocol != "" {
		s = append(s, "protocol", r.Protocol)
	}
	switch {
	case r.Table != 0:
		s = append(s, "table", strconv.FormatUint(uint64(r.Table), 10))
	case r.Goto != 0:
		s = append(s, "goto", strconv.FormatUint(uint64(r.Goto), 10))
	case r.Action != "":
		s = append(s, r.Action)
	}
	return strings.Join(s, " ")
}

func (w *tomlWriter) routes(k string, rs []Route) {
	if len(rs) == 0 {
		return
	}
	var out []string
	for _, r := range rs {
		out = append(out, routeString(r))
	}
	w.strs(k, out)
}

func (w *tomlWriter) rules(k string, rs []Rule) {
	if len(rs) == 0 {
		return
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	w.strs(k, out)
}

func vsgString(e VSGEntry) string {
	if e.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", e.FWMark)
	}
	ip := e.IP.String()
	if e.IPLast != e.IP {
		b := e.IPLast.AsSlice()
		if e.IP.Is4() {
			ip += "-" + strconv.Itoa(int(b[3]))
		} else {
			ip += "-" + strconv.FormatUint(uint64(b[14])<<8|uint64(b[15]), 16)
		}
	}
	return fmt.Sprintf("%s %d", ip, e.Port)
}

// tomlWriter writes TOML text.
type tomlWriter struct{ b strings.Builder }

func (w *tomlWriter) comment(s string) { fmt.Fprintf(&w.b, "# %s\n", s) }

func (w *tomlWriter) table(name string) { fmt.Fprintf(&w.b, "\n[%s]\n", name) }

func (w *tomlWriter) arrayTable(name string) { fmt.Fprintf(&w.b, "\n[[%s]]\n", name) }

func (w *tomlWriter) raw(k, v string) { fmt.Fprintf(&w.b, "%s = %s\n", k, v) }

func (w *tomlWriter) str(k, v string) { w.raw(k, quote(v)) }

func (w *tomlWriter) strOpt(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *tomlWriter) int(k string, v int) { w.raw(k, strconv.Itoa(v)) }

func (w *tomlWriter) boolean(k string, v bool) { w.raw(k, strconv.FormatBool(v)) }

func (w *tomlWriter) boolOpt(k string, v bool) {
	if v {
		w.boolean(k, v)
	}
}

func (w *tomlWriter) dur(k string, d time.Duration) { w.raw(k, durString(d)) }

func (w *tomlWriter) durOpt(k string, d time.Duration) {
	if d != 0 {
		w.dur(k, d)
	}
}

func (w *tomlWriter) addr(k string, a netip.Addr) { w.str(k, a.String()) }

func (w *tomlWriter) addrOpt(k string, a netip.Addr) {
	if a.IsValid() {
		w.addr(k, a)
	}
}

func (w *tomlWriter) strs(k string, vs []string) {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	w.raw(k, "["+strings.Join(q, ", ")+"]")
}

func (w *tomlWriter) command(k string, c Command) {
	switch {
	case c.IsZero():
	case c.User == "" && c.Group == "":
		w.str(k, c.Line)
	default:
		parts := []string{"script = " + quote(c.Line)}
		if c.User != "" {
			parts = append(parts, "user = "+quote(c.User))
		}
		if c.Group != "" {
			parts = append(parts, "group = "+quote(c.Group))
		}
		w.raw(k, "{ "+strings.Join(parts, ", ")+" }")
	}
}

// durString writes whole seconds as an integer and anything else as a
// duration string, both exact.
func durString(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return quote(d.String())
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// boolPtr writes an optional boolean (nil: not set, left out).
func (w *tomlWriter) boolPtr(k string, p *bool) {
	if p != nil {
		w.boolean(k, *p)
	}
}

// snmp writes the SNMP keys of [global].
func (w *tomlWriter) snmp(s SNMP) {
	w.boolean("enable_snmp_vrrp", s.VRRP)
	w.boolean("enable_snmp_checker", s.Checker)
	w.boolean("enable_snmp_rfcv2", s.RFCv2)
	w.boolean("enable_snmp_rfcv3", s.RFCv3)
	w.boolean("enable_traps", s.Traps)
	w.str("snmp_socket", s.Socket)
}

// smtp writes the e-mail keys of [global].
func (w *tomlWriter) smtp(s SMTP) {
	if len(s.NotificationEmail) > 0 {
		w.strs("notification_email", s.NotificationEmail)
	}
	w.strOpt("notification_email_from", s.NotificationEmailFrom)
	w.strOpt("smtp_server", s.Server)
	w.strOpt("smtp_helo_name", s.HeloName)
	w.dur("smtp_connect_timeout", s.ConnectTimeout)
	w.boolPtr("smtp_alert", s.Alert)
	w.boolPtr("smtp_alert_vrrp", s.AlertVRRPDefault)
	w.boolPtr("smtp_alert_checker", s.AlertCheckerDefault)
	w.boolean("no_email_faults", s.NoEmailFaults)
}
