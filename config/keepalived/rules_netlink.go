package keepalived

import (
	"strconv"

	"github.com/lvsd/lvsd/config"
)

// The netlink receive buffers (*_rcv_bufs and *_rcv_bufs_force): keys of
// keepalived's name on the sockets lvsd opens; the checker's monitor
// (lvs_netlink_monitor_*) merges into lvsd's one link and address monitor.

// netlinkGlobalRules adds them to global_defs' rules.
func netlinkGlobalRules(global map[string]rule) {
	for k, r := range map[string]rule{
		"vrrp_netlink_cmd_rcv_bufs":           rcvBufs("vrrp_netlink_cmd_rcv_bufs"),
		"vrrp_netlink_cmd_rcv_bufs_force":     rcvBufsForce("vrrp_netlink_cmd_rcv_bufs"),
		"vrrp_netlink_monitor_rcv_bufs":       rcvBufs("vrrp_netlink_monitor_rcv_bufs"),
		"vrrp_netlink_monitor_rcv_bufs_force": rcvBufsForce("vrrp_netlink_monitor_rcv_bufs"),
		"lvs_netlink_monitor_rcv_bufs":        rcvBufs("vrrp_netlink_monitor_rcv_bufs"),
		"lvs_netlink_monitor_rcv_bufs_force":  rcvBufsForce("vrrp_netlink_monitor_rcv_bufs"),
		"process_monitor_rcv_bufs":            rcvBufs("process_monitor_rcv_bufs"),
		"process_monitor_rcv_bufs_force":      rcvBufsForce("process_monitor_rcv_bufs"),
		"lvs_netlink_cmd_rcv_bufs":            rcvBufs("lvs_netlink_cmd_rcv_bufs"),
		"lvs_netlink_cmd_rcv_bufs_force":      rcvBufsForce("lvs_netlink_cmd_rcv_bufs"),
	} {
		global[k] = r
	}
}

// KEYWORD BYTES; 0 is ignored by keepalived (dropped with a warning); two
// keywords on one lvsd socket: the larger.
func rcvBufs(key string) rule {
	return rule{key: "global." + key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || seenKeyword(x, n) {
			return
		}
		v, ok := x.intValue(n, n.Args()[0], 0, config.MaxRcvBuf)
		if !ok {
			return
		}
		if v == 0 {
			x.warnf(n, "0 leaves the kernel's default (keepalived ignores it): dropped")
			return
		}
		t := x.c.global(nil)
		first, ok := procSource(x, key)
		if !ok {
			x.c.procKeys[key] = n
			t.set(n, key, strconv.FormatInt(v, 10))
			return
		}
		e := t.get(key)
		was, _ := parseInt(e.val)
		x.warnf(n, "lvsd has one link and address monitor for VRRP and checkers: %s = %d, the larger of this and %s", key, max(was, v), line(first))
		e.val = strconv.FormatInt(max(was, v), 10)
	}}
}

// KEYWORD [true|false]: SO_RCVBUFFORCE; merged keywords: either.
func rcvBufsForce(key string) rule {
	fk := key + "_force"
	return rule{key: "global." + fk, fn: func(x *ctx, n *Node) {
		if !x.args(n, 0, 1) || seenKeyword(x, n) {
			return
		}
		v, ok := x.boolValue(n)
		if !ok {
			return
		}
		t := x.c.global(nil)
		if e := t.get(fk); e != nil {
			if v {
				e.val = "true"
			}
			x.warnf(n, "lvsd has one link and address monitor for VRRP and checkers: %s = %s (either keyword)", fk, e.val)
			return
		}
		x.c.procKeys[fk] = n
		t.set(n, fk, strconv.FormatBool(v))
	}}
}

// netlinkWarnings: a force keyword without its size is dropped (keepalived
// forces its default size; lvsd needs the size to force).
func (c *conv) netlinkWarnings() {
	if c.glob == nil {
		return
	}
	for _, key := range []string{"vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs", "process_monitor_rcv_bufs", "lvs_netlink_cmd_rcv_bufs"} {
		fn, ok := c.procKeys[key+"_force"]
		if !ok || c.glob.get(key) != nil {
			continue
		}
		c.warnf(fn, "global_defs."+fn.Keyword(), "without %s: dropped (lvsd forces only a size it is given)", key)
		kept := c.glob.entries[:0]
		for _, e := range c.glob.entries {
			if e.key != key+"_force" {
				kept = append(kept, e)
			}
		}
		c.glob.entries = kept
	}
}
