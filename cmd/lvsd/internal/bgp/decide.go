package bgp

import (
	"net/netip"
	"strings"

	"github.com/lvsd/lvsd/ipvs"
)

// Reason says why a prefix is announced or withdrawn.
type Reason string

// The reasons of a Decision (and of Announcer's withdrawals).
const (
	// ReasonServing: announced, its virtual servers hold their quorum.
	ReasonServing Reason = "serving"
	// ReasonStatic: announced, it stands for no virtual server.
	ReasonStatic Reason = "static"
	// ReasonQuorumLost: withdrawn, a virtual server (all of them with
	// require = "any") lost its quorum.
	ReasonQuorumLost Reason = "quorum-lost"
	// ReasonNotMaster: withdrawn, its only_when_master instance is not MASTER.
	ReasonNotMaster Reason = "not-master"
	// ReasonPending: not announced yet, no decision made since start.
	ReasonPending Reason = "pending"
	// ReasonStopping: withdrawn by lvsd's stop (after the graceful-shutdown
	// announcement).
	ReasonStopping Reason = "stopping"
)

// Reasons lists every Reason (metrics export one series per reason).
var Reasons = []Reason{ReasonPending, ReasonServing, ReasonStatic, ReasonQuorumLost, ReasonNotMaster, ReasonStopping}

// Announces reports whether r is a reason to announce.
func (r Reason) Announces() bool { return r == ReasonServing || r == ReasonStatic }

// Prefix is one announced prefix and what it depends on.
type Prefix struct {
	Prefix         netip.Prefix
	VirtualServers []string // names (config.VirtualServer.Name); none: static
	RequireAll     bool     // all of them must hold quorum (else: any)
	OnlyWhenMaster string   // a VRRP instance that must be MASTER; "" = none
}

// Decision is whether to announce one prefix, and why.
type Decision struct {
	Prefix   netip.Prefix
	Announce bool
	Reason   Reason
	Detail   string // human-readable: which virtual server or instance
}

// Decide computes the decision of every prefix. vss, health and prev are
// ipvs.Compute's inputs (the quorum rules are exactly the IPVS part's:
// alive weight, quorum, hysteresis, alpha); master reports whether a VRRP
// instance is MASTER (nil: none is). It returns the decisions in the order
// of prefixes and the new quorum state to pass as prev next time.
func Decide(prefixes []Prefix, vss []ipvs.VirtualServer, health map[ipvs.RealKey]ipvs.Health, master func(instance string) bool, prev ipvs.QuorumState) ([]Decision, ipvs.QuorumState) {
	_, quorum, _ := ipvs.Compute(vss, health, nil, prev)
	out := make([]Decision, 0, len(prefixes))
	for _, p := range prefixes {
		d := Decision{Prefix: p.Prefix}
		switch {
		case p.OnlyWhenMaster != "" && (master == nil || !master(p.OnlyWhenMaster)):
			d.Reason, d.Detail = ReasonNotMaster, "vrrp_instance "+p.OnlyWhenMaster+" is not MASTER"
		case len(p.VirtualServers) == 0:
			d.Announce, d.Reason = true, ReasonStatic
		default:
			var down []string
			for _, vs := range p.VirtualServers {
				if held, ok := quorum[vs]; ok && !held {
					down = append(down, vs)
				}
			}
			if len(down) == 0 || !p.RequireAll && len(down) < len(p.VirtualServers) {
				d.Announce, d.Reason = true, ReasonServing
				if len(down) > 0 {
					d.Detail = "without quorum: " + strings.Join(down, ", ")
				}
			} else {
				d.Reason, d.Detail = ReasonQuorumLost, "without quorum: "+strings.Join(down, ", ")
			}
		}
		out = append(out, d)
	}
	return out, quorum
}
