package daemon

import (
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// reseedHealth brings the IPVS part's health results in line with a
// reload's new table before it is computed, so that the health part's
// updates that follow the reload (Scheduler.Set: "configured") are seen to
// change nothing (healthUpdate) instead of making the part compute and
// diff the whole table a second time: a reload that changes one weight
// costs one computation, as an unchanged one, and still one IPVS request.
//
//   - A real server whose health weight can only be its configured one (no
//     misc_check, whose misc_dynamic sets it, and no file_check, whose file
//     does) gets its new configured weight: healthcheck.Aggregate gives the
//     configured weight to every other real server, up or down.
//   - A new real server gets the health Compute assumes anyway (seedHealth).
//   - A real server no longer configured is forgotten: nothing reads it, and
//     reloads would otherwise pile them up.
//
// specs are ipvs.FromConfig(cfg), which keeps cfg's virtual servers and
// real servers in order (reloadLocked refuses a file it fails on). The
// caller holds p.mu.
func reseedHealth(health map[ipvs.RealKey]ipvs.Health, specs []ipvs.VirtualServer, cfg *config.Config) {
	n := 0
	for i, vs := range specs {
		n += len(vs.Reals)
		for j, rs := range vs.Reals {
			k := ipvs.RealKey{VirtualServer: vs.Name, Dest: rs.DestKey}
			h, ok := health[k]
			if !ok || h.Weight == nil || *h.Weight == rs.Weight {
				continue
			}
			if !weightConfigured(cfg, i, vs, j) {
				continue
			}
			w := rs.Weight
			health[k] = ipvs.Health{Up: h.Up, Weight: &w}
		}
	}
	seedHealth(health, specs)
	if len(health) == n { // every configured real server and nothing else
		return
	}
	configured := make(map[ipvs.RealKey]struct{}, n)
	for _, vs := range specs {
		for _, rs := range vs.Reals {
			configured[ipvs.RealKey{VirtualServer: vs.Name, Dest: rs.DestKey}] = struct{}{}
		}
	}
	for k := range health {
		if _, ok := configured[k]; !ok {
			delete(health, k)
		}
	}
}

// weightConfigured reports whether real server j of specs[i] (cfg's
// virtual server i) has its configured weight as its health weight: no
// misc_check or file_check sets it.
func weightConfigured(cfg *config.Config, i int, vs ipvs.VirtualServer, j int) bool {
	if i >= len(cfg.VirtualServers) || cfg.VirtualServers[i].Name() != vs.Name {
		return false
	}
	rss := cfg.VirtualServers[i].RealServers
	if len(rss) != len(vs.Reals) {
		return false
	}
	c := rss[j].Checks()
	return len(c.MiscCheck) == 0 && len(c.FileCheck) == 0
}
