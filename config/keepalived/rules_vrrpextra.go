package keepalived

import (
	"strconv"
	"strings"
	"sync"
)

// Convert rules of the VRRP keywords of issue 11 (config/vrrpextra.go):
// added to globalRules and instanceRules.

var vrrpExtraGlobalRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"vrrp_down_timer_adverts":      integer("vrrp_down_timer_adverts", 1, 100),
		"vrrp_higher_prio_send_advert": boolOpt("vrrp_higher_prio_send_advert"),
		"vrrp_min_garp":                {key: "vrrp_min_garp", fn: minGARP},
		"vrrp_garp_extra_if":           garpExtraIf("vrrp_garp_extra_if", 1, false),
		"vrrp_vmac_garp_intvl":         garpExtraIf("vrrp_garp_extra_if", 1, true),
		"vmac_prefix":                  str("vmac_prefix"),
		"log_unknown_vrids":            boolFlag("log_unknown_vrids"),
		"vrrp_rx_bufs_multiplier":      integer("vrrp_rx_bufs_multiplier", 1, 1<<20),
		"vrrp_rx_bufs_policy":          {key: "vrrp_rx_bufs_policy", fn: rxBufsPolicy},
		"max_auto_priority":            {key: "max_auto_priority", fn: maxAutoPriority},
		"min_auto_priority_delay": {key: "min_auto_priority_delay", fn: func(x *ctx, n *Node) {
			if !x.args(n, 1, 1) || x.dup(n, "min_auto_priority_delay") {
				return
			}
			if v, ok := x.intValue(n, n.Args()[0], 1, 10000000); ok { // microseconds
				x.t.set(n, "min_auto_priority_delay", quote(strconv.FormatInt(v, 10)+"us"))
			}
		}},
	}
})

var vrrpExtraInstanceRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"down_timer_adverts":      integer("down_timer_adverts", 1, 100),
		"higher_prio_send_advert": boolOpt("higher_prio_send_advert"),
		"unicast_fault_no_peer":   boolFlag("unicast_fault_no_peer"),
		"garp_extra_if":           garpExtraIf("garp_extra_if", 0, false),
		"mcast_dst_ip":            addr("mcast_dst_ip"),
		"promote_secondaries":     boolFlag("promote_secondaries"),
		"kernel_rx_buf_size":      integer("kernel_rx_buf_size", 0, 1<<30),
		"old_unicast_checksum":    {key: "old_unicast_checksum", fn: oldUnicastChecksum},
		"vmac_garp_intvl":         garpExtraIf("garp_extra_if", 0, true),
	}
})

// garpExtraIf converts "garp_extra_if DELAY [all]" (and its deprecated
// spelling vmac_garp_intvl): DELAY whole seconds lo..86400.
func garpExtraIf(key string, lo int64, deprecated bool) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 2) || x.dup(n, key) {
			return
		}
		if deprecated {
			x.warnf(n, "deprecated keyword: written as %s", key)
		}
		delay, all := "", false
		for _, a := range n.Args() {
			if a == "all" {
				all = true
				continue
			}
			if delay != "" {
				x.errorf(n, "%q: want DELAY [all]", strings.Join(n.Args(), " "))
				return
			}
			v, ok := x.intValue(n, a, lo, 86400)
			if !ok {
				return
			}
			delay = strconv.FormatInt(v, 10)
		}
		if delay == "" {
			x.errorf(n, "missing the delay in seconds")
			return
		}
		if all {
			x.t.set(n, key, quote(delay+" all"))
			return
		}
		x.t.set(n, key, delay)
	}}
}

// minGARP converts vrrp_min_garp. keepalived 2.2.7 overwrites the GARP
// values that are at their defaults when it reads the keyword, so a
// vrrp_garp_master_repeat 5 or vrrp_garp_master_delay 5 written before it
// is lost; lvsd keeps what the file sets, so those lines are dropped
// (with a warning) to keep keepalived's meaning.
func minGARP(x *ctx, n *Node) {
	if !x.args(n, 0, 1) || x.dup(n, "vrrp_min_garp") {
		return
	}
	on, ok := x.boolValue(n)
	if !ok {
		return
	}
	x.t.set(n, "vrrp_min_garp", strconv.FormatBool(on))
	if !on {
		return
	}
	for _, d := range []struct{ key, def string }{
		{"vrrp_garp_master_repeat", "5"},
		{"vrrp_garp_master_delay", "5"},
	} {
		if e := x.t.get(d.key); e != nil && e.val == d.def {
			x.t.del(d.key)
			x.c.warnf(n, x.kpath(n), "%s %s (line %d) is keepalived's default, which vrrp_min_garp overrides: dropped", d.key, d.def, e.pos.Line)
		}
	}
}

// rxBufsPolicy converts "vrrp_rx_bufs_policy MTU|ADVERT|SIZE". keepalived
// accepts several words and then ignores all but one with an error; lvsd
// takes exactly one.
func rxBufsPolicy(x *ctx, n *Node) {
	if !x.args(n, 1, 1) || x.dup(n, "vrrp_rx_bufs_policy") {
		return
	}
	a := n.Args()[0]
	switch p := strings.ToUpper(a); p {
	case "MTU", "ADVERT":
		x.t.set(n, "vrrp_rx_bufs_policy", quote(p))
	default:
		if v, ok := x.intValue(n, a, 1, 1<<30); ok {
			x.t.set(n, "vrrp_rx_bufs_policy", strconv.FormatInt(v, 10))
		}
	}
}

// oldUnicastChecksum converts "old_unicast_checksum [never]". Without a
// value keepalived always sends the old checksum; with never it never
// switches to it, which is what lvsd always does (keepalived's default
// switches when a peer's advert verifies only the old way; lvsd's does not,
// see REFERENCE.md).
func oldUnicastChecksum(x *ctx, n *Node) {
	if !x.args(n, 0, 1) || x.dup(n, "old_unicast_checksum") {
		return
	}
	if len(n.Args()) == 0 {
		x.t.set(n, "old_unicast_checksum", "true")
		return
	}
	if n.Args()[0] != "never" {
		x.errorf(n, "%q: want no value or never", n.Args()[0])
		return
	}
	x.t.set(n, "old_unicast_checksum", "false")
}

var garpGroupRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"garp_interval": seconds("garp_interval", 0, 1),
		"gna_interval":  seconds("gna_interval", 0, 1),
		"interface":     {key: "interfaces", fn: func(*ctx, *Node) {}}, // merged by garpGroup
		"interfaces":    {key: "interfaces", fn: func(*ctx, *Node) {}},
	}
})

// garpGroup converts a garp_group block: its interface lines and its
// interfaces block become one interfaces list.
func (x *ctx) garpGroup(n *Node) {
	if len(n.Args()) > 0 {
		x.errorf(n, "trailing junk %q before '{'", strings.Join(n.Args(), " "))
		return
	}
	if !n.HasBlock {
		x.errorf(n, "missing '{' block")
		return
	}
	x.t = x.c.newTable(n, "[[garp_group]]")
	var ifs []string
	var first *Node
	for _, ch := range n.Block {
		switch ch.Keyword() {
		case "interface":
			if x.args(ch, 1, 1) {
				ifs = append(ifs, ch.Args()[0])
				if first == nil {
					first = ch
				}
			}
		case "interfaces":
			if len(ch.Args()) > 0 || !ch.HasBlock {
				x.errorf(ch, "want an interfaces { } block")
				continue
			}
			for _, w := range ch.Block {
				if w.HasBlock {
					x.errorf(w, "unexpected '{' in a list")
					continue
				}
				ifs = append(ifs, w.Words...)
			}
			if first == nil {
				first = ch
			}
		default:
			x.apply(ch, garpGroupRules())
		}
	}
	if first != nil {
		x.t.set(first, "interfaces", quoteList(ifs))
	}
	x.t.tail = append(x.t.tail, n.Tail...)
}

// maxAutoPriority converts "max_auto_priority [PRIORITY]": without a value
// keepalived takes SCHED_RR's maximum (99); -1 and 0 turn it off.
func maxAutoPriority(x *ctx, n *Node) {
	if !x.args(n, 0, 1) || x.dup(n, "max_auto_priority") {
		return
	}
	if len(n.Args()) == 0 {
		x.t.set(n, "max_auto_priority", "99")
		return
	}
	if v, ok := x.intValue(n, n.Args()[0], -1, 99); ok {
		x.t.set(n, "max_auto_priority", strconv.FormatInt(max(v, 0), 10))
	}
}

// vrrpExtraReasons says why the VRRP keywords of issue 11 that lvsd does
// not build yet are refused.
var vrrpExtraReasons = map[Keyword]string{
	{"vrrp_instance", "track_src_ip"}: "not supported yet: track_src_ip (FAULT while the configured " +
		"unicast_src_ip / mcast_src_ip is missing from the interface) needs the instances to follow address events",
	{"vrrp_instance", "use_vmac_addr"}: "not supported yet: use_vmac_addr (a VMAC for each address on another interface, " +
		"or of the other family); lvsd's use_vmac makes one VMAC on the instance's interface",
	{"global_defs", "vmac_addr_prefix"}: "not supported yet: vmac_addr_prefix names the VMACs of use_vmac_addr, which lvsd does not build",
	{"", "track_group"}: "not supported yet: track_group (instances that go to FAULT when a static address, " +
		"route or rule carrying track_group cannot be restored); lvsd's static state is not tracked",
	{"track_group", "group"}: "not supported yet: track_group's member list (see track_group)",
}
