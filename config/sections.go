package config

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// This file maps each TOML block onto the model.

const maxDur = 0 // no upper bound for duration()

func (d *decoder) decodeConfig(root *node) *Config {
	c := &Config{File: d.file}
	// include: read by Parse before decoding (include.go); here only its
	// type is checked
	var include []string
	root.stringList("include", &include)
	c.Global = defaultGlobal()
	if g := root.table("global"); g != nil {
		d.decodeGlobal(g, &c.Global)
	} else {
		fillGlobal(&c.Global, func(string) bool { return false })
	}
	for _, t := range root.tables("vrrp_script") {
		c.Scripts = append(c.Scripts, d.decodeScript(t))
	}
	for _, t := range root.tables("vrrp_track_process") {
		c.TrackProcesses = append(c.TrackProcesses, d.decodeTrackProcess(t))
	}
	for _, t := range root.tables("track_file") {
		c.TrackFiles = append(c.TrackFiles, d.decodeTrackFile(t))
	}
	for _, t := range root.tables("vrrp_sync_group") {
		c.SyncGroups = append(c.SyncGroups, d.decodeSyncGroup(t))
	}
	for _, t := range root.tables("vrrp_instance") {
		c.Instances = append(c.Instances, d.decodeInstance(t, &c.Global))
	}
	for _, t := range root.tables("virtual_server_group") {
		c.VirtualServerGroups = append(c.VirtualServerGroups, d.decodeVSG(t))
	}
	if s := d.stream; s != nil {
		root.get("virtual_server") // decoded while reading, in file order
		c.VirtualServers = s.vs
		d.errs = append(d.errs, s.d.errs...)
	} else {
		for _, t := range root.tables("virtual_server") {
			c.VirtualServers = append(c.VirtualServers, d.decodeVS(t))
		}
	}
	for _, t := range root.tables("carp_instance") {
		c.CARPInstances = append(c.CARPInstances, d.decodeCARP(t))
	}
	if t := root.table("bgp"); t != nil {
		c.BGP = d.decodeBGP(t)
	}
	for _, t := range root.tables("bfd_instance") {
		c.BFDInstances = append(c.BFDInstances, d.decodeBFD(t))
	}
	for _, t := range root.tables("garp_group") {
		c.GARPGroups = append(c.GARPGroups, d.decodeGARPGroup(t))
	}
	d.decodeStatic(root, c)
	root.finish()
	return c
}

func setFn(n *node) func(string) bool { return n.has }

func (d *decoder) decodeGlobal(n *node, g *Global) {
	n.str("router_id", &g.RouterID)
	var su string
	if n.nonEmpty("script_user", &su) {
		f := strings.Fields(su)
		if len(f) > 2 {
			d.errorf(n.keyPath("script_user"), "want \"USER [GROUP]\", got %q", su)
		} else {
			g.ScriptUser = f[0]
			if len(f) == 2 {
				g.ScriptGroup = f[1]
			}
		}
	}
	n.nonEmpty("script_group", &g.ScriptGroup)
	n.boolean("enable_script_security", &g.EnableScriptSecurity)
	n.integer("vrrp_version", &g.VRRPVersion, 2, 3)
	n.nonEmpty("notify_fifo", &g.NotifyFIFO)
	n.command("notify_fifo_script", &g.NotifyFIFOScript)
	n.nonEmpty("vrrp_notify_fifo", &g.VRRPNotifyFIFO)
	n.command("vrrp_notify_fifo_script", &g.VRRPNotifyFIFOScript)
	n.nonEmpty("lvs_notify_fifo", &g.LVSNotifyFIFO)
	n.boolean("fifo_write_vrrp_states_on_reload", &g.FIFOWriteVRRPStatesOnReload)
	n.boolean("rs_init_notifies", &g.RSInitNotifies)
	n.command("lvs_notify_fifo_script", &g.LVSNotifyFIFOScript)
	if t := n.table("lvs_sync_daemon"); t != nil {
		sd := defaultSyncDaemon()
		if !t.nonEmpty("interface", &sd.Interface) && !t.has("interface") {
			d.errorf(t.path(), "missing key interface")
		} else if sd.Interface != "" {
			if err := checkIfName(sd.Interface); err != nil {
				d.errorf(t.keyPath("interface"), "%v", err)
			}
		}
		// without vrrp_instance: master and backup at once (N active
		// directors, each sends its connections and takes the others')
		t.nonEmpty("vrrp_instance", &sd.VRRPInstance)
		sd.SyncID = -1
		t.integer("sync_id", &sd.SyncID, 0, 255)
		t.integer("maxlen", &sd.MaxLen, 0, 65507)
		t.port("port", &sd.Port)
		t.integer("ttl", &sd.TTL, 1, 255)
		t.addr("group", &sd.Group)
		t.finish()
		g.LVSSyncDaemon = &sd
	}
	if t := n.table("lvs_timeouts"); t != nil {
		t.duration("tcp", &g.LVSTimeouts.TCP, time.Second, maxDur)
		t.duration("tcpfin", &g.LVSTimeouts.TCPFin, time.Second, maxDur)
		t.duration("udp", &g.LVSTimeouts.UDP, time.Second, maxDur)
		t.finish()
	}
	n.boolean("lvs_flush", &g.LVSFlush)
	n.boolean("lvs_flush_on_stop", &g.LVSFlushOnStop)
	n.nonEmpty("metrics_listen", &g.MetricsListen)
	n.integer("vrrp_rt_priority", &g.VRRPRTPriority, 1, 99)
	n.boolean("vrrp_no_swap", &g.VRRPNoSwap)
	n.duration("vrrp_late_timer", &g.VRRPLateTimer, 0, maxDur)

	n.duration("vrrp_garp_master_delay", &g.GARPMasterDelay, 0, 1000*time.Second)
	n.integer("vrrp_garp_master_repeat", &g.GARPMasterRepeat, 1, 1000)
	n.duration("vrrp_garp_master_refresh", &g.GARPMasterRefresh, 0, maxDur)
	n.integer("vrrp_garp_master_refresh_repeat", &g.GARPMasterRefreshRepeat, 1, 1000)
	n.duration("vrrp_garp_lower_prio_delay", &g.GARPLowerPrioDelay, 0, 1000*time.Second)
	n.integer("vrrp_garp_lower_prio_repeat", &g.GARPLowerPrioRepeat, 0, 1000)
	n.duration("vrrp_garp_interval", &g.GARPInterval, 0, time.Second)
	n.duration("vrrp_gna_interval", &g.GNAInterval, 0, time.Second)
	if n.addr("vrrp_mcast_group4", &g.VRRPMcastGroup4) && (!g.VRRPMcastGroup4.Is4() || !g.VRRPMcastGroup4.IsMulticast()) {
		d.errorf(n.keyPath("vrrp_mcast_group4"), "%s is not an IPv4 multicast address", g.VRRPMcastGroup4)
	}
	if n.addr("vrrp_mcast_group6", &g.VRRPMcastGroup6) && (!g.VRRPMcastGroup6.Is6() || !g.VRRPMcastGroup6.IsMulticast()) {
		d.errorf(n.keyPath("vrrp_mcast_group6"), "%s is not an IPv6 multicast address", g.VRRPMcastGroup6)
	}
	n.duration("vrrp_startup_delay", &g.VRRPStartupDelay, 0, maxDur)
	n.boolean("vrrp_skip_check_adv_addr", &g.VRRPSkipCheckAdvAddr)
	g.VRRPCheckUnicastSrc = n.optBool("vrrp_check_unicast_src")
	n.boolean("disable_local_igmp", &g.DisableLocalIGMP)
	n.boolean("vrrp_lower_prio_no_advert", &g.VRRPLowerPrioNoAdvert)
	n.boolean("vrrp_strict", &g.VRRPStrict)
	d.decodeNFTables(n, g) // nftables.go
	n.nonEmpty("ssl_ca", &g.SSLCA)
	n.nonEmpty("ssl_certificate", &g.SSLCertificate)
	n.nonEmpty("ssl_key", &g.SSLKey)
	if (g.SSLCertificate == "") != (g.SSLKey == "") {
		d.errorf(n.path(), "ssl_certificate and ssl_key go together (give both or neither)")
	}
	d.decodeMail(n, &g.SMTP)
	d.decodeSNMP(n, &g.SNMP)
	d.decodeVRRPGlobalExtra(n, g)
	d.decodeProcess(n, &g.Process)
	d.decodeNetlink(n, &g.Netlink)
	fillGlobal(g, setFn(n))
	n.finish()
}

// name reads the mandatory name key of a named block.
func (n *node) name(dst *string) {
	if !n.nonEmpty("name", dst) && !n.has("name") {
		n.d.errorf(n.path(), "missing key name")
	}
}

// weight reads "weight" as an integer, or as "N reverse" string.
func (n *node) weight(dst *int, rev *bool, lo, hi int) {
	defer n.boolean("reverse", rev)
	v, ok := n.get("weight")
	if !ok {
		return
	}
	switch x := v.(type) {
	case int64:
		if x < int64(lo) || x > int64(hi) {
			n.d.errorf(n.keyPath("weight"), "%d out of range %d..%d", x, lo, hi)
			return
		}
		*dst = int(x)
	case string:
		f := strings.Fields(x)
		w, err := strconv.Atoi(firstOr(f))
		if err != nil || len(f) > 2 || (len(f) == 2 && f[1] != "reverse") || w < lo || w > hi {
			n.d.errorf(n.keyPath("weight"), "bad weight %q (want an integer %d..%d, optionally followed by \"reverse\")", x, lo, hi)
			return
		}
		*dst, *rev = w, len(f) == 2
	default:
		n.typeErr("weight", v, "integer")
	}
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (d *decoder) decodeScript(n *node) VRRPScript {
	s := defaultScript()
	n.name(&s.Name)
	if !n.command("script", &s.Script) && !n.has("script") {
		d.errorf(n.path(), "missing key script")
	}
	var user string
	if n.nonEmpty("user", &user) {
		f := strings.Fields(user)
		if len(f) > 2 {
			d.errorf(n.keyPath("user"), "want \"USER [GROUP]\", got %q", user)
		} else {
			s.Script.User = f[0]
			if len(f) == 2 {
				s.Script.Group = f[1]
			}
		}
	}
	n.duration("interval", &s.Interval, 10*time.Millisecond, maxDur)
	n.duration("timeout", &s.Timeout, 10*time.Millisecond, maxDur)
	n.integer("rise", &s.Rise, 1, math.MaxInt32)
	n.integer("fall", &s.Fall, 1, math.MaxInt32)
	n.weight(&s.Weight, &s.WeightReverse, -253, 253)
	n.boolean("init_fail", &s.InitFail)
	fillScript(&s, setFn(n))
	n.finish()
	return s
}

func (d *decoder) decodeTrackProcess(n *node) TrackProcess {
	p := defaultTrackProcess()
	n.name(&p.Name)
	var proc string
	if n.nonEmpty("process", &proc) {
		name, params, _ := strings.Cut(strings.TrimSpace(proc), " ")
		p.Process, p.Params = name, strings.TrimSpace(params)
		if len(p.Process) > 15 && p.Params == "" && !n.has("param_match") && !n.has("full_command") {
			// The kernel's comm is 15 bytes; keepalived matches the
			// first 15 characters the same way.
			p.Process = p.Process[:15]
		}
	} else if !n.has("process") {
		d.errorf(n.path(), "missing key process")
	}
	n.enum("param_match", &p.ParamMatch, "initial", "partial")
	n.boolean("full_command", &p.FullCommand)
	n.weight(&p.Weight, &p.WeightReverse, -254, 254)
	n.integer("quorum", &p.Quorum, 1, 65535)
	n.integer("quorum_max", &p.QuorumMax, 0, 65535)
	n.duration("fork_delay", &p.ForkDelay, 0, maxDur)
	n.duration("terminate_delay", &p.TerminateDelay, 0, maxDur)
	if p.QuorumMax != 0 && p.QuorumMax < p.Quorum {
		d.errorf(n.keyPath("quorum_max"), "%d below quorum %d", p.QuorumMax, p.Quorum)
	}
	n.finish()
	return p
}

func (d *decoder) decodeTrackFile(n *node) TrackFile {
	f := defaultTrackFile()
	n.name(&f.Name)
	if !n.nonEmpty("file", &f.File) && !n.has("file") {
		d.errorf(n.path(), "missing key file")
	}
	n.weight(&f.Weight, &f.WeightReverse, -254, 254)
	v, ok := n.get("init_file")
	if ok {
		switch x := v.(type) {
		case bool:
			f.InitFile = x
		case int64:
			f.InitFile, f.InitValue = true, int(x)
		case string:
			w := strings.Fields(x)
			val, err := strconv.Atoi(firstOr(w))
			if err != nil || len(w) > 2 || (len(w) == 2 && w[1] != "overwrite") {
				d.errorf(n.keyPath("init_file"), "bad init_file %q (want \"VALUE [overwrite]\", a number or a boolean)", x)
				break
			}
			f.InitFile, f.InitValue, f.InitOverwrite = true, val, len(w) == 2
		default:
			n.typeErr("init_file", v, "boolean, integer or \"VALUE [overwrite]\"")
		}
	}
	n.finish()
	return f
}

// trackRefs reads track_script / track_process / track_file /
// track_interface: strings "NAME [weight N [reverse]]" or tables
// {name, weight, reverse}.
func (n *node) trackRefs(k string, lo, hi int) []TrackRef {
	return oneLineList(n, k, oneLineForm{lead: "name", keys: []string{"weight"}, bools: []string{"reverse"},
		want: "\"NAME [weight N]\" or table {name, weight}"},
		func(w []string) (TrackRef, error) { return parseTrackRef(w, lo, hi) })
}

// oneLineForm describes a list entry that is a keepalived one-line string
// or an inline table spelled with the same words: lead is the table key of
// the first word, keys take a value, bools are flags; want names the
// accepted forms for a type error.
type oneLineForm struct {
	lead        string
	keys, bools []string
	want        string
}

// oneLineList reads list k whose entries have form f, parses each entry's
// words with parse and reports every bad entry at its own position.
func oneLineList[T any](n *node, k string, f oneLineForm, parse func([]string) (T, error)) []T {
	es, ok := n.list(k, false)
	if !ok {
		return nil
	}
	var out []T
	for _, e := range es {
		var w []string
		switch x := e.v.(type) {
		case string:
			w = strings.Fields(x)
		case map[string]any:
			var good bool
			if w, good = n.words(n.elemNode(e, x), f.lead, f.keys, f.bools); !good {
				continue
			}
		default:
			n.d.errorf(e.path(), "wrong type %s, want %s", typeName(e.v), f.want)
			continue
		}
		if w == nil {
			continue
		}
		v, err := parse(w)
		if err != nil {
			n.d.errorf(e.path(), "%v", err)
			continue
		}
		out = append(out, v)
	}
	return out
}

func (d *decoder) decodeNotify(n *node, ns *NotifySet) {
	n.command("notify", &ns.Notify)
	n.command("notify_master", &ns.Master)
	n.command("notify_backup", &ns.Backup)
	n.command("notify_fault", &ns.Fault)
	n.command("notify_stop", &ns.Stop)
	n.command("notify_deleted", &ns.Deleted)
	n.command("notify_master_rx_lower_pri", &ns.MasterRxLowerPri)
	n.boolean("notify_priority_changes", &ns.PriorityChanges)
}

func (d *decoder) decodeSyncGroup(n *node) SyncGroup {
	var g SyncGroup
	n.name(&g.Name)
	if !n.stringList("group", &g.Group) && !n.has("group") {
		d.errorf(n.path(), "missing key group")
	}
	d.decodeNotify(n, &g.Notify)
	g.TrackScripts = n.trackRefs("track_script", -253, 253)
	g.TrackProcesses = n.trackRefs("track_process", -254, 254)
	g.TrackFiles = n.trackRefs("track_file", -254, 254)
	g.TrackBFDs = n.trackRefs("track_bfd", -253, 253)
	g.TrackInterfaces = n.trackRefs("track_interface", -254, 254)
	n.boolean("sync_group_tracking_weight", &g.SyncGroupTrackingWeight)
	g.SMTPAlert = n.optBool("smtp_alert")
	n.finish()
	return g
}

func itoa(i int) string { return strconv.Itoa(i) }

func (d *decoder) decodeInstance(n *node, g *Global) VRRPInstance {
	in := defaultInstance(g)
	n.name(&in.Name)
	n.enum("state", &in.State, "MASTER", "BACKUP")
	if n.nonEmpty("interface", &in.Interface) {
		if err := checkIfName(in.Interface); err != nil {
			d.errorf(n.keyPath("interface"), "%v", err)
		}
	} else if !n.has("interface") {
		d.errorf(n.path(), "missing key interface")
	}
	if !n.integer("virtual_router_id", &in.VirtualRouterID, 1, 255) && !n.has("virtual_router_id") {
		d.errorf(n.path(), "missing key virtual_router_id")
	}
	n.integer("priority", &in.Priority, 1, 255)
	advertSet := n.duration("advert_int", &in.AdvertInt, 0, maxDur)
	n.integer("version", &in.Version, 2, 3)
	n.boolean("nopreempt", &in.NoPreempt)
	var preempt bool
	if n.boolean("preempt", &preempt) {
		if n.has("nopreempt") && preempt == in.NoPreempt {
			d.errorf(n.keyPath("preempt"), "contradicts nopreempt")
		}
		in.NoPreempt = !preempt
	}
	n.duration("preempt_delay", &in.PreemptDelay, 0, 1000*time.Second)
	if t := n.table("authentication"); t != nil {
		t.enum("auth_type", &in.Auth.Type, "PASS", "AH")
		if t.str("auth_pass", &in.Auth.Pass) {
			if len(in.Auth.Pass) > 8 {
				d.errorf(t.keyPath("auth_pass"), "%d characters, at most 8 allowed", len(in.Auth.Pass))
			}
			if in.Auth.Pass == "" {
				d.errorf(t.keyPath("auth_pass"), "must not be empty")
			}
		}
		if in.Auth.Type == "" && t.has("auth_pass") && !t.has("auth_type") {
			d.errorf(t.path(), "missing key auth_type")
		}
		if (in.Auth.Type == "PASS" || in.Auth.Type == "AH") && !t.has("auth_pass") {
			d.errorf(t.path(), "missing key auth_pass")
		}
		t.finish()
	}
	n.addr("unicast_src_ip", &in.UnicastSrcIP)
	in.UnicastPeers = oneLineList(n, "unicast_peer", oneLineForm{lead: "ip", keys: []string{"min_ttl", "max_ttl"},
		want: "\"IP\" or table {ip, min_ttl, max_ttl}"}, parsePeer)
	n.integer("unicast_ttl", &in.UnicastTTL, 1, 255)
	if in.UnicastTTL != 0 && len(in.UnicastPeers) == 0 {
		d.errorf(n.keyPath("unicast_ttl"), "needs unicast_peer (keepalived ignores it without peers)")
	}
	n.addr("mcast_src_ip", &in.MCastSrcIP)
	in.VIPs = n.vips("virtual_ipaddress")
	if !n.has("virtual_ipaddress") {
		d.errorf(n.path(), "missing key virtual_ipaddress (an instance needs at least one address)")
	} else if l, ok := n.m["virtual_ipaddress"].([]any); ok && len(l) == 0 {
		d.errorf(n.keyPath("virtual_ipaddress"), "empty (an instance needs at least one address)")
	}
	in.ExcludedVIPs = n.vips("virtual_ipaddress_excluded")
	in.Routes = n.routes("virtual_routes")
	in.Rules = n.rules("virtual_rules")
	in.TrackScripts = n.trackRefs("track_script", -253, 253)
	in.TrackProcesses = n.trackRefs("track_process", -254, 254)
	in.TrackFiles = n.trackRefs("track_file", -254, 254)
	in.TrackInterfaces = n.trackRefs("track_interface", -254, 254)
	in.TrackBFDs = n.trackRefs("track_bfd", -253, 253)
	n.boolean("dont_track_primary", &in.DontTrackPrimary)

	n.duration("garp_master_delay", &in.GARPMasterDelay, 0, 1000*time.Second)
	n.integer("garp_master_repeat", &in.GARPMasterRepeat, 1, 1000)
	n.duration("garp_master_refresh", &in.GARPMasterRefresh, 0, maxDur)
	n.integer("garp_master_refresh_repeat", &in.GARPMasterRefreshRepeat, 1, 1000)
	n.duration("garp_lower_prio_delay", &in.GARPLowerPrioDelay, 0, 1000*time.Second)
	n.integer("garp_lower_prio_repeat", &in.GARPLowerPrioRepeat, 0, 1000)
	d.decodeNotify(n, &in.Notify)

	if v, ok := n.get("use_vmac"); ok {
		switch x := v.(type) {
		case bool:
			in.UseVMAC = x
		case string:
			if err := checkIfName(x); err != nil {
				d.errorf(n.keyPath("use_vmac"), "%v", err)
			}
			in.UseVMAC, in.VMACName = true, x
		default:
			n.typeErr("use_vmac", v, "boolean or an interface name")
		}
	}
	n.boolean("vmac_xmit_base", &in.VMACXmitBase)
	n.boolean("v3_checksum_as_v2", &in.V3ChecksumAsV2)
	in.Accept = n.optBool("accept")
	in.StrictMode = n.optBool("strict_mode")
	n.boolean("skip_check_adv_addr", &in.SkipCheckAdvAddr)
	in.CheckUnicastSrc = n.optBool("check_unicast_src")
	in.LowerPrioNoAdvert = n.optBool("lower_prio_no_advert")
	in.SMTPAlert = n.optBool("smtp_alert")
	d.decodeVRRPInstanceExtra(n, &in, g)

	// Family from the VIPs: all of one family.
	for i, v := range in.VIPs {
		f := 4
		if v.Prefix.Addr().Is6() {
			f = 6
		}
		if i == 0 {
			in.Family = f
		} else if f != in.Family {
			d.errorf(n.keyPath("virtual_ipaddress")+"["+itoa(i)+"]", "IPv%d address in an IPv%d instance (all virtual_ipaddress entries must be of one family; use virtual_ipaddress_excluded for the other)", f, in.Family)
		}
	}
	fillInstance(&in, g, setFn(n))
	if in.Family == 6 && n.has("version") && in.Version == 2 {
		d.errorf(n.keyPath("version"), "VRRPv2 has no IPv6 (allowed for an IPv6 instance: 3)")
	}
	if advertSet {
		d.checkAdvertInt(n, &in)
	}
	n.finish()
	return in
}

// checkAdvertInt checks advert_int against the instance's version.
func (d *decoder) checkAdvertInt(n *node, in *VRRPInstance) {
	if !n.has("advert_int") {
		return
	}
	switch in.Version {
	case 2:
		if in.AdvertInt < time.Second || in.AdvertInt > 255*time.Second || in.AdvertInt%time.Second != 0 {
			d.errorf(n.keyPath("advert_int"), "%s is not a whole number of seconds in 1..255 (VRRPv2; use version = 3 for sub-second adverts)", in.AdvertInt)
		}
	case 3:
		if in.AdvertInt < 10*time.Millisecond || in.AdvertInt > 40950*time.Millisecond {
			d.errorf(n.keyPath("advert_int"), "%s out of range 0.01..40.95 s for VRRPv3", in.AdvertInt)
		} else if in.AdvertInt%(10*time.Millisecond) != 0 {
			d.errorf(n.keyPath("advert_int"), "%s is not a whole number of centiseconds (VRRPv3 counts in 0.01 s)", in.AdvertInt)
		}
	}
}

func (n *node) vips(k string) []VIP {
	return oneLineList(n, k, oneLineForm{lead: "ip", keys: []string{"brd", "dev", "scope", "label"},
		bools: []string{"noprefixroute", "nodad"}, want: "an address line or table {ip, dev, ...}"}, parseVIP)
}

func (d *decoder) decodeVSG(n *node) VirtualServerGroup {
	var g VirtualServerGroup
	n.name(&g.Name)
	es, ok := n.list("vip", false)
	if !ok && !n.has("vip") {
		d.errorf(n.path(), "missing key vip")
	}
	for _, e := range es {
		var w []string
		switch x := e.v.(type) {
		case string:
			w = strings.Fields(x)
		case map[string]any:
			t := n.formNode(e, x)
			var fw uint32
			if t.fwmark("fwmark", &fw) {
				t.use("ip")
				t.use("port")
				if t.has("ip") || t.has("port") {
					d.errorf(e.path(), "fwmark excludes ip and port")
				}
				t.finish()
				g.Entries = append(g.Entries, VSGEntry{FWMark: fw})
				continue
			}
			if t.has("fwmark") {
				continue
			}
			var ip string
			var port uint16
			if !t.nonEmpty("ip", &ip) {
				if !t.has("ip") {
					d.errorf(e.path(), "missing key ip (or fwmark)")
				}
				t.finish()
				continue
			}
			if !t.port("port", &port) && !t.has("port") {
				d.errorf(e.path(), "missing key port")
			}
			t.finish()
			w = []string{ip, strconv.Itoa(int(port))}
		default:
			d.errorf(e.path(), "wrong type %s, want \"IP[-LAST] PORT\", \"fwmark N\" or a table {ip, port} / {fwmark}", typeName(e.v))
			continue
		}
		ent, err := parseVSGEntry(w)
		if err != nil {
			d.errorf(e.path(), "%v", err)
			continue
		}
		g.Entries = append(g.Entries, ent)
	}
	n.finish()
	return g
}

var lbAlgos = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}
var lbKinds = []string{"NAT", "DR", "TUN"}

func (d *decoder) decodeVS(n *node) VirtualServer {
	vs := defaultVirtualServer()
	n.addr("ip", &vs.IP)
	hasPort := n.port("port", &vs.Port)
	n.fwmark("fwmark", &vs.FWMark)
	n.nonEmpty("group", &vs.Group)
	idKeys := 0
	for _, k := range []string{"ip", "fwmark", "group"} {
		if n.has(k) {
			idKeys++
		}
	}
	switch {
	case idKeys == 0:
		d.errorf(n.path(), "missing key ip (or fwmark, or group)")
	case idKeys > 1:
		d.errorf(n.path(), "ip, fwmark and group exclude each other")
	}
	if n.has("ip") && !hasPort && !n.has("port") {
		d.errorf(n.path(), "missing key port (use port = 0 for all ports, with persistence)")
	}
	if (n.has("fwmark") || n.has("group")) && !n.has("ip") && n.has("port") {
		d.errorf(n.keyPath("port"), "a fwmark or group virtual server has no port")
	}
	var fam int
	if n.integer("family", &fam, 4, 6) {
		if fam != 4 && fam != 6 {
			d.errorf(n.keyPath("family"), "%d: allowed 4 or 6", fam)
		} else if vs.IP.IsValid() && (fam == 6) != vs.IP.Is6() {
			d.errorf(n.keyPath("family"), "IPv%d contradicts ip %s", fam, vs.IP)
		} else {
			vs.Family = fam
		}
	}
	n.enum("protocol", &vs.Protocol, "TCP", "UDP", "SCTP")
	n.enum("lb_algo", &vs.LBAlgo, lbAlgos...)
	n.enum("lb_kind", &vs.LBKind, lbKinds...)
	if v, ok := n.get("persistence_timeout"); ok {
		switch x := v.(type) {
		case bool:
			if x {
				vs.PersistenceTimeout = DefaultPersistenceTimeout
			}
		default:
			dd, msg := durationValue(x)
			switch {
			case msg != "":
				d.errorf(n.keyPath("persistence_timeout"), "%s", msg)
			case dd < time.Second || dd%time.Second != 0:
				d.errorf(n.keyPath("persistence_timeout"), "%s: want a whole number of seconds >= 1 (or true for 360 s)", dd)
			default:
				vs.PersistenceTimeout = dd
			}
		}
	}
	var gran string
	if n.nonEmpty("persistence_granularity", &gran) {
		p, err := parseGranularity(gran)
		if err != nil {
			d.errorf(n.keyPath("persistence_granularity"), "%v", err)
		} else {
			vs.PersistenceGranularity = p
		}
	}
	n.nonEmpty("persistence_engine", &vs.PersistenceEngine)
	n.boolean("ops", &vs.OPS)
	n.boolean("sh-port", &vs.SchedFlags.SHPort)
	n.boolean("sh-fallback", &vs.SchedFlags.SHFallback)
	n.boolean("mh-port", &vs.SchedFlags.MHPort)
	n.boolean("mh-fallback", &vs.SchedFlags.MHFallback)
	n.duration("delay_loop", &vs.DelayLoop, 10*time.Millisecond, maxDur)
	n.integer("quorum", &vs.Quorum, 1, math.MaxInt32)
	n.integer("hysteresis", &vs.Hysteresis, 0, math.MaxInt32)
	n.command("quorum_up", &vs.QuorumUp)
	n.command("quorum_down", &vs.QuorumDown)
	n.boolean("alpha", &vs.Alpha)
	n.boolean("omega", &vs.Omega)
	n.boolean("ha_suspend", &vs.HASuspend)
	n.nonEmpty("virtualhost", &vs.Virtualhost)
	d.checkDefaults(n, &vs.CheckDefaults, false)
	if v, ok := n.get("sorry_server"); ok {
		var w []string
		switch x := v.(type) {
		case string:
			w = strings.Fields(x)
		case map[string]any:
			t := n.sub("sorry_server", x)
			t.form = true
			var ip string
			var port uint16
			okIP, okPort := t.nonEmpty("ip", &ip), t.port("port", &port)
			for _, k := range []string{"ip", "port"} {
				if !t.has(k) {
					d.errorf(t.path(), "missing key %s (want { ip, port })", k)
				}
			}
			if okIP && okPort {
				w = []string{ip, strconv.Itoa(int(port))}
			}
			t.finish()
		default:
			n.typeErr("sorry_server", v, "\"IP PORT\" or table {ip, port}")
		}
		if w != nil {
			s, err := parseSorry(w)
			if err != nil {
				d.errorf(n.keyPath("sorry_server"), "%v", err)
			} else {
				vs.SorryServer = &s
			}
		}
	}
	n.boolean("sorry_server_inhibit", &vs.SorryServerInhibit)
	n.enum("sorry_server_lvs_method", &vs.SorryServerLVSMethod, lbKinds...)
	n.nonEmpty("vrrp_instance", &vs.VRRPInstance)
	vs.SMTPAlert = n.optBool("smtp_alert")
	n.nonEmpty("snmp_name", &vs.SNMPName)
	if vs.OPS && vs.Protocol != "UDP" {
		d.errorf(n.keyPath("ops"), "one-packet scheduling is for protocol UDP only")
	}
	if hasPort && vs.Port == 0 && vs.IP.IsValid() && vs.PersistenceTimeout == 0 {
		d.errorf(n.keyPath("port"), "port 0 (all ports) needs persistence_timeout")
	}
	fillVirtualServer(&vs)
	if rss := n.tables("real_server"); len(rss) > 0 {
		vs.RealServers = make([]RealServer, 0, len(rss))
		for _, t := range rss {
			vs.RealServers = append(vs.RealServers, d.decodeRS(t, &vs))
		}
	}
	n.finish()
	return vs
}

// parseGranularity parses a netmask ("255.255.255.0") or a prefix length
// ("24", "/64") into a prefix length.
func parseGranularity(s string) (int, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "/")
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 || n > 128 {
			return 0, fmt.Errorf("prefix length %d out of range 1..128", n)
		}
		return n, nil
	}
	a, err := netip.ParseAddr(t)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("bad netmask %q (want e.g. \"255.255.255.0\" or a prefix length)", s)
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := bits.LeadingZeros32(^m)
	if m<<ones != 0 || ones == 0 {
		return 0, fmt.Errorf("bad netmask %q (the ones must be contiguous)", s)
	}
	return ones, nil
}

func (d *decoder) decodeRS(n *node, vs *VirtualServer) RealServer {
	rs := defaultRealServer(vs)
	if !n.addr("ip", &rs.IP) && !n.has("ip") {
		d.errorf(n.path(), "missing key ip")
	}
	if !n.port("port", &rs.Port) && !n.has("port") && vs.Port == 0 && !vs.IP.IsValid() {
		// fwmark / group services: the port must be given unless 0 is meant.
		rs.Port = 0
	}
	n.integer("weight", &rs.Weight, 0, 65535)
	n.enum("lvs_method", &rs.LBKind, lbKinds...)
	n.boolean("inhibit_on_failure", &rs.InhibitOnFailure)
	n.command("notify_up", &rs.NotifyUp)
	n.command("notify_down", &rs.NotifyDown)
	n.integer("uthreshold", &rs.UThreshold, 0, math.MaxInt32)
	n.integer("lthreshold", &rs.LThreshold, 0, math.MaxInt32)
	n.enum("tunnel_type", &rs.TunnelType, "ipip", "gue", "gre")
	n.port("tunnel_port", &rs.TunnelPort)
	n.boolean("tunnel_nocsum", &rs.TunnelNoCsum)
	n.boolean("tunnel_csum", &rs.TunnelCsum)
	n.boolean("tunnel_remcsum", &rs.TunnelRemCsum)
	n.boolean("alpha", &rs.Alpha)
	rs.SMTPAlert = n.optBool("smtp_alert")
	n.nonEmpty("snmp_name", &rs.SNMPName)
	n.nonEmpty("virtualhost", &rs.Virtualhost)
	d.checkDefaults(n, &rs.CheckDefaults, true)
	fillRealServer(&rs, vs)
	if rs.TunnelType != "" && rs.LBKind != "TUN" && n.has("tunnel_type") {
		d.errorf(n.keyPath("tunnel_type"), "needs lb_kind (or lvs_method) TUN")
	}
	if rs.TunnelType == "gue" && rs.TunnelPort == 0 {
		d.errorf(n.path(), "tunnel_type gue needs tunnel_port")
	}
	if rs.LThreshold > 0 && rs.UThreshold > 0 && rs.LThreshold > rs.UThreshold {
		d.errorf(n.keyPath("lthreshold"), "%d above uthreshold %d", rs.LThreshold, rs.UThreshold)
	}
	if rs.IP.IsValid() && vs.IP.IsValid() && rs.IP.Is4() != vs.IP.Is4() && rs.LBKind != "TUN" {
		d.errorf(n.keyPath("ip"), "IPv%d real server in an IPv%d virtual server (only TUN mixes families)", fam(rs.IP), fam(vs.IP))
	}
	// A check that connects needs a port: the real server's or connect_port.
	needPort := func(t *node, c *CheckCommon) {
		if c.ConnectPort == 0 && !t.has("connect_port") {
			d.errorf(t.path(), "missing key connect_port (the real server has no port)")
		}
	}
	for _, t := range n.tables("http_get") {
		c := d.decodeHTTP(t, &rs, vs, false)
		needPort(t, &c.CheckCommon)
		cs := rs.addCheckers()
		cs.HTTPGet = append(cs.HTTPGet, c)
	}
	for _, t := range n.tables("ssl_get") {
		c := d.decodeHTTP(t, &rs, vs, true)
		needPort(t, &c.CheckCommon)
		cs := rs.addCheckers()
		cs.SSLGet = append(cs.SSLGet, c)
	}
	for _, t := range n.tables("tcp_check") {
		c := TCPCheck{defaultCommon(&rs, vs, DefaultOtherDelayRetry)}
		d.decodeCommon(t, &c.CheckCommon)
		needPort(t, &c.CheckCommon)
		t.finish()
		cs := rs.addCheckers()
		cs.TCPCheck = append(cs.TCPCheck, c)
	}
	for _, t := range n.tables("ping_check") {
		c := PingCheck{defaultCommon(&rs, vs, DefaultOtherDelayRetry)}
		d.decodeCommon(t, &c.CheckCommon)
		t.finish()
		cs := rs.addCheckers()
		cs.PingCheck = append(cs.PingCheck, c)
	}
	for _, t := range n.tables("misc_check") {
		cs := rs.addCheckers()
		cs.MiscCheck = append(cs.MiscCheck, d.decodeMisc(t, &rs, vs))
	}
	d.decodeMoreCheckers(n, &rs, vs, needPort)
	d.decodeBFDChecks(n, &rs)
	n.finish()
	return rs
}

func fam(a interface{ Is4() bool }) int {
	if a.Is4() {
		return 4
	}
	return 6
}

func (d *decoder) decodeCommon(n *node, c *CheckCommon) {
	d.decodeConn(n, c)
	n.duration("warmup", &c.Warmup, 0, maxDur)
	n.integer("retry", &c.Retry, 0, math.MaxInt32)
	n.duration("delay_before_retry", &c.DelayBeforeRetry, 0, maxDur)
	n.duration("delay_loop", &c.DelayLoop, 10*time.Millisecond, maxDur)
	n.boolean("log_all_failures", &c.LogAllFailures)
}

func (d *decoder) decodeHTTP(n *node, rs *RealServer, vs *VirtualServer, ssl bool) HTTPCheck {
	c := defaultHTTPCheck(rs, vs)
	d.decodeCommon(n, &c.CheckCommon)
	n.nonEmpty("virtualhost", &c.Virtualhost)
	n.enum("http_protocol", &c.HTTPProtocol, "1.0", "1.0C", "1.1")
	if ssl {
		n.boolean("enable_sni", &c.EnableSNI)
	} else if n.has("enable_sni") {
		n.use("enable_sni")
		d.errorf(n.keyPath("enable_sni"), "only for ssl_get")
	}
	d.decodeHTTPMore(n, &c, ssl)
	es, ok := n.list("url", true)
	if !ok && !n.has("url") {
		d.errorf(n.path(), "missing key url")
	}
	for _, e := range es {
		m, ok := e.v.(map[string]any)
		if !ok {
			d.errorf(e.path(), "wrong type %s, want table {path, digest, status_code, virtualhost}", typeName(e.v))
			continue
		}
		t := n.elemNode(e, m)
		var u URL
		if t.nonEmpty("path", &u.Path) {
			if !strings.HasPrefix(u.Path, "/") {
				d.errorf(t.keyPath("path"), "%q does not start with /", u.Path)
			}
		} else if !t.has("path") {
			d.errorf(t.path(), "missing key path")
		}
		if t.str("digest", &u.Digest) {
			if !isHexDigest(u.Digest) {
				d.errorf(t.keyPath("digest"), "%q is not 32 hex digits (an MD5 digest as genhash prints it)", u.Digest)
			}
			u.Digest = strings.ToLower(u.Digest)
		}
		if sl, ok := t.list("status_code", true); ok {
			u.StatusCodes = make([]StatusRange, 0, len(sl))
			for _, se := range sl {
				var s string
				switch x := se.v.(type) {
				case int64:
					s = strconv.FormatInt(x, 10)
				case string:
					s = x
				default:
					d.errorf(se.path(), "wrong type %s, want a status code or a range \"300-399\"", typeName(se.v))
					continue
				}
				r, err := parseStatus(s)
				if err != nil {
					d.errorf(se.path(), "%v", err)
					continue
				}
				u.StatusCodes = append(u.StatusCodes, r)
			}
		}
		t.nonEmpty("virtualhost", &u.Virtualhost)
		d.decodeURLRegex(t, &u, ssl)
		t.finish()
		fillURL(&u, &c)
		c.URLs = append(c.URLs, u)
	}
	n.finish()
	return c
}

func isHexDigest(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func (d *decoder) decodeMisc(n *node, rs *RealServer, vs *VirtualServer) MiscCheck {
	m := defaultMiscCheck(rs, vs)
	if !n.command("misc_path", &m.Path) && !n.has("misc_path") {
		d.errorf(n.path(), "missing key misc_path")
	}
	var user string
	if n.nonEmpty("user", &user) {
		f := strings.Fields(user)
		if len(f) > 2 {
			d.errorf(n.keyPath("user"), "want \"USER [GROUP]\", got %q", user)
		} else {
			m.Path.User = f[0]
			if len(f) == 2 {
				m.Path.Group = f[1]
			}
		}
	}
	n.duration("misc_timeout", &m.Timeout, time.Millisecond, maxDur)
	n.boolean("misc_dynamic", &m.Dynamic)
	n.duration("warmup", &m.Warmup, 0, maxDur)
	n.duration("delay_loop", &m.DelayLoop, 10*time.Millisecond, maxDur)
	n.integer("retry", &m.Retry, 0, math.MaxInt32)
	n.duration("delay_before_retry", &m.DelayBeforeRetry, 0, maxDur)
	n.boolean("log_all_failures", &m.LogAllFailures)
	fillMiscCheck(&m, setFn(n))
	n.finish()
	return m
}

func (n *node) routes(k string) []Route {
	return oneLineList(n, k, oneLineForm{lead: "to",
		keys: []string{"src", "via", "dev", "metric", "table", "scope", "proto"}, bools: []string{"blackhole"},
		want: "a route line or table {to, via, dev, ...}"}, parseRoute)
}

// rules reads virtual_rules / static_rules: ip rule lines (strings only:
// an inline table would have no order for its selector words).
func (n *node) rules(k string) []Rule {
	es, ok := n.list(k, false)
	if !ok {
		return nil
	}
	var out []Rule
	for _, e := range es {
		x, ok := e.v.(string)
		if !ok {
			n.d.errorf(e.path(), "wrong type %s, want an ip rule line such as \"from 10.0.0.0/8 table 100\"", typeName(e.v))
			continue
		}
		r, err := parseRule(strings.Fields(x))
		if err != nil {
			n.d.errorf(e.path(), "%v", err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// decodeStatic reads the top-level static_ipaddress, static_routes and
// static_rules. They belong to no instance, so an address names its
// device and a route its device or gateway.
func (d *decoder) decodeStatic(root *node, c *Config) {
	c.StaticAddresses = root.vips("static_ipaddress")
	for i, v := range c.StaticAddresses {
		if v.Dev == "" {
			d.errorf(root.keyPath("static_ipaddress")+"["+itoa(i)+"]", "%s: a static address needs dev IF", v.Prefix)
		}
	}
	c.StaticRoutes = root.routes("static_routes")
	for i, r := range c.StaticRoutes {
		if r.Dev == "" && !r.Via.IsValid() && !r.Blackhole && len(r.Nexthops) == 0 {
			d.errorf(root.keyPath("static_routes")+"["+itoa(i)+"]", "%s: a static route needs dev IF, via GW, nexthop or blackhole", r.Dst)
		}
	}
	c.StaticRules = root.rules("static_rules")
}
