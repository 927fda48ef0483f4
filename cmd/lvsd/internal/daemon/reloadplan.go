package daemon

import (
	"log/slog"
	"reflect"
	"strconv"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// reloadPlan is what a reload from one configuration to another does,
// decided by planReload over the two values alone (no kernel, no
// goroutines); the executor (reloadLocked and the parts' reload methods)
// applies it.
type reloadPlan struct {
	vrrp vrrpReload
	carp carpPlan
	// servers are the virtual servers by Name(); the IPVS part applies the
	// new table as a difference (ipvs.Manager), this says what it will be.
	servers namedDiff
	// checkers are the real servers ("vs/ip:port") whose health checks are
	// added, removed or changed (healthcheck Set restarts exactly those).
	checkers namedDiff
	// ipvsTimeouts, ipvsSyncDaemon: lvs_timeouts, lvs_sync_daemon changed.
	ipvsTimeouts, ipvsSyncDaemon bool
}

// vrrpReload is the VRRP side of a reload: nothing (unchanged), the
// whole part handed over (whole, with the reason), or instance by instance
// (instances.removed stopped gracefully, instances.changed restarted, all
// others untouched).
type vrrpReload struct {
	unchanged bool
	whole     bool
	reason    string // why the whole part is handed over
	instances vrrpPlan
	added     []string // new instances (they force a whole hand-over)
	trackers  bool     // vrrp_script, track_process, track_file or bfd weights changed
	groups    namedDiff
	// ownUnchanged are the instances whose own configuration did not change
	// (same block, same effective settings under the new global keys): in a
	// whole hand-over, those that were MASTER or BACKUP take over quietly
	// (quietHandover).
	ownUnchanged []string
}

// namedDiff sorts named things into kept (unchanged), changed, added and
// removed; old order first, then the new file's order for added ones.
type namedDiff struct {
	kept, changed, added, removed []string
}

func (d namedDiff) empty() bool { return len(d.changed)+len(d.added)+len(d.removed) == 0 }

// diffNamed compares two lists of named values.
func diffNamed[T any](old, next []T, name func(*T) string, same func(a, b *T) bool) namedDiff {
	var d namedDiff
	idx := map[string]*T{}
	for k := range next {
		idx[name(&next[k])] = &next[k]
	}
	seen := map[string]bool{}
	for k := range old {
		o := &old[k]
		n := name(o)
		seen[n] = true
		switch nv, ok := idx[n]; {
		case !ok:
			d.removed = append(d.removed, n)
		case same(o, nv):
			d.kept = append(d.kept, n)
		default:
			d.changed = append(d.changed, n)
		}
	}
	for k := range next {
		if n := name(&next[k]); !seen[n] {
			d.added = append(d.added, n)
		}
	}
	return d
}

func deepEqual[T any](a, b *T) bool { return reflect.DeepEqual(a, b) }

// planReload decides what a reload from old to cfg does.
func planReload(old, cfg *config.Config) reloadPlan {
	var p reloadPlan
	p.vrrp = planVRRPReload(old, cfg)
	p.carp = planCARP(old, cfg)
	p.servers = diffNamed(old.VirtualServers, cfg.VirtualServers,
		func(v *config.VirtualServer) string { return v.Name() }, deepEqual[config.VirtualServer])
	p.checkers = diffNamed(realServers(old), realServers(cfg),
		func(r *namedChecks) string { return r.name }, func(a, b *namedChecks) bool {
			return reflect.DeepEqual(a.rs.Checkers, b.rs.Checkers) && a.rs.CheckDefaults == b.rs.CheckDefaults
		})
	p.ipvsTimeouts, p.ipvsSyncDaemon = planIPVSGlobal(old.Global, cfg.Global)
	return p
}

// planIPVSGlobal reports whether the IPVS global keys lvs_timeouts (as the
// kernel gets them) and lvs_sync_daemon changed from prev to next. The IPVS
// part calls it with the global keys it last applied (reloadGlobal).
func planIPVSGlobal(prev, next config.Global) (timeouts, syncDaemon bool) {
	return ipvs.TimeoutsFor(prev) != ipvs.TimeoutsFor(next), !reflect.DeepEqual(prev.LVSSyncDaemon, next.LVSSyncDaemon)
}

// namedChecks names a real server whose health checks (Checkers,
// CheckDefaults) are compared; rs points into the configuration.
type namedChecks struct {
	name string
	rs   *config.RealServer
}

func realServers(c *config.Config) []namedChecks {
	n := 0
	for _, vs := range c.VirtualServers {
		n += len(vs.RealServers)
	}
	out := make([]namedChecks, 0, n)
	for i := range c.VirtualServers {
		vs := &c.VirtualServers[i]
		prefix := vs.Name() + "/"
		for k := range vs.RealServers {
			rs := &vs.RealServers[k]
			out = append(out, namedChecks{name: prefix + rs.IP.String() + ":" + strconv.Itoa(int(rs.Port)), rs: rs})
		}
	}
	return out
}

// planVRRPReload is the VRRP side of planReload: unchanged when the VRRP
// side is equal (vrrpEqual), instance by instance when planVRRP allows it,
// else the whole part with the first reason found.
func planVRRPReload(old, cfg *config.Config) vrrpReload {
	var r vrrpReload
	o, n := withoutMail(old), withoutMail(cfg)
	r.trackers = !reflect.DeepEqual(o.Scripts, n.Scripts) ||
		!reflect.DeepEqual(o.TrackProcesses, n.TrackProcesses) ||
		!reflect.DeepEqual(o.TrackFiles, n.TrackFiles) ||
		!reflect.DeepEqual(bfdTracked(o), bfdTracked(n))
	r.groups = diffNamed(o.SyncGroups, n.SyncGroups,
		func(g *config.SyncGroup) string { return g.Name }, deepEqual[config.SyncGroup])
	inst := diffNamed(o.Instances, n.Instances,
		func(i *config.VRRPInstance) string { return i.Name }, deepEqual[config.VRRPInstance])
	r.added = inst.added
	r.ownUnchanged = ownUnchanged(old, cfg)
	if vrrpEqual(old, cfg) {
		r.unchanged = true
		return r
	}
	if plan, ok := planVRRP(old, cfg); ok {
		r.instances = plan
		return r
	}
	r.whole = true
	switch {
	case !reflect.DeepEqual(vrrpGlobal(o.Global), vrrpGlobal(n.Global)):
		r.reason = "global keys"
	case r.trackers:
		r.reason = "trackers"
	case !r.groups.empty():
		r.reason = "sync groups"
	case len(inst.added) > 0:
		r.reason = "instance added"
	default:
		r.reason = "instance in a sync group or with changed tracking removed or changed"
	}
	return r
}

// log records the plan's decisions (one line; the parts log what they do).
func (p reloadPlan) log(l *slog.Logger) {
	l.Info("reload: plan",
		"vrrp_unchanged", p.vrrp.unchanged, "vrrp_whole", p.vrrp.whole, "vrrp_reason", p.vrrp.reason,
		"vrrp_restarted", p.vrrp.instances.changed, "vrrp_removed", p.vrrp.instances.removed,
		"servers_changed", p.servers.changed, "servers_added", p.servers.added, "servers_removed", p.servers.removed,
		"checkers_changed", p.checkers.changed, "checkers_added", p.checkers.added, "checkers_removed", p.checkers.removed)
}

// ownUnchanged returns, in cfg's order, the instances of cfg whose
// vrrp_instance block is the same in old and whose effective settings
// (instanceConfig) are the same under old's and cfg's global keys.
func ownUnchanged(old, cfg *config.Config) []string {
	oldIn := map[string]*config.VRRPInstance{}
	for k := range old.Instances {
		oldIn[old.Instances[k].Name] = &old.Instances[k]
	}
	var out []string
	for k := range cfg.Instances {
		n := &cfg.Instances[k]
		o, ok := oldIn[n.Name]
		if !ok || !reflect.DeepEqual(o, n) {
			continue
		}
		oc, err1 := instanceConfig(&old.Global, o)
		nc, err2 := instanceConfig(&cfg.Global, n)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(oc, nc) {
			continue
		}
		out = append(out, n.Name)
	}
	return out
}
