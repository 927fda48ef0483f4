package keepalived

import (
	_ "embed"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lvsd/lvsd/config"
)

// keywords.tsv lists every keyword keepalived 2.2.7 installs (its parser
// sources' install_keyword calls, in their order) as Debian builds it (every
// option but libipset: no vrrp_ipsets; each keyword checked against the
// strings of /usr/sbin/keepalived): "BLOCK<TAB>KEYWORD", "-" for the top.
//
//go:embed keywords.tsv
var keywordList string

// Keyword is one keyword of keepalived.conf(5) in its block.
type Keyword struct{ Block, Name string }

// Keywords returns keepalived 2.2.7's keywords in its parser's order.
func Keywords() []Keyword {
	var out []Keyword
	for _, l := range strings.Split(strings.TrimSpace(keywordList), "\n") {
		b, k, _ := strings.Cut(l, "\t")
		if b == "-" {
			b = ""
		}
		out = append(out, Keyword{b, k})
	}
	return out
}

// The keyword tables are built on first use (sync.OnceValue), not at init:
// most runs of lvsd (version, check of a TOML file, the daemon) never
// convert a keepalived file, and building them cost every exec about
// 1.4 ms and 230 KB (issue 14).
var known = sync.OnceValue(func() map[Keyword]bool {
	m := map[Keyword]bool{}
	for _, k := range Keywords() {
		m[k] = true
	}
	return m
})

// Reasons for keywords convert does not carry over.
const (
	whyEmail    = "not supported yet: this e-mail alert option"
	whyFirewall = "not supported yet: firewall rules for VIPs (iptables/nftables/ipsets)"
	// keepalived's firewall keywords lvsd has no meaning for (nftables.go)
	whyNFTIfindex = "lvsd's drop sets are keyed by address alone (a VIP is dropped on every interface), so there is no interface key for ifindex to replace"
	whyNFTIPVS    = "lvsd expands a virtual_server_group into one IPVS service per address and port (and passes fwmark entries through): it allocates no fwmarks and installs no nftables rules for IPVS"
	whyIPTables   = "lvsd drops traffic to non-owned VIPs with nftables only (global.nftables, table inet lvsd), not iptables chains or ipsets; remove vrrp_iptables"
	whyNSIPSets   = "lvsd uses no ipsets (its drop sets are nftables sets, global.nftables), so there is nothing to allow in a namespace"
	whyProcess    = "lvsd is one process: its scheduling and memory are set with global.vrrp_rt_priority and global.vrrp_no_swap"
	whyNetlink    = "lvsd sizes its own netlink buffers"
	whyNS         = "lvsd runs VRRP and IPVS in one network namespace (global.net_namespace, or the one it is started in)"
	whyDaemon     = "a keepalived daemon option with no lvsd equivalent (lvsd's files and reloads are its own)"
	whyRules      = "not supported yet: ip rules"
	whyDBus       = "not supported: D-Bus"
	whyChecker    = "not supported yet: this checker"
	whyNYI        = "not supported yet"
)

// knownReason says why a keyword keepalived knows is refused; "" when
// keepalived does not know it either.
func knownReason(block, kw string) string {
	if !known()[Keyword{block, kw}] {
		return ""
	}
	if why, ok := vrrpExtraReasons[Keyword{block, kw}]; ok {
		return why
	}
	switch {
	case strings.Contains(kw, "smtp") || strings.Contains(kw, "email"):
		return whyEmail
	case kw == "nftables_ifindex":
		return whyNFTIfindex
	case strings.HasPrefix(kw, "nftables_ipvs"):
		return whyNFTIPVS
	case kw == "vrrp_iptables":
		return whyIPTables
	case kw == "namespace_with_ipsets":
		return whyNSIPSets
	case strings.Contains(kw, "nftables") || strings.Contains(kw, "iptables") || strings.Contains(kw, "ipsets"):
		return whyFirewall
	case strings.Contains(kw, "rcv_bufs"):
		return whyNetlink
	case strings.HasSuffix(kw, "_priority") && block == "global_defs" && kw != "vrrp_notify_priority_changes",
		strings.HasSuffix(kw, "_no_swap"), strings.Contains(kw, "cpu_affinity"), strings.Contains(kw, "rlimit"),
		strings.Contains(kw, "process_name"):
		return whyProcess
	case strings.HasPrefix(kw, "net_namespace") || kw == "namespace_with_ipsets":
		return whyNS
	case strings.Contains(kw, "dbus"):
		return whyDBus
	case strings.HasSuffix(kw, "_CHECK") && checkerNames[kw] == "" || strings.Contains(block, "_CHECK") && !builtChecker(block):
		return whyChecker
	case block == "" || block == "global_defs" && (strings.HasPrefix(kw, "reload") || strings.HasPrefix(kw, "config_") ||
		kw == "umask" || kw == "random_seed" || kw == "include_check" || kw == "data_use_instance" || kw == "use_pid_dir" ||
		kw == "child_wait_time" || kw == "instance" || kw == "tmp_config_directory" || kw == "mem_check" || kw == "log_file"):
		return whyDaemon + ": " + kw
	}
	return whyNYI + ": " + kw
}

// --- global_defs ----------------------------------------------------------

var globalRules = sync.OnceValue(func() map[string]rule {
	m := map[string]rule{
		"router_id":                       str("router_id"),
		"script_user":                     joined("script_user", 1, 2),
		"enable_script_security":          boolFlag("enable_script_security"),
		"vrrp_version":                    integer("vrrp_version", 2, 3),
		"notify_fifo":                     fifo("notify_fifo"),
		"notify_fifo_script":              command("notify_fifo_script"),
		"vrrp_notify_fifo":                fifo("vrrp_notify_fifo"),
		"vrrp_notify_fifo_script":         command("vrrp_notify_fifo_script"),
		"lvs_sync_daemon":                 {key: "lvs_sync_daemon", fn: syncDaemon},
		"lvs_timeouts":                    {key: "lvs_timeouts", fn: lvsTimeouts},
		"lvs_flush":                       boolFlag("lvs_flush"),
		"lvs_flush_on_stop":               {key: "lvs_flush_on_stop", fn: flushOnStop},
		"lvs_flush_onstop":                {key: "lvs_flush_on_stop", fn: flushOnStop},
		"vrrp_rt_priority":                integer("vrrp_rt_priority", 1, 99),
		"vrrp_no_swap":                    boolFlag("vrrp_no_swap"),
		"vrrp_garp_master_delay":          wholeSeconds("vrrp_garp_master_delay", 0, 1000),
		"vrrp_garp_master_repeat":         integer("vrrp_garp_master_repeat", 1, 1000),
		"vrrp_garp_master_refresh":        wholeSeconds("vrrp_garp_master_refresh", 0, 1<<31-1),
		"vrrp_garp_master_refresh_repeat": integer("vrrp_garp_master_refresh_repeat", 1, 1000),
		"vrrp_garp_lower_prio_delay":      wholeSeconds("vrrp_garp_lower_prio_delay", 0, 1000),
		"vrrp_garp_lower_prio_repeat":     integer("vrrp_garp_lower_prio_repeat", 0, 1000),
		"vrrp_garp_interval":              seconds("vrrp_garp_interval", 0, 1),
		"vrrp_gna_interval":               seconds("vrrp_gna_interval", 0, 1),
		"vrrp_startup_delay":              seconds("vrrp_startup_delay", 0, 1<<31),
		"vrrp_mcast_group4":               addr("vrrp_mcast_group4"),
		"vrrp_mcast_group6":               addr("vrrp_mcast_group6"),
		"vrrp_skip_check_adv_addr":        boolFlag("vrrp_skip_check_adv_addr"),
		"vrrp_lower_prio_no_advert":       boolOpt("vrrp_lower_prio_no_advert"),
		"vrrp_check_unicast_src":          boolFlag("vrrp_check_unicast_src"),
		"vrrp_strict":                     boolFlag("vrrp_strict"),
		"nftables":                        {key: "nftables", fn: nftablesTable},
		"nftables_priority":               integer("nftables_priority", math.MinInt32, math.MaxInt32),
		"nftables_counters":               boolFlag("nftables_counters"),
		"default_interface":               globalDefault("vrrp_instance.interface", 1),
		"vrrp_notify_priority_changes":    globalDefault("vrrp_instance.notify_priority_changes", -1),
		"checker_log_all_failures":        globalDefault("virtual_server.real_server.*.log_all_failures", -1),
		"notification_email":              {key: "notification_email", fn: notificationEmail},
		"notification_email_from":         str("notification_email_from"),
		"smtp_server":                     joined("smtp_server", 1, 2),
		"smtp_helo_name":                  str("smtp_helo_name"),
		"smtp_connect_timeout":            {key: "smtp_connect_timeout", fn: smtpConnectTimeout},
		"smtp_alert":                      boolOpt("smtp_alert"),
		"smtp_alert_vrrp":                 boolOpt("smtp_alert_vrrp"),
		"smtp_alert_checker":              boolOpt("smtp_alert_checker"),
		"no_email_faults":                 boolFlag("no_email_faults"),
		"no_checker_emails": {why: "lvsd always mails real server changes only, as keepalived with no_checker_emails", fn: func(x *ctx, n *Node) {
			if x.args(n, 0, 0) {
				x.warnf(n, "lvsd mails a real server's changes only (never each checker's), as with no_checker_emails: dropped")
			}
		}},
	}
	// the keywords of the other files, in the order their init functions
	// added them before the tables were built lazily
	netlinkGlobalRules(m)
	maps.Copy(m, processRules2())
	maps.Copy(m, snmpGlobalRules())
	maps.Copy(m, vrrpExtraGlobalRules())
	return m
})

// notification_email { ADDR ... }: one address a line, as lvsd lists them.
func notificationEmail(x *ctx, n *Node) {
	x.valueBlock(n, "notification_email", func(ch *Node) bool {
		if len(ch.Words) != 1 {
			x.c.errorf(ch, x.kpath(n), "%q: one address a line", strings.Join(ch.Words, " "))
			return false
		}
		return true
	})
}

// smtp_connect_timeout SECONDS: keepalived turns 0 into 1 (with a warning).
func smtpConnectTimeout(x *ctx, n *Node) {
	if !x.args(n, 1, 1) || x.dup(n, "smtp_connect_timeout") {
		return
	}
	v, ok := x.intValue(n, n.Args()[0], 0, 1<<32/100-1)
	if !ok {
		return
	}
	if v == 0 {
		x.warnf(n, "0 is 1 second (as keepalived)")
		v = 1
	}
	x.t.set(n, "smtp_connect_timeout", strconv.FormatInt(v, 10))
}

// globalDefault: a global_defs keyword that gives each instance or checker
// a default; lvsd has the key on each, where convert sets it. nargs -1: an
// optional true/false.
func globalDefault(key string, nargs int) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if nargs < 0 {
			if !x.args(n, 0, 1) {
				return
			}
			if _, ok := x.boolValue(n); !ok {
				return
			}
		} else if !x.args(n, nargs, nargs) {
			return
		}
		if x.c.globalDefaults == nil {
			x.c.globalDefaults = map[string]*Node{}
		}
		if _, ok := x.c.globalDefaults[n.Keyword()]; ok {
			x.errorf(n, "given twice")
			return
		}
		x.c.globalDefaults[n.Keyword()] = n
	}}
}

var sslRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"ca":          str("ssl_ca"),
		"certificate": str("ssl_certificate"),
		"key":         str("ssl_key"),
		"password":    refuse("not supported yet: an encrypted key (give lvsd an unencrypted ssl_key)"),
	}
})

func fifo(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 3) || x.dup(n, key) {
			return
		}
		if len(n.Args()) > 1 {
			x.errorf(n, "not supported yet: an owner for the FIFO (%s)", strings.Join(n.Args()[1:], " "))
			return
		}
		x.t.set(n, key, quote(n.Args()[0]))
	}}
}

func flushOnStop(x *ctx, n *Node) {
	if !x.args(n, 0, 1) || x.dup(n, "lvs_flush_on_stop") {
		return
	}
	if n.Keyword() == "lvs_flush_onstop" {
		x.warnf(n, "deprecated keyword: written as lvs_flush_on_stop")
	}
	switch {
	case len(n.Args()) == 0:
		x.warnf(n, "keepalived flushes the whole IPVS table at stop; lvsd removes only its own virtual servers")
	case strings.EqualFold(n.Args()[0], "VS"):
	default:
		x.errorf(n, "%q: only VS (remove the configured virtual servers) is supported", n.Args()[0])
		return
	}
	x.t.set(n, "lvs_flush_on_stop", "true")
}

// lvs_sync_daemon INTERFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]
func syncDaemon(x *ctx, n *Node) {
	if !x.args(n, 2, 12) || x.dup(n, "lvs_sync_daemon") {
		return
	}
	a := n.Args()
	kv := []string{"interface", quote(a[0]), "vrrp_instance", quote(a[1])}
	lim := map[string][2]int64{"id": {0, 255}, "maxlen": {0, 65507}, "port": {1, 65535}, "ttl": {1, 255}}
	keys := map[string]string{"id": "sync_id", "maxlen": "maxlen", "port": "port", "ttl": "ttl", "group": "group"}
	for i := 2; i < len(a); i += 2 {
		k := a[i]
		if _, ok := keys[k]; !ok || i+1 >= len(a) {
			x.errorf(n, "trailing junk %q", strings.Join(a[i:], " "))
			return
		}
		v := a[i+1]
		if k == "group" {
			ip, err := netip.ParseAddr(v)
			if err != nil {
				x.errorf(n, "group: bad IP address %q", v)
				return
			}
			kv = append(kv, "group", quote(ip.String()))
			continue
		}
		num, ok := x.intValue(n, v, lim[k][0], lim[k][1])
		if !ok {
			return
		}
		kv = append(kv, keys[k], strconv.FormatInt(num, 10))
	}
	x.t.set(n, "lvs_sync_daemon", inline(kv...))
}

// lvs_timeouts [tcp N] [tcpfin N] [udp N]
func lvsTimeouts(x *ctx, n *Node) {
	if !x.args(n, 2, 6) || x.dup(n, "lvs_timeouts") {
		return
	}
	a := n.Args()
	var kv []string
	for i := 0; i < len(a); i += 2 {
		k := a[i]
		if k != "tcp" && k != "tcpfin" && k != "udp" || i+1 >= len(a) {
			x.errorf(n, "trailing junk %q", strings.Join(a[i:], " "))
			return
		}
		v, ok := x.intValue(n, a[i+1], 1, 86400*31)
		if !ok {
			return
		}
		kv = append(kv, k, strconv.FormatInt(v, 10))
	}
	x.t.set(n, "lvs_timeouts", inline(kv...))
}

// --- trackers -------------------------------------------------------------

// weight N [reverse] → weight = N or "N reverse".
func weight(lo, hi int64) rule {
	return rule{key: "weight", fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 2) || x.dup(n, "weight") {
			return
		}
		a := n.Args()
		v, ok := x.intValue(n, a[0], lo, hi)
		if !ok {
			return
		}
		if len(a) == 2 {
			if a[1] != "reverse" {
				x.errorf(n, "trailing junk %q", a[1])
				return
			}
			x.t.set(n, "weight", quote(strconv.FormatInt(v, 10)+" reverse"))
			return
		}
		x.t.set(n, "weight", strconv.FormatInt(v, 10))
	}}
}

var scriptRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"script":    script("script"),
		"interval":  wholeSeconds("interval", 1, 1<<31-1),
		"timeout":   wholeSeconds("timeout", 1, 1<<31-1),
		"weight":    weight(-253, 253),
		"rise":      integer("rise", 1, 1<<31-1),
		"fall":      integer("fall", 1, 1<<31-1),
		"user":      joined("user", 1, 2),
		"init_fail": boolFlag("init_fail"),
	}
})

var processRules = sync.OnceValue(func() map[string]rule {
	m := map[string]rule{
		"process":         joined("process", 1, -1),
		"param_match":     enum("param_match", "initial", "partial"),
		"weight":          weight(-254, 254),
		"quorum":          integer("quorum", 1, 65535),
		"quorum_max":      integer("quorum_max", 0, 65535),
		"fork_delay":      seconds("fork_delay", 0.000001, 3600),
		"terminate_delay": seconds("terminate_delay", 0.000001, 3600),
		"delay": {key: "fork_delay", fn: func(x *ctx, n *Node) {
			seconds("fork_delay", 0.000001, 3600).fn(x, n)
			seconds("terminate_delay", 0.000001, 3600).fn(x, n)
		}},
	}
	m["full_command"] = boolFlag("full_command") // rules_vrrpextra.go
	return m
})

var trackFileRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"file":      str("file"),
		"weight":    weight(-254, 254),
		"init_file": {key: "init_file", fn: initFile},
	}
})

// init_file [VALUE] [overwrite]
func initFile(x *ctx, n *Node) {
	if !x.args(n, 0, 2) || x.dup(n, "init_file") {
		return
	}
	a := n.Args()
	switch {
	case len(a) == 0:
		x.t.set(n, "init_file", "true")
	case len(a) == 2 && a[1] != "overwrite":
		x.errorf(n, "trailing junk %q", a[1])
	default:
		x.t.set(n, "init_file", quote(strings.Join(a, " ")))
	}
}

// --- sync groups and instances -------------------------------------------

var notifyRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"notify":                     command("notify"),
		"notify_master":              command("notify_master"),
		"notify_backup":              command("notify_backup"),
		"notify_fault":               command("notify_fault"),
		"notify_stop":                command("notify_stop"),
		"notify_deleted":             command("notify_deleted"),
		"notify_master_rx_lower_pri": command("notify_master_rx_lower_pri"),
		"notify_priority_changes":    boolOpt("notify_priority_changes"),
		"track_script":               trackList("track_script", -253, 253),
		"track_process":              trackList("track_process", -254, 254),
		"track_file":                 trackList("track_file", -254, 254),
		"track_interface":            trackList("track_interface", -254, 254),
		"track_bfd":                  trackList("track_bfd", -253, 253),
	}
})

// trackList: KEYWORD { NAME [weight N [reverse]] ... }.
func trackList(key string, lo, hi int64) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		x.valueBlock(n, key, func(ch *Node) bool {
			a := ch.Words
			switch {
			case len(a) == 1:
				return true
			case len(a) >= 3 && len(a) <= 4 && a[1] == "weight":
				if _, ok := x.intValue(ch, a[2], lo, hi); !ok {
					return false
				}
				if len(a) == 4 && a[3] != "reverse" {
					x.c.errorf(ch, x.kpath(n), "trailing junk %q", a[3])
					return false
				}
				return true
			}
			x.c.errorf(ch, x.kpath(n), "%q: want NAME [weight N [reverse]]", strings.Join(a, " "))
			return false
		})
	}}
}

func merge(ms ...map[string]rule) map[string]rule {
	out := map[string]rule{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var syncGroupRules = sync.OnceValue(func() map[string]rule {
	return merge(notifyRules(), map[string]rule{
		"group":                      valueBlock("group"),
		"sync_group_tracking_weight": boolFlag("sync_group_tracking_weight"),
		"smtp_alert":                 boolOpt("smtp_alert"),
		"global_tracking": {key: "sync_group_tracking_weight", fn: func(x *ctx, n *Node) {
			x.warnf(n, "deprecated keyword: written as sync_group_tracking_weight")
			boolFlag("sync_group_tracking_weight").fn(x, n)
		}},
	})
})

func (x *ctx) syncGroup(n *Node) {
	if !n.HasBlock {
		x.c.errorf(n, x.path, "missing '{' block")
		return
	}
	// keepalived 2.x still reads instance names written directly in the
	// block (before "group { }" existed) as members.
	var bare []*Node
	for _, ch := range n.Block {
		if _, ok := syncGroupRules()[ch.Keyword()]; !ok && !ch.HasBlock && len(ch.Words) == 1 && knownReason(x.path, ch.Keyword()) == "" {
			bare = append(bare, ch)
			continue
		}
		x.apply(ch, syncGroupRules())
	}
	if len(bare) > 0 {
		if x.t.get("group") != nil {
			x.c.errorf(bare[0], x.path, "%q: instance names outside group { } as well as a group block", bare[0].Keyword())
			return
		}
		var names []string
		for _, b := range bare {
			names = append(names, b.Keyword())
		}
		x.c.warnf(bare[0], x.path, "deprecated bare member list: written as group")
		x.t.set(bare[0], "group", quoteList(names))
	}
	x.t.tail = append(x.t.tail, n.Tail...)
}

var instanceRules = sync.OnceValue(func() map[string]rule {
	return merge(notifyRules(), map[string]rule{
		"state":             enum("state", "MASTER", "BACKUP"),
		"interface":         str("interface"),
		"virtual_router_id": integer("virtual_router_id", 1, 255),
		"priority":          integer("priority", 1, 255),
		"advert_int":        seconds("advert_int", 0.01, 255),
		"version":           integer("version", 2, 3),
		"nopreempt":         boolFlag("nopreempt"),
		"preempt":           boolFlag("preempt"),
		"preempt_delay":     seconds("preempt_delay", 0, 1000),
		"authentication":    {key: "authentication", fn: authentication},
		"unicast_src_ip":    addr("unicast_src_ip"),
		"unicast_ttl":       integer("unicast_ttl", 1, 255),
		"unicast_peer": {key: "unicast_peer", fn: func(x *ctx, n *Node) {
			x.valueBlock(n, "unicast_peer", nil)
		}},
		"mcast_src_ip":               addr("mcast_src_ip"),
		"virtual_ipaddress":          vipBlock("virtual_ipaddress"),
		"virtual_ipaddress_excluded": vipBlock("virtual_ipaddress_excluded"),
		"virtual_routes":             {key: "virtual_routes", fn: virtualRoutes},
		"virtual_rules": {key: "virtual_rules", fn: func(x *ctx, n *Node) {
			rulesBlock(x, n, "virtual_rules")
		}},
		"dont_track_primary":         boolFlag("dont_track_primary"),
		"garp_master_delay":          wholeSeconds("garp_master_delay", 0, 1000),
		"garp_master_repeat":         integer("garp_master_repeat", 1, 1000),
		"garp_master_refresh":        wholeSeconds("garp_master_refresh", 0, 1<<31-1),
		"garp_master_refresh_repeat": integer("garp_master_refresh_repeat", 1, 1000),
		"garp_lower_prio_delay":      wholeSeconds("garp_lower_prio_delay", 0, 1000),
		"garp_lower_prio_repeat":     integer("garp_lower_prio_repeat", 0, 1000),
		"use_vmac": {key: "use_vmac", fn: func(x *ctx, n *Node) {
			if !x.args(n, 0, 1) || x.dup(n, "use_vmac") {
				return
			}
			if len(n.Args()) == 1 {
				x.t.set(n, "use_vmac", quote(n.Args()[0]))
				return
			}
			x.t.set(n, "use_vmac", "true")
		}},
		"vmac_xmit_base": boolFlag("vmac_xmit_base"),
		"native_ipv6": {key: "vrrp_instance.virtual_ipaddress (IPv6)", fn: func(x *ctx, n *Node) {
			if x.args(n, 0, 0) {
				keepDefault(x, n)
			}
		}},
		"skip_check_adv_addr":  boolOpt("skip_check_adv_addr"),
		"lower_prio_no_advert": boolOpt("lower_prio_no_advert"),
		"smtp_alert":           boolOpt("smtp_alert"),
		"check_unicast_src":    boolFlag("check_unicast_src"),
		"accept":               acceptMode("true"),
		"no_accept":            acceptMode("false"),
		"strict_mode":          boolOpt("strict_mode"),
		"lvs_sync_daemon_interface": {key: "global.lvs_sync_daemon", fn: func(x *ctx, n *Node) {
			if !x.args(n, 1, 1) {
				return
			}
			if x.c.syncIf != nil {
				x.errorf(n, "given twice (line %d)", x.c.syncIf.Pos.Line)
				return
			}
			x.c.syncIf, x.c.syncIn = n, x.name
		}},
	}, vrrpExtraInstanceRules()) // rules_vrrpextra.go
})

func authentication(x *ctx, n *Node) {
	if len(n.Args()) > 0 {
		x.errorf(n, "trailing junk %q before '{'", strings.Join(n.Args(), " "))
		return
	}
	if !n.HasBlock {
		x.errorf(n, "missing '{' block")
		return
	}
	var typ, pass string
	for _, ch := range n.Block {
		y := &ctx{c: x.c, path: x.path + ".authentication", t: &table{}}
		switch ch.Keyword() {
		case "auth_type":
			if y.args(ch, 1, 1) {
				switch strings.ToUpper(ch.Args()[0]) {
				case "PASS":
					typ = "PASS"
				case "AH":
					typ = "AH" // keepalived's IPsec AH, HMAC-MD5-96 keyed with auth_pass
				default:
					y.errorf(ch, "%q is not PASS or AH", ch.Args()[0])
				}
			}
		case "auth_pass":
			if y.args(ch, 1, 1) {
				pass = ch.Args()[0]
				if len(pass) > 8 {
					y.warnf(ch, "keepalived uses the first 8 characters of the password: truncated")
					pass = pass[:8]
				}
			}
		default:
			y.apply(ch, map[string]rule{})
		}
	}
	if typ == "" {
		return
	}
	if pass == "" {
		// keepalived logs "Authentication specified but no password
		// given. Ignoring" and runs without authentication
		x.errorf(n, "auth_type %s without auth_pass: keepalived ignores the authentication; add auth_pass or remove the block", typ)
		return
	}
	e := x.t.set(n, "authentication", inline("auth_type", quote(typ), "auth_pass", quote(pass)))
	for _, ch := range n.Block {
		e.above = append(e.above, ch.Above...)
		if ch.Comment != "" {
			e.above = append(e.above, ch.Comment)
		}
	}
}

// --- virtual servers ------------------------------------------------------

func (x *ctx) vsg(n *Node) {
	if x.c.vsgAddrs == nil {
		x.c.vsgAddrs = map[string]bool{}
	}
	for _, ch := range n.Block {
		if ch.Keyword() != "fwmark" {
			x.c.vsgAddrs[x.name] = true
		}
	}
	x.valueBlock(&Node{Pos: n.Pos, Words: []string{"vip"}, HasBlock: n.HasBlock, Block: n.Block, Tail: n.Tail}, "vip", func(ch *Node) bool {
		a := ch.Words
		if a[0] == "fwmark" {
			if len(a) != 2 {
				x.c.errorf(ch, x.path, "want fwmark N")
				return false
			}
			_, ok := x.intValue(ch, a[1], 1, 1<<32-1)
			return ok
		}
		if len(a) > 2 {
			x.c.errorf(ch, x.path, "trailing junk %q", strings.Join(a[2:], " "))
			return false
		}
		return true
	})
	// vsg's list of one-line strings: "IP PORT" / "IP-LAST PORT" / "fwmark N".
	if e := x.t.get("vip"); e != nil {
		e.pos = n.Pos
	}
}

var lvsMethods = []string{"NAT", "DR", "TUN"}

// checkerDefaults are the keywords a virtual_server or real_server gives
// to the checkers inside it; lvsd sets them on each checker.
var checkerDefaults = []string{"retry", "delay_before_retry", "warmup", "connect_timeout", "delay_loop", "virtualhost"}

var vsRules = sync.OnceValue(func() map[string]rule {
	m := map[string]rule{
		"ip_family": {key: "family", fn: func(x *ctx, n *Node) {
			if !x.args(n, 1, 1) || x.dup(n, "family") {
				return
			}
			switch strings.ToLower(n.Args()[0]) {
			case "inet":
				x.t.set(n, "family", "4")
			case "inet6":
				x.t.set(n, "family", "6")
			default:
				x.errorf(n, "%q is not inet or inet6", n.Args()[0])
			}
		}},
		"lb_algo":            scheduler("lb_algo"),
		"lvs_sched":          scheduler("lvs_sched"),
		"lb_kind":            method("lb_kind"),
		"lvs_method":         method("lvs_method"),
		"ops":                boolFlag("ops"),
		"sh-port":            boolFlag("sh-port"),
		"sh-fallback":        boolFlag("sh-fallback"),
		"mh-port":            boolFlag("mh-port"),
		"mh-fallback":        boolFlag("mh-fallback"),
		"persistence_engine": str("persistence_engine"),
		"persistence_timeout": {key: "persistence_timeout", fn: func(x *ctx, n *Node) {
			if !x.args(n, 0, 1) || x.dup(n, "persistence_timeout") {
				return
			}
			if len(n.Args()) == 0 {
				x.t.set(n, "persistence_timeout", "true")
				return
			}
			if v, ok := x.intValue(n, n.Args()[0], 1, 1<<31-1); ok {
				x.t.set(n, "persistence_timeout", strconv.FormatInt(v, 10))
			}
		}},
		"persistence_granularity": str("persistence_granularity"),
		"protocol":                enum("protocol", "TCP", "UDP", "SCTP"),
		"ha_suspend":              boolFlag("ha_suspend"),
		"smtp_alert":              boolOpt("smtp_alert"),
		"virtualhost":             str("virtualhost"),
		"alpha":                   boolFlag("alpha"),
		"omega":                   boolFlag("omega"),
		"quorum_up":               command("quorum_up"),
		"quorum_down":             command("quorum_down"),
		"quorum":                  integer("quorum", 1, 1<<31-1),
		"hysteresis":              integer("hysteresis", 0, 1<<31-1),
		"delay_loop":              seconds("delay_loop", 0.01, 0),
		"sorry_server": {key: "sorry_server", fn: func(x *ctx, n *Node) {
			if x.args(n, 1, 2) && !x.dup(n, "sorry_server") {
				x.t.set(n, "sorry_server", quote(strings.Join(n.Args(), " ")))
			}
		}},
		"sorry_server_inhibit":    boolFlag("sorry_server_inhibit"),
		"sorry_server_lvs_method": enum("sorry_server_lvs_method", lvsMethods...),
		// Defaults for the real servers and checkers inside.
		"retry":              {key: "real_server.*.retry", fn: keepDefault},
		"delay_before_retry": {key: "real_server.*.delay_before_retry", fn: keepDefault},
		"warmup":             {key: "real_server.*.warmup", fn: keepDefault},
		"connect_timeout":    {key: "real_server.*.connect_timeout", fn: keepDefault},
		"inhibit_on_failure": {key: "real_server.inhibit_on_failure", fn: keepDefault},
		"weight":             {key: "real_server.weight", fn: keepDefault},
		"flag-1":             {key: "sh-fallback / mh-fallback", fn: keepDefault},
		"flag-2":             {key: "sh-port / mh-port", fn: keepDefault},
		"flag-3":             refuse("not supported yet: flag-3 (no IPVS scheduler uses it)"),
		"hashed":             refuse("not supported: hashed (IP_VS_SVC_F_HASHED is the kernel's own flag)"),
	}
	m["snmp_name"] = str("snmp_name") // rules_snmp.go
	return m
})

func keepDefault(x *ctx, n *Node) {
	if !x.args(n, 0, 1) {
		return
	}
	if x.extra == nil {
		x.extra = map[string]*Node{}
	}
	if _, ok := x.extra[n.Keyword()]; ok {
		x.errorf(n, "given twice")
		return
	}
	x.extra[n.Keyword()] = n
}

func scheduler(kw string) rule {
	return rule{key: "lb_algo", fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, "lb_algo") {
			return
		}
		s := strings.ToLower(n.Args()[0])
		switch s {
		case "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos":
			x.t.set(n, "lb_algo", quote(s))
		default:
			x.errorf(n, "%q is not an IPVS scheduler", n.Args()[0])
		}
	}}
}

func method(kw string) rule {
	return rule{key: "lb_kind", fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, "lb_kind") {
			return
		}
		m := strings.ToUpper(n.Args()[0])
		if m == "DR" || m == "NAT" || m == "TUN" {
			x.t.set(n, "lb_kind", quote(m))
			return
		}
		x.errorf(n, "%q is not NAT, DR or TUN", n.Args()[0])
	}}
}

func (x *ctx) virtualServer(n *Node) {
	a := n.Args()
	t := x.c.newTable(n, "[[virtual_server]]")
	x.t = t
	isAddr := false
	switch {
	case len(a) == 2 && a[0] == "fwmark":
		if v, ok := x.c.intArg(n, "virtual_server", a[1], 1, 1<<32-1); ok {
			t.set(nil, "fwmark", strconv.FormatInt(v, 10))
		}
	case len(a) == 2 && a[0] == "group":
		t.set(nil, "group", quote(a[1]))
		isAddr = x.c.vsgAddrs[a[1]]
	case len(a) == 2:
		ip, err := netip.ParseAddr(a[0])
		if err != nil {
			x.c.errorf(n, "virtual_server", "bad IP address %q", a[0])
			return
		}
		t.set(nil, "ip", quote(ip.String()))
		if v, ok := x.c.intArg(n, "virtual_server", a[1], 0, 65535); ok {
			t.set(nil, "port", strconv.FormatInt(v, 10))
		}
		isAddr = true
	case len(a) < 2:
		x.c.errorf(n, "virtual_server", "want IP PORT, fwmark N or group NAME")
		return
	default:
		x.c.errorf(n, "virtual_server", "trailing junk %q", strings.Join(a[2:], " "))
		return
	}
	if !n.HasBlock {
		x.c.errorf(n, "virtual_server", "missing '{' block")
		return
	}
	var rss []*Node
	for _, ch := range n.Block {
		if ch.Keyword() == "real_server" {
			rss = append(rss, ch)
			continue
		}
		x.apply(ch, vsRules())
	}
	for _, f := range []struct{ flag, what string }{{"flag-1", "fallback"}, {"flag-2", "port"}} {
		fn := x.extra[f.flag]
		if fn == nil {
			continue
		}
		algo := ""
		if e := t.get("lb_algo"); e != nil {
			algo, _ = strconv.Unquote(e.val)
		}
		if algo != "sh" && algo != "mh" {
			x.c.errorf(fn, "virtual_server."+f.flag, "has a meaning only with lb_algo sh or mh")
			continue
		}
		if key := algo + "-" + f.what; t.get(key) == nil {
			e := t.set(fn, key, "true")
			e.comment = strings.TrimSpace(e.comment + " " + f.flag)
		}
	}
	if e := t.get("protocol"); e != nil && !isAddr {
		x.c.warnf(&Node{Pos: e.pos}, "virtual_server.protocol", "keepalived ignores the protocol of a fwmark service: dropped")
		t.entries = slices.DeleteFunc(t.entries, func(o *entry) bool { return o == e })
	}
	if isAddr && t.get("protocol") == nil {
		x.c.warnf(n, "virtual_server", "no protocol: keepalived 2.2.7 uses UDP (lvsd's default is TCP): written as protocol = \"UDP\"")
		t.set(nil, "protocol", quote("UDP"))
	}
	seen := map[string]int{}
	for _, rn := range rss {
		k := strings.Join(rn.Args(), " ")
		if len(rn.Args()) == 1 {
			k += " " + portOf(t)
		}
		if line, dup := seen[k]; dup {
			x.c.warnf(rn, "virtual_server.real_server", "%s listed twice (line %d): keepalived removes the second, so does convert", k, line)
			continue
		}
		seen[k] = rn.Pos.Line
		x.realServer(rn)
	}
	t.tail = append(t.tail, n.Tail...)
}

func (c *conv) intArg(n *Node, path, s string, lo, hi int64) (int64, bool) {
	x := &ctx{c: c, path: path}
	return x.intValue(&Node{Pos: n.Pos, Words: []string{""}}, s, lo, hi)
}

var rsRules = sync.OnceValue(func() map[string]rule {
	m := map[string]rule{
		"weight":             integer("weight", 0, 65535),
		"lvs_method":         enum("lvs_method", lvsMethods...),
		"uthreshold":         integer("uthreshold", 0, 1<<31-1),
		"lthreshold":         integer("lthreshold", 0, 1<<31-1),
		"inhibit_on_failure": boolOpt("inhibit_on_failure"),
		"smtp_alert":         boolOpt("smtp_alert"),
		"notify_up":          command("notify_up"),
		"notify_down":        command("notify_down"),
		"alpha":              boolOpt("alpha"),
		"retry":              {key: "*.retry", fn: keepDefault},
		"delay_before_retry": {key: "*.delay_before_retry", fn: keepDefault},
		"warmup":             {key: "*.warmup", fn: keepDefault},
		"connect_timeout":    {key: "*.connect_timeout", fn: keepDefault},
		"delay_loop":         {key: "*.delay_loop", fn: keepDefault},
		"virtualhost":        {key: "*.virtualhost", fn: keepDefault},
	}
	m["snmp_name"] = str("snmp_name") // rules_snmp.go
	return m
})

var checkerNames = map[string]string{
	"HTTP_GET": "http_get", "SSL_GET": "ssl_get", "TCP_CHECK": "tcp_check",
	"PING_CHECK": "ping_check", "MISC_CHECK": "misc_check",
	"SMTP_CHECK": "smtp_check", "DNS_CHECK": "dns_check", "UDP_CHECK": "udp_check",
	"FILE_CHECK": "file_check", "BFD_CHECK": "bfd_check",
}

func (x *ctx) realServer(n *Node) {
	path := "virtual_server.real_server"
	a := n.Args()
	t := sub(x.t, n, "[[virtual_server.real_server]]")
	y := &ctx{c: x.c, path: path, t: t}
	switch {
	case len(a) == 0:
		x.c.errorf(n, path, "missing IP [PORT]")
		return
	case len(a) > 2:
		x.c.errorf(n, path, "trailing junk %q", strings.Join(a[2:], " "))
		return
	}
	ip, err := netip.ParseAddr(a[0])
	if err != nil {
		x.c.errorf(n, path, "bad IP address %q", a[0])
		return
	}
	t.set(nil, "ip", quote(ip.String()))
	if len(a) == 2 {
		if v, ok := x.c.intArg(n, path, a[1], 0, 65535); ok {
			t.set(nil, "port", strconv.FormatInt(v, 10))
		}
	}
	if !n.HasBlock {
		// keepalived accepts a real server without a block.
		t.tail = append(t.tail, n.Tail...)
		x.inheritRS(t)
		return
	}
	var checks []*Node
	for _, ch := range n.Block {
		if _, ok := checkerNames[ch.Keyword()]; ok {
			checks = append(checks, ch)
			continue
		}
		y.apply(ch, rsRules())
	}
	x.inheritRS(t)
	var alphas []*Node
	withAlpha := 0 // FILE_CHECK has no alpha
	for _, cn := range checks {
		if cn.Keyword() != "FILE_CHECK" {
			withAlpha++
		}
		if a := y.checker(cn, x.extra); a != nil {
			alphas = append(alphas, a)
		}
	}
	// keepalived's alpha is per checker, lvsd's per real server: the same
	// when every checker of the server has it.
	switch {
	case len(alphas) == 0:
	case len(alphas) < withAlpha:
		x.c.errorf(alphas[0], path, "alpha on some checkers of a real server only: not supported yet (lvsd's alpha is per real server)")
	case t.get("alpha") == nil:
		e := t.set(nil, "alpha", "true")
		e.pos, e.comment = alphas[0].Pos, "alpha of its checkers"
	}
	t.tail = append(t.tail, n.Tail...)
}

// checkerAlpha records a checker's alpha for realServer.
func checkerAlpha(x *ctx, n *Node) {
	if !x.args(n, 0, 1) {
		return
	}
	if on, ok := x.boolValue(n); ok && on {
		if x.extra == nil {
			x.extra = map[string]*Node{}
		}
		x.extra["alpha"] = n
	}
}

// inheritRS gives a real server the virtual server's weight and
// inhibit_on_failure.
func (x *ctx) inheritRS(t *table) {
	for _, k := range []string{"weight", "inhibit_on_failure"} {
		if d, ok := x.extra[k]; ok && t.get(k) == nil {
			y := &ctx{c: x.c, path: "virtual_server", t: t}
			r := rsRules()[k]
			r.fn(y, d)
			if e := t.get(k); e != nil {
				e.above, e.comment = nil, "from the virtual_server, line "+strconv.Itoa(d.Pos.Line)
			}
		}
	}
}

var commonCheckerRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"connect_ip":         addr("connect_ip"),
		"connect_port":       integer("connect_port", 1, 65535),
		"bindto":             addr("bindto"),
		"bind_port":          integer("bind_port", 1, 65535),
		"bind_if":            str("bind_if"),
		"connect_timeout":    seconds("connect_timeout", 0.001, 0),
		"fwmark":             integer("fwmark", 1, 1<<32-1),
		"retry":              integer("retry", 0, 1<<31-1),
		"delay_before_retry": seconds("delay_before_retry", 0, 0),
		"warmup":             seconds("warmup", 0, 0),
		"delay_loop":         seconds("delay_loop", 0.01, 0),
		"log_all_failures":   boolOpt("log_all_failures"),
		"alpha":              {key: "virtual_server.real_server.alpha", fn: checkerAlpha},
	}
})

var httpRules = sync.OnceValue(func() map[string]rule {
	return merge(commonCheckerRules(), map[string]rule{
		"nb_get_retry": {key: "retry", fn: func(x *ctx, n *Node) {
			x.warnf(n, "deprecated keyword: written as retry")
			integer("retry", 0, 1<<31-1).fn(x, n)
		}},
		"virtualhost":   str("virtualhost"),
		"http_protocol": enum("http_protocol", "1.0", "1.0C", "1.1"),
		"enable_sni": {why: "dropped with a warning: no meaning without TLS (keepalived ignores it on HTTP_GET)", fn: func(x *ctx, n *Node) {
			if x.args(n, 0, 1) {
				if _, ok := x.boolValue(n); ok {
					x.warnf(n, "has no meaning without TLS (keepalived ignores it on HTTP_GET): dropped")
				}
			}
		}},
		"fast_recovery": boolOpt("fast_recovery"),
	})
})

// sslGetRules: SSL_GET's keywords; sni_name and tls_compliant are keepalived
// 2.2.8's.
var sslGetRules = sync.OnceValue(func() map[string]rule {
	return merge(httpRules(), map[string]rule{
		"enable_sni":    boolOpt("enable_sni"),
		"sni_name":      str("sni_name"),
		"tls_compliant": boolOpt("tls_compliant"),
	})
})

var smtpRules = sync.OnceValue(func() map[string]rule {
	return merge(commonCheckerRules(), map[string]rule{
		"helo_name": str("helo_name"),
	})
})

// smtpHostRules: a legacy SMTP_CHECK host block. keepalived installs every
// common checker keyword in it, but only the connection ones are the
// host's own; the others set the whole checker.
var smtpHostRules = sync.OnceValue(func() map[string]rule {
	m := map[string]rule{}
	for _, k := range connKeys {
		m[k] = commonCheckerRules()[k]
	}
	for _, k := range []string{"retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures"} {
		m[k] = refuse("lvsd's host block takes connection keywords only: give " + k + " in the SMTP_CHECK itself (keepalived applies it to the whole checker)")
	}
	return m
})

var dnsRules = sync.OnceValue(func() map[string]rule {
	return merge(commonCheckerRules(), map[string]rule{
		"type": enum("type", "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"),
		"name": str("name"),
	})
})

var udpRules = sync.OnceValue(func() map[string]rule {
	return merge(commonCheckerRules(), map[string]rule{
		"payload": {key: "payload", fn: func(x *ctx, n *Node) {
			if x.args(n, 1, -1) && !x.dup(n, "payload") {
				x.t.set(n, "payload", quote(strings.Join(n.Args(), " ")))
			}
		}},
		// require_reply [HEX]: with a pattern, lvsd's reply key.
		"require_reply": {key: "require_reply", fn: func(x *ctx, n *Node) {
			if !x.noBlock(n) || x.dup(n, "require_reply") || x.dup(n, "reply") {
				return
			}
			if len(n.Args()) == 0 {
				x.t.set(n, "require_reply", "true")
				return
			}
			x.t.set(n, "reply", quote(strings.Join(n.Args(), " ")))
		}},
		"min_reply_length": integer("min_reply_length", 0, 65535),
		"max_reply_length": integer("max_reply_length", 0, 65535),
	})
})

// udpLengths: keepalived checks the reply's length only against a reply
// pattern (require_reply HEX); lvsd whenever a reply is required. Without a
// pattern convert drops the lengths and accepts any, as keepalived.
func udpLengths(x *ctx, t *table) {
	rr := t.get("require_reply")
	if rr == nil || t.get("reply") != nil {
		return
	}
	for _, k := range []string{"min_reply_length", "max_reply_length"} {
		if e := t.get(k); e != nil {
			x.c.warnf(&Node{Pos: e.pos}, x.path+"."+k, "keepalived checks no reply length without a reply pattern (require_reply HEX): dropped")
			t.entries = slices.DeleteFunc(t.entries, func(o *entry) bool { return o == e })
		}
	}
	e := t.set(nil, "max_reply_length", "65535")
	e.pos, e.comment = rr.pos, "keepalived checks no length without a reply pattern"
}

var fileCheckRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"track_file": str("track_file"),
		// keepalived's FILE_CHECK takes weight N [reverse|noreverse].
		"weight": {key: "weight", fn: func(x *ctx, n *Node) {
			if a := n.Args(); len(a) == 2 && a[1] == "noreverse" {
				m := *n
				m.Words = slices.Clip(n.Words)[:len(n.Words)-1]
				n = &m
			}
			weight(-65535, 65535).fn(x, n)
		}},
	}
})

var urlRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"path":        str("path"),
		"digest":      str("digest"),
		"virtualhost": str("virtualhost"),
		"status_code": {key: "status_code", fn: func(x *ctx, n *Node) {
			if !x.args(n, 1, -1) || x.dup(n, "status_code") {
				return
			}
			var vals []string
			for _, s := range n.Args() {
				if lo, hi, ok := strings.Cut(s, "-"); ok {
					l, e1 := strconv.Atoi(lo)
					h, e2 := strconv.Atoi(hi)
					if e1 != nil || e2 != nil || l < 100 || h > 999 || l > h {
						x.errorf(n, "bad status code range %q", s)
						return
					}
					vals = append(vals, quote(s))
					continue
				}
				v, err := strconv.Atoi(s)
				if err != nil || v < 100 || v > 999 {
					x.errorf(n, "bad status code %q", s)
					return
				}
				vals = append(vals, strconv.Itoa(v))
			}
			x.t.set(n, "status_code", "["+strings.Join(vals, ", ")+"]")
		}},
		// keepalived reads the pattern with its command quoting and escapes
		// (alloc_strvec_quoted_escaped): `\.` is `.`, `\\` a backslash.
		"regex": {key: "regex", fn: func(x *ctx, n *Node) {
			a, ok := x.commandWords(n)
			if !ok || x.dup(n, "regex") {
				return
			}
			if len(a) > 1 {
				x.errorf(n, "trailing junk %q (quote the whole pattern)", strings.Join(a[1:], " "))
				return
			}
			if strings.Contains(n.Raw, "\\") {
				x.warnf(n, "keepalived reads backslash escapes in a regex (a backslash of the pattern is written \\\\): the pattern is %q", a[0])
			}
			x.t.set(n, "regex", quote(a[0]))
		}},
		"regex_no_match":   boolFlag("regex_no_match"),
		"regex_options":    {key: "regex_options", fn: regexOptions},
		"regex_min_offset": integer("regex_min_offset", 0, 1<<31-1),
		"regex_max_offset": integer("regex_max_offset", 0, 1<<31-1),
		"regex_stack": {key: "regex_stack", fn: func(x *ctx, n *Node) {
			if !x.args(n, 2, 2) || x.dup(n, "regex_stack") {
				return
			}
			a := n.Args()
			lo, ok1 := x.intValue(n, a[0], 0, 1<<31-1)
			hi, ok2 := x.intValue(n, a[1], 0, 1<<31-1)
			if !ok1 || !ok2 {
				return
			}
			if lo > hi {
				x.errorf(n, "start %d above max %d", lo, hi)
				return
			}
			x.t.set(n, "regex_stack", quote(a[0]+" "+a[1]))
		}},
	}
})

var sslURLRules = sync.OnceValue(func() map[string]rule {
	return merge(urlRules(), map[string]rule{
		"tls_compliant": boolOpt("tls_compliant"),
	})
})

// regexOptions: keepalived adds the options of every regex_options line
// (and ignores a name it does not know); convert refuses an unknown name.
func regexOptions(x *ctx, n *Node) {
	if !x.args(n, 1, -1) || x.dup(n, "regex_options") {
		return
	}
	for _, o := range n.Args() {
		if _, _, err := config.CompileRegex("", []string{o}); err != nil {
			x.errorf(n, "%v", strings.TrimPrefix(err.Error(), "regex_options: "))
			return
		}
	}
	x.t.set(n, "regex_options", quoteList(n.Args()))
}

// checkRegex: what keepalived ignores with a log line (regex keys without a
// regex, a min offset above the max) and a pattern RE2 cannot express are
// errors.
func (x *ctx) checkRegex(u *Node) {
	var opts []string
	for _, ch := range u.Block {
		if ch.Keyword() == "regex_options" && x.t.get("regex_options") != nil {
			opts = ch.Args()
		}
	}
	re := x.t.get("regex")
	if re == nil {
		for _, ch := range u.Block {
			if k := ch.Keyword(); strings.HasPrefix(k, "regex_") && x.t.get(k) != nil {
				x.errorf(ch, "no regex in this url (keepalived ignores %s without one)", k)
			}
		}
		return
	}
	p, _ := strconv.Unquote(re.val)
	if _, _, err := config.CompileRegex(p, opts); err != nil {
		x.c.errorf(&Node{Pos: re.pos}, x.path+".regex", "%v", err)
	}
	lo, hi := x.t.get("regex_min_offset"), x.t.get("regex_max_offset")
	if lo != nil && hi != nil {
		l, _ := strconv.Atoi(lo.val)
		h, _ := strconv.Atoi(hi.val)
		if l > h {
			x.c.errorf(&Node{Pos: lo.pos}, x.path+".regex_min_offset", "%d above regex_max_offset %d (keepalived ignores both)", l, h)
		}
	}
}

var miscRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"misc_path":          script("misc_path"),
		"misc_timeout":       wholeSeconds("misc_timeout", 1, 1<<31-1),
		"misc_dynamic":       boolFlag("misc_dynamic"),
		"user":               joined("user", 1, 2),
		"warmup":             seconds("warmup", 0, 0),
		"delay_loop":         seconds("delay_loop", 0.01, 0),
		"retry":              integer("retry", 0, 1<<31-1),
		"delay_before_retry": seconds("delay_before_retry", 0, 0),
		"log_all_failures":   boolOpt("log_all_failures"),
		"alpha":              {key: "virtual_server.real_server.alpha", fn: checkerAlpha},
	}
})

// checker converts one checker block; it returns the checker's alpha
// keyword when it has one.
func (x *ctx) checker(n *Node, vsExtra map[string]*Node) *Node {
	kw := n.Keyword()
	path := "virtual_server.real_server." + kw
	name := checkerNames[kw]
	t := sub(x.t, n, "[[virtual_server.real_server."+name+"]]")
	if kw != "FILE_CHECK" && kw != "BFD_CHECK" { // checker_log_all_failures reaches these
		x.c.checkers = append(x.c.checkers, t)
	}
	y := &ctx{c: x.c, path: path, t: t}
	if len(n.Args()) > 0 {
		x.c.errorf(n, path, "trailing junk %q", strings.Join(n.Args(), " "))
		return nil
	}
	rules := checkerRules(kw)
	if !n.HasBlock {
		// "TCP_CHECK" alone is a checker with every default.
		if kw == "HTTP_GET" || kw == "SSL_GET" || kw == "MISC_CHECK" || kw == "FILE_CHECK" || kw == "BFD_CHECK" {
			x.c.errorf(n, path, "missing '{' block")
		}
		y.inherit(x.extra, vsExtra, rules)
		return y.extra["alpha"]
	}
	if kw == "MISC_CHECK" {
		defer func() {
			// keepalived 2.2.7's MISC_CHECK retries 0 times unless told
			// (check_misc.c); lvsd's default is 1.
			if t.get("retry") == nil {
				e := t.set(nil, "retry", "0")
				e.pos, e.comment = n.Pos, "keepalived's MISC_CHECK default"
				x.c.warnf(n, path, "no retry: keepalived 2.2.7's MISC_CHECK default is 0 (lvsd's is 1): written as retry = 0")
			}
		}()
	}
	sublevel := map[string]string{"HTTP_GET": "url", "SSL_GET": "url", "SMTP_CHECK": "host"}[kw]
	var urls []*Node
	for _, ch := range n.Block {
		if sublevel != "" && ch.Keyword() == sublevel {
			urls = append(urls, ch)
			continue
		}
		y.apply(ch, rules)
	}
	y.inherit(x.extra, vsExtra, rules)
	if sublevel == "url" && len(urls) == 0 {
		x.c.errorf(n, path, "no url block")
	}
	if kw == "FILE_CHECK" && t.get("track_file") == nil {
		x.c.errorf(n, path, "no track_file")
	}
	if kw == "BFD_CHECK" && t.get("name") == nil {
		x.c.errorf(n, path, "no name")
	}
	if kw == "UDP_CHECK" {
		udpLengths(y, t)
	}
	subRules := map[string]map[string]rule{"HTTP_GET": urlRules(), "SSL_GET": sslURLRules(), "SMTP_CHECK": smtpHostRules()}[kw]
	for _, u := range urls {
		ut := sub(t, u, "[[virtual_server.real_server."+name+"."+sublevel+"]]")
		z := &ctx{c: x.c, path: path + "." + sublevel, t: ut}
		if len(u.Args()) > 0 {
			x.c.errorf(u, z.path, "trailing junk %q", strings.Join(u.Args(), " "))
			continue
		}
		z.block(u, subRules)
		if sublevel == "url" {
			z.checkRegex(u)
		} else {
			inheritConn(t, ut, u)
		}
	}
	t.tail = append(t.tail, n.Tail...)
	return y.extra["alpha"]
}

// inheritConn: keepalived starts a host block from a copy of the
// SMTP_CHECK's connection as given above it; lvsd's host starts from the
// real server's, so convert writes those keys out.
func inheritConn(chk, host *table, h *Node) {
	for _, e := range chk.entries {
		if !slices.Contains(connKeys, e.key) || e.pos.File != h.Pos.File || e.pos.Line == 0 || e.pos.Line > h.Pos.Line || host.get(e.key) != nil {
			continue
		}
		ne := host.set(nil, e.key, e.val)
		ne.pos, ne.comment = h.Pos, e.comment
		if !strings.HasPrefix(e.comment, "from the ") {
			ne.comment = "from the SMTP_CHECK, line " + strconv.Itoa(e.pos.Line)
		}
	}
}

var connKeys = []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark"}

// builtChecker reports whether a block path is inside a checker lvsd has.
func builtChecker(block string) bool {
	for kw := range checkerNames {
		if strings.Contains(block, "."+kw) {
			return true
		}
	}
	return false
}

// checkerRules are the rules of a checker block.
func checkerRules(kw string) map[string]rule {
	switch kw {
	case "HTTP_GET":
		return httpRules()
	case "SSL_GET":
		return sslGetRules()
	case "MISC_CHECK":
		return miscRules()
	case "SMTP_CHECK":
		return smtpRules()
	case "DNS_CHECK":
		return dnsRules()
	case "UDP_CHECK":
		return udpRules()
	case "FILE_CHECK":
		return fileCheckRules()
	case "BFD_CHECK":
		return bfdCheckRules()
	}
	return commonCheckerRules()
}

// inherit sets the checker keys the real server or virtual server gave.
func (x *ctx) inherit(rsExtra, vsExtra map[string]*Node, rules map[string]rule) {
	for _, k := range checkerDefaults {
		r, ok := rules[k]
		if !ok || x.t.get(k) != nil {
			continue
		}
		d, from := rsExtra[k], "real_server"
		if d == nil {
			d, from = vsExtra[k], "virtual_server"
		}
		if d == nil {
			continue
		}
		r.fn(x, d)
		if e := x.t.get(k); e != nil {
			e.above, e.comment = nil, "from the "+from+", line "+strconv.Itoa(d.Pos.Line)
		}
	}
}

// portOf is the virtual server's port as written, for a real server
// without one.
func portOf(t *table) string {
	if e := t.get("port"); e != nil {
		return e.val
	}
	return ""
}

// virtualRoutes: keepalived installs its routes with proto keepalived (18)
// unless told; lvsd's default is boot, so convert writes the proto out.
func virtualRoutes(x *ctx, n *Node) { routesBlock(x, n, "virtual_routes") }

// noTrack drops keepalived's no_track from a route or rule line: lvsd never
// puts back a route or rule removed by hand, which is what no_track asks.
func noTrack(x *ctx, n, ch *Node) {
	if i := slices.Index(ch.Words, "no_track"); i >= 0 {
		ch.Words = slices.Delete(slices.Clone(ch.Words), i, i+1)
		x.c.warnf(ch, x.kpath(n), "no_track dropped: lvsd does not restore routes and rules removed by hand (what no_track asks)")
	}
}

// rulesBlock: virtual_rules / static_rules. keepalived installs the rules
// it tracks with protocol keepalived (18); lvsd sends no protocol unless
// told, so convert writes it out.
func rulesBlock(x *ctx, n *Node, key string) {
	added := false
	x.valueBlock(n, key, func(ch *Node) bool {
		noTrack(x, n, ch)
		if !slices.Contains(ch.Words, "protocol") {
			ch.Words = append(slices.Clip(ch.Words), "protocol", "keepalived")
			added = true
		}
		return true
	})
	if added {
		x.warnf(n, "keepalived installs its rules with protocol keepalived (18); lvsd sends none unless told: written as protocol keepalived")
	}
}

// routesBlock: virtual_routes / static_routes.
func routesBlock(x *ctx, n *Node, key string) {
	added := false
	x.valueBlock(n, key, func(ch *Node) bool {
		noTrack(x, n, ch)
		w := ch.Words
		if !slices.Contains(w, "proto") && !slices.Contains(w, "protocol") {
			// before the nexthops: they take the words after them
			at := slices.Index(w, "nexthop")
			if at < 0 {
				at = len(w)
			}
			ch.Words = slices.Insert(slices.Clone(w), at, "proto", "keepalived")
			added = true
		}
		if !slices.Contains(w, "via") && !slices.Contains(w, "gw") && !slices.Contains(w, "scope") &&
			slices.Contains(w, "dev") && w[0] != "blackhole" {
			x.c.warnf(ch, x.kpath(n), "a route with a device and no gateway: lvsd gives it scope link (as ip route), keepalived leaves it scope global")
		}
		return true
	})
	if added {
		x.warnf(n, "keepalived installs its routes with proto keepalived (18); lvsd's default is boot: written as proto keepalived")
	}
}

// vipBlock: virtual_ipaddress and virtual_ipaddress_excluded. An address
// listed twice on one device with one prefix length is added once by
// keepalived: the kernel refuses the second with EEXIST whatever its
// label. convert keeps the first line, with a warning (lvsd refuses the
// duplicate).
func vipBlock(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		type first struct {
			line int
			text string
		}
		seen := map[string]first{}
		x.valueBlock(n, key, func(ch *Node) bool {
			id, ok := vipIdentity(ch.Words)
			if !ok {
				return true // the loader says what is wrong with it
			}
			text := strings.Join(ch.Words, " ")
			f, dup := seen[id]
			switch {
			case dup && f.text == text:
				return true // valueBlock merges the same line
			case dup:
				x.c.warnf(ch, x.kpath(n), "%q: the address of line %d again: keepalived adds it once (the kernel refuses the second, whatever its label); convert keeps line %d", text, f.line, f.line)
				return false
			}
			seen[id] = first{ch.Pos.Line, text}
			return true
		})
	}}
}

// vipIdentity is what makes a VIP line the same address to the kernel:
// the address with its prefix length (a bare address is /32 or /128) and
// its dev.
func vipIdentity(w []string) (string, bool) {
	if len(w) == 0 {
		return "", false
	}
	var p netip.Prefix
	if strings.Contains(w[0], "/") {
		var err error
		if p, err = netip.ParsePrefix(w[0]); err != nil {
			return "", false
		}
	} else {
		a, err := netip.ParseAddr(w[0])
		if err != nil {
			return "", false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	dev := ""
	for i := 1; i+1 < len(w); i++ {
		if w[i] == "dev" {
			dev = w[i+1]
		}
	}
	return p.String() + " dev " + dev, true
}

// nftablesTable: `nftables [TABLENAME]`; without a name keepalived uses the
// table "keepalived", and so does the converted lvsd (its own default is
// "lvsd").
func nftablesTable(x *ctx, n *Node) {
	if !x.args(n, 0, 1) || x.dup(n, "nftables") {
		return
	}
	name := "keepalived"
	if len(n.Args()) == 1 {
		name = n.Args()[0]
	}
	x.t.set(n, "nftables", quote(name))
}

// acceptMode converts accept / no_accept: keepalived toggles one flag with
// the two keywords, the last one given winning; the same keyword twice is
// refused as any duplicate.
func acceptMode(val string) rule {
	return rule{key: "accept", fn: func(x *ctx, n *Node) {
		if !x.args(n, 0, 0) {
			return
		}
		if e := x.t.get("accept"); e != nil {
			if e.val == val {
				x.errorf(n, "given twice")
				return
			}
			x.warnf(n, "overrides the %s of line %d (keepalived: the last one wins)", map[string]string{"true": "accept", "false": "no_accept"}[e.val], e.pos.Line)
			e.val, e.pos = val, n.Pos
			return
		}
		x.t.set(n, "accept", val)
	}}
}
