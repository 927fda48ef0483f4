package keepalived

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lvsd/lvsd/config"
)

// keepalived's per-process global_defs keywords (vrrp_X, checker_X, bfd_X)
// and the other process keywords, onto lvsd's one process: where several
// processes' keywords meet in one lvsd key, convert merges them (the
// strongest priority, the union of the CPUs, the largest limit) and warns,
// naming the lines.

var processRules2 = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"vrrp_priority":                    merged("process_priority", -20, 19, mergeMin),
		"checker_priority":                 merged("process_priority", -20, 19, mergeMin),
		"bfd_priority":                     merged("process_priority", -20, 19, mergeMin),
		"vrrp_rt_priority":                 merged("vrrp_rt_priority", 1, 99, mergeMax),
		"checker_rt_priority":              merged("vrrp_rt_priority", 1, 99, mergeMax),
		"bfd_rt_priority":                  merged("vrrp_rt_priority", 1, 99, mergeMax),
		"vrrp_rlimit_rttime":               merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"vrrp_rlimit_rtime":                merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"checker_rlimit_rttime":            merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"checker_rlimit_rtime":             merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"bfd_rlimit_rttime":                merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"bfd_rlimit_rtime":                 merged("rlimit_rttime", 1, 1<<32-1, mergeMax),
		"vrrp_no_swap":                     noSwap,
		"checker_no_swap":                  noSwap,
		"bfd_no_swap":                      noSwap,
		"vrrp_cpu_affinity":                cpuAffinity,
		"checker_cpu_affinity":             cpuAffinity,
		"bfd_cpu_affinity":                 cpuAffinity,
		"process_name":                     processName,
		"vrrp_process_name":                processName,
		"checker_process_name":             processName,
		"lvs_process_name":                 processName,
		"bfd_process_name":                 processName,
		"startup_script":                   command("startup_script"),
		"startup_script_timeout":           wholeSeconds("startup_script_timeout", 1, 1000),
		"shutdown_script":                  command("shutdown_script"),
		"shutdown_script_timeout":          wholeSeconds("shutdown_script_timeout", 1, 1000),
		"umask":                            {key: "umask", fn: umask},
		"lvs_notify_fifo":                  fifo("lvs_notify_fifo"),
		"disable_local_igmp":               boolFlag("disable_local_igmp"),
		"rs_init_notifies":                 boolOpt("rs_init_notifies"),
		"fifo_write_vrrp_states_on_reload": boolFlag("fifo_write_vrrp_states_on_reload"),
		"lvs_notify_fifo_script":           command("lvs_notify_fifo_script"),
		"process_names": {why: "dropped with a warning: it names keepalived's child processes; lvsd has none (its one process is lvsd, or process_name)",
			fn: func(x *ctx, n *Node) {
				if x.args(n, 0, 0) {
					x.warnf(n, "lvsd has no child processes to name (its one process is lvsd, or global.process_name): dropped")
				}
			}},
	}
})

// pickFn picks the merged value of two keywords' values.
type pickFn func(a, b int64) int64

func mergeMin(a, b int64) int64 { return min(a, b) }
func mergeMax(a, b int64) int64 { return max(a, b) }

// procSource is the keyword (and line) that set a merged key first.
func procSource(x *ctx, key string) (*Node, bool) {
	if x.c.procKeys == nil {
		x.c.procKeys = map[string]*Node{}
	}
	n, ok := x.c.procKeys[key]
	return n, ok
}

// seenKeyword reports (as an error) a keyword given twice.
func seenKeyword(x *ctx, n *Node) bool {
	if x.c.procKeys == nil {
		x.c.procKeys = map[string]*Node{}
	}
	k := "kw:" + n.Keyword()
	if _, ok := x.c.procKeys[k]; ok {
		x.errorf(n, "given twice")
		return true
	}
	x.c.procKeys[k] = n
	return false
}

func line(n *Node) string { return n.Keyword() + " (line " + strconv.Itoa(n.Pos.Line) + ")" }

// merged: KEYWORD N, several keywords into one lvsd key.
func merged(key string, lo, hi int64, pick pickFn) rule {
	return rule{key: "global." + key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || seenKeyword(x, n) {
			return
		}
		if strings.HasSuffix(n.Keyword(), "_rtime") {
			x.warnf(n, "deprecated keyword: written as %s", key)
		}
		v, ok := x.intValue(n, n.Args()[0], lo, hi)
		if !ok {
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
		m := pick(was, v)
		if m != was || was != v {
			x.warnf(n, "lvsd is one process: %s = %d, merged from %s and this line", key, m, line(first))
		}
		e.val = strconv.FormatInt(m, 10)
	}}
}

var noSwap = rule{key: "global.vrrp_no_swap", fn: func(x *ctx, n *Node) {
	if !x.args(n, 0, 0) || seenKeyword(x, n) {
		return
	}
	if first, ok := procSource(x, "vrrp_no_swap"); ok {
		if first.Keyword() != n.Keyword() {
			x.warnf(n, "lvsd is one process: vrrp_no_swap locks all of it (merged with %s)", line(first))
		}
		return
	}
	x.c.procKeys["vrrp_no_swap"] = n
	if n.Keyword() != "vrrp_no_swap" {
		x.warnf(n, "lvsd is one process: written as vrrp_no_swap, which locks all of it")
	}
	x.c.global(nil).set(n, "vrrp_no_swap", "true")
}}

// KEYWORD CPU...: the union of every process's CPUs.
var cpuAffinity = rule{key: "global.cpu_affinity", fn: func(x *ctx, n *Node) {
	if !x.args(n, 1, -1) || seenKeyword(x, n) {
		return
	}
	var cpus []int
	for _, a := range n.Args() {
		v, ok := x.intValue(n, a, 0, config.MaxCPU)
		if !ok {
			return
		}
		cpus = append(cpus, int(v))
	}
	t := x.c.global(nil)
	first, ok := procSource(x, "cpu_affinity")
	if ok {
		cpus = append(cpus, parseCPUs(t.get("cpu_affinity").val)...)
		x.warnf(n, "lvsd is one process: cpu_affinity is the union of these CPUs and those of %s", line(first))
	} else {
		x.c.procKeys["cpu_affinity"] = n
	}
	slices.Sort(cpus)
	cpus = slices.Compact(cpus)
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	val := "[" + strings.Join(s, ", ") + "]"
	if e := t.get("cpu_affinity"); e != nil {
		e.val = val
	} else {
		t.set(n, "cpu_affinity", val)
	}
}}

func parseCPUs(val string) []int {
	var out []int
	for _, f := range strings.Split(strings.Trim(val, "[]"), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// process_name and the per-process names: process_name wins (it is
// keepalived's parent, the one that stays); else the first given.
var processName = rule{key: "global.process_name", fn: func(x *ctx, n *Node) {
	if !x.args(n, 1, 1) || seenKeyword(x, n) {
		return
	}
	name := n.Args()[0]
	if len(name) > config.MaxProcessName {
		x.warnf(n, "%q: longer than %d bytes, truncated to %q (as keepalived)", name, config.MaxProcessName, name[:config.MaxProcessName])
		name = name[:config.MaxProcessName]
	}
	if n.Keyword() == "lvs_process_name" {
		x.warnf(n, "deprecated keyword (keepalived's checker_process_name)")
	}
	t := x.c.global(nil)
	first, ok := procSource(x, "process_name")
	switch {
	case !ok:
		x.c.procKeys["process_name"] = n
		t.set(n, "process_name", quote(name))
	case n.Keyword() == "process_name":
		x.warnf(n, "lvsd is one process with one name: this one, not the name of %s", line(first))
		x.c.procKeys["process_name"] = n
		t.get("process_name").val = quote(name)
	default:
		x.warnf(n, "lvsd is one process with one name: that of %s; dropped", line(first))
	}
}}

var umaskBits = map[string]int{"IRUSR": 0o400, "IWUSR": 0o200, "IXUSR": 0o100, "IRGRP": 0o40, "IWGRP": 0o20, "IXGRP": 0o10,
	"IROTH": 0o4, "IWOTH": 0o2, "IXOTH": 0o1}

// umask NUMBER (C notation: 022 octal, 0x12 hex, 18 decimal) or
// IRUSR|IWGRP... (keepalived's symbolic form).
func umask(x *ctx, n *Node) {
	if !x.args(n, 1, -1) || x.dup(n, "umask") {
		return
	}
	a := n.Args()
	var m int64
	if c := a[0][0]; c >= '0' && c <= '9' {
		if len(a) > 1 {
			x.errorf(n, "trailing junk %q", strings.Join(a[1:], " "))
			return
		}
		v, err := strconv.ParseInt(a[0], 0, 64)
		if a[0] != "0" && strings.HasPrefix(a[0], "0") && !strings.HasPrefix(a[0], "0x") {
			v, err = strconv.ParseInt(a[0][1:], 8, 64) // C's leading-0 octal
		}
		if err != nil || v < 0 || v > 0o777 {
			x.errorf(n, "invalid umask value %q", a[0])
			return
		}
		m = v
	} else {
		for _, f := range strings.Split(strings.Join(a, ""), "|") {
			b, ok := umaskBits[f]
			if !ok {
				x.errorf(n, "invalid umask syntax %q", strings.Join(a, " "))
				return
			}
			m |= int64(b)
		}
	}
	x.t.set(n, "umask", quote(fmt.Sprintf("%04o", m)))
}

// processWarnings: what a converted file means differently for the process.
func (c *conv) processWarnings() {
	c.netlinkWarnings() // rules_netlink.go
	c.unicastSrcWarnings()
	rt, ok := c.procKeys["vrrp_rt_priority"]
	if !ok {
		return
	}
	if _, ok := c.procKeys["rlimit_rttime"]; !ok {
		c.warnf(rt, "global_defs."+rt.Keyword(), "keepalived limits a real-time process to 10000 µs of CPU without blocking by default; lvsd sets no limit unless rlimit_rttime is given")
	}
}

// unicastSrcWarnings: keepalived accepts a unicast instance's adverts from
// any source unless check_unicast_src (or vrrp_check_unicast_src) is
// given; lvsd's default is to check.
func (c *conv) unicastSrcWarnings() {
	if c.glob != nil && c.glob.get("vrrp_check_unicast_src") != nil {
		return
	}
	for _, t := range c.instances {
		e := t.get("unicast_peer")
		if e == nil || t.get("check_unicast_src") != nil {
			continue
		}
		c.warnf(&Node{Pos: e.pos}, "vrrp_instance.unicast_peer", "keepalived accepts this instance's adverts from any source (no check_unicast_src); lvsd drops those not from a unicast_peer (check_unicast_src = false for keepalived's behaviour)")
	}
}
