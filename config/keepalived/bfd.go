package keepalived

import (
	"strconv"
	"strings"
	"sync"
)

// This file converts keepalived's bfd_instance blocks and BFD_CHECK.

var bfdRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"neighbor_ip":  addr("neighbor_ip"),
		"neighbour_ip": addr("neighbor_ip"),
		"source_ip":    addr("source_ip"),
		"min_rx":       millis("min_rx", 1, (1<<32-1)/1000),
		"min_tx":       millis("min_tx", 1, (1<<32-1)/1000),
		"idle_tx":      millis("idle_tx", 1000, (1<<32-1)/1000),
		"multiplier":   integer("multiplier", 1, 255),
		"passive":      boolFlag("passive"),
		"ttl":          integer("ttl", 1, 255),
		"hoplimit":     integer("ttl", 1, 255),
		"max_hops":     integer("max_hops", -1, 255),
		"weight":       weight(-253, 253),
		"multihop":     refuse("not supported yet: multihop BFD (RFC 5883)"),
		"vrrp":         {fn: bfdOneProcess, why: whyOneBFD},
		"checker":      {fn: bfdOneProcess, why: whyOneBFD},
	}
})

const whyOneBFD = "dropped: lvsd is one process, its VRRP and checkers both see every bfd_instance"

var bfdCheckRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"name":  str("name"),
		"alpha": {key: "virtual_server.real_server.alpha", fn: checkerAlpha},
	}
})

// millis: keepalived's BFD intervals are milliseconds with up to three
// decimals; lvsd writes a duration string.
func millis(key string, lo, hi float64) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		s := n.Args()[0]
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "eEnNxX+-") {
			x.errorf(n, "%q is not a number of milliseconds", s)
			return
		}
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 3 {
			x.errorf(n, "%q: at most 3 decimals (microseconds)", s)
			return
		}
		if f < lo || f > hi {
			x.errorf(n, "%s out of range %.0f..%.0f ms", s, lo, hi)
			return
		}
		us := int64(f*1000 + 0.5)
		v := strconv.FormatInt(us/1000, 10) + "ms"
		if us%1000000 == 0 {
			v = strconv.FormatInt(us/1000000, 10) + "s"
		} else if us%1000 != 0 {
			v = strconv.FormatInt(us, 10) + "us"
		}
		x.t.set(n, key, quote(v))
	}}
}

// bfdOneProcess: keepalived's vrrp / checker say which of its processes
// hear the instance; lvsd is one process where both do.
func bfdOneProcess(x *ctx, n *Node) {
	if !x.args(n, 0, 0) {
		return
	}
	x.warnf(n, "%s", whyOneBFD)
}

// bfdHopLimit: keepalived sends IPv6 BFD with hop limit 64 unless told;
// lvsd sends 255 (RFC 5881, what bfdd accepts). Say so.
func bfdHopLimit(x *ctx, n *Node) {
	nb := x.t.get("neighbor_ip")
	if nb == nil || !strings.Contains(nb.val, ":") || x.t.get("ttl") != nil {
		return
	}
	x.c.warnf(n, x.path, "IPv6 neighbor without hoplimit: keepalived 2.2.7 sends hop limit 64, lvsd sends 255 (RFC 5881)")
}
