package keepalived

import "strconv"

// Convert rules of the VRRP keywords of issue 11 (config/vrrpextra.go):
// added to globalRules and instanceRules.

var vrrpExtraGlobalRules = map[string]rule{
	"vrrp_down_timer_adverts":      integer("vrrp_down_timer_adverts", 1, 100),
	"vrrp_higher_prio_send_advert": boolOpt("vrrp_higher_prio_send_advert"),
	"vrrp_min_garp":                {key: "vrrp_min_garp", fn: minGARP},
}

var vrrpExtraInstanceRules = map[string]rule{
	"down_timer_adverts":      integer("down_timer_adverts", 1, 100),
	"higher_prio_send_advert": boolOpt("higher_prio_send_advert"),
	"unicast_fault_no_peer":   boolFlag("unicast_fault_no_peer"),
}

func init() {
	for k, r := range vrrpExtraGlobalRules {
		globalRules[k] = r
	}
	for k, r := range vrrpExtraInstanceRules {
		instanceRules[k] = r
	}
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
