package config

import (
	"fmt"
	"net/netip"
	"time"
)

// This file decodes [[bfd_instance]] (keepalived's bfd_instance: one
// single-hop BFD session, RFC 5880/5881, run by healthcheck/bfd), the
// track_bfd references of vrrp_instance and vrrp_sync_group, and
// real_server's bfd_check.

// BFD defaults and limits (keepalived 2.2.7's bfd.h).
const (
	DefaultBFDMinRx      = 10 * time.Millisecond
	DefaultBFDMinTx      = 10 * time.Millisecond
	DefaultBFDIdleTx     = time.Second
	DefaultBFDMultiplier = 5
	// DefaultBFDTTL is sent for both families. keepalived sends IPv6 with
	// hop limit 64; RFC 5881 5 and FRR's bfdd want 255.
	DefaultBFDTTL  = 255
	maxBFDInterval = (1<<32 - 1) / 1000 * time.Millisecond // UINT32_MAX us, ms resolution
	maxBFDNameLen  = 31
)

// BFDInstance is a [[bfd_instance]].
type BFDInstance struct {
	Name       string
	NeighborIP netip.Addr    // neighbor_ip (or neighbour_ip), required
	SourceIP   netip.Addr    // source_ip; invalid: the kernel chooses
	MinRx      time.Duration // min_rx 1ms..4294967ms, default 10ms
	MinTx      time.Duration // min_tx 1ms..4294967ms, default 10ms
	IdleTx     time.Duration // idle_tx 1s..4294967ms, default 1s
	Multiplier int           // multiplier 1..255, default 5
	Passive    bool          // passive
	TTL        int           // ttl (or hoplimit) 1..255, default 255
	// MaxHops: max_hops -1..255, default 0: a received packet's TTL must
	// be at least TTL-MaxHops; -1 does not check it.
	MaxHops       int
	Weight        int  // weight -253..253, default 0: of track_bfd that sets none
	WeightReverse bool // weight "N reverse"
}

// BFDCheck is a bfd_check checker: the real server is up while the named
// [[bfd_instance]]'s session is Up (keepalived's BFD_CHECK).
type BFDCheck struct {
	Name string // name: a [[bfd_instance]] (required)
}

func (d *decoder) decodeBFD(n *node) BFDInstance {
	b := BFDInstance{MinRx: DefaultBFDMinRx, MinTx: DefaultBFDMinTx, IdleTx: DefaultBFDIdleTx,
		Multiplier: DefaultBFDMultiplier, TTL: DefaultBFDTTL}
	n.name(&b.Name)
	if len(b.Name) > maxBFDNameLen {
		d.errorf(n.keyPath("name"), "%q is longer than %d characters (keepalived's limit)", b.Name, maxBFDNameLen)
	}
	switch {
	case n.has("neighbor_ip") && n.has("neighbour_ip"):
		n.addr("neighbor_ip", &b.NeighborIP)
		n.get("neighbour_ip")
		d.errorf(n.keyPath("neighbour_ip"), "neighbor_ip is already set (give one of neighbor_ip and neighbour_ip)")
	case n.has("neighbour_ip"):
		n.addr("neighbour_ip", &b.NeighborIP)
	default:
		if !n.addr("neighbor_ip", &b.NeighborIP) && !n.has("neighbor_ip") {
			d.errorf(n.path(), "missing key neighbor_ip")
		}
	}
	n.addr("source_ip", &b.SourceIP)
	n.duration("min_rx", &b.MinRx, time.Millisecond, maxBFDInterval)
	n.duration("min_tx", &b.MinTx, time.Millisecond, maxBFDInterval)
	n.duration("idle_tx", &b.IdleTx, time.Second, maxBFDInterval)
	n.integer("multiplier", &b.Multiplier, 1, 255)
	n.boolean("passive", &b.Passive)
	switch {
	case n.has("ttl") && n.has("hoplimit"):
		n.integer("ttl", &b.TTL, 1, 255)
		n.get("hoplimit")
		d.errorf(n.keyPath("hoplimit"), "ttl is already set (give one of ttl and hoplimit)")
	case n.has("hoplimit"):
		n.integer("hoplimit", &b.TTL, 1, 255)
	default:
		n.integer("ttl", &b.TTL, 1, 255)
	}
	n.integer("max_hops", &b.MaxHops, -1, 255)
	n.weight(&b.Weight, &b.WeightReverse, -253, 253)
	n.finish()
	return b
}

// validateBFD checks the bfd instances (addresses, unique
// neighbor/source pairs) and resolves track_bfd and bfd_check names.
func (d *decoder) validateBFD(c *Config) {
	known := d.names("bfd_instance", len(c.BFDInstances), func(i int) string { return c.BFDInstances[i].Name })
	type pair struct{ nbr, src netip.Addr }
	seen := map[pair]string{}
	for i := range c.BFDInstances {
		b := &c.BFDInstances[i]
		base := fmt.Sprintf("bfd_instance[%d]", i)
		if !b.NeighborIP.IsValid() {
			continue
		}
		if b.SourceIP.IsValid() && b.SourceIP.Is4() != b.NeighborIP.Is4() {
			d.errorf(base+".source_ip", "%s and the neighbor %s are not of the same family", b.SourceIP, b.NeighborIP)
		}
		if b.MaxHops > b.TTL {
			d.errorf(base+".max_hops", "%d exceeds ttl %d", b.MaxHops, b.TTL)
		}
		p := pair{b.NeighborIP, b.SourceIP}
		if other, ok := seen[p]; ok {
			d.errorf(base+".name", "neighbor %s with source %s is already bfd_instance %q's", b.NeighborIP, srcOrAny(b.SourceIP), other)
		} else {
			seen[p] = b.Name
		}
	}
	refs := func(base string, rs []TrackRef) {
		for j, r := range rs {
			if _, ok := known[r.Name]; !ok && r.Name != "" {
				d.errorf(fmt.Sprintf("%s.track_bfd[%d]", base, j), "bfd_instance %q not defined (no [[bfd_instance]] with this name)", r.Name)
			}
		}
	}
	for i, g := range c.SyncGroups {
		refs(fmt.Sprintf("vrrp_sync_group[%d]", i), g.TrackBFDs)
	}
	for i, in := range c.Instances {
		refs(fmt.Sprintf("vrrp_instance[%d]", i), in.TrackBFDs)
	}
	if c.BGP != nil {
		for i, nb := range c.BGP.Neighbors {
			if _, ok := known[nb.BFD]; !ok && nb.BFD != "" {
				d.errorf(fmt.Sprintf("bgp.neighbor[%d].bfd", i), "bfd_instance %q not defined (no [[bfd_instance]] with this name)", nb.BFD)
			}
		}
	}
	for i, vs := range c.VirtualServers {
		for j, rs := range vs.RealServers {
			dup := map[string]bool{}
			for k, bc := range rs.Checks().BFDCheck {
				p := fmt.Sprintf("virtual_server[%d].real_server[%d].bfd_check[%d].name", i, j, k)
				if _, ok := known[bc.Name]; !ok && bc.Name != "" {
					d.errorf(p, "bfd_instance %q not defined (no [[bfd_instance]] with this name)", bc.Name)
				} else if dup[bc.Name] {
					d.errorf(p, "the real server already checks bfd_instance %q", bc.Name)
				}
				dup[bc.Name] = true
			}
		}
	}
}

func srcOrAny(a netip.Addr) string {
	if !a.IsValid() {
		return "any"
	}
	return a.String()
}

func (d *decoder) decodeBFDChecks(n *node, rs *RealServer) {
	for _, t := range n.tables("bfd_check") {
		var c BFDCheck
		if !t.nonEmpty("name", &c.Name) && !t.has("name") {
			d.errorf(t.path(), "missing key name")
		}
		t.finish()
		cs := rs.addCheckers()
		cs.BFDCheck = append(cs.BFDCheck, c)
	}
}

func bfdDur(d time.Duration) string { return quote(d.String()) }

func (w *tomlWriter) bfdInstance(b *BFDInstance) {
	w.arrayTable("bfd_instance")
	w.str("name", b.Name)
	w.addr("neighbor_ip", b.NeighborIP)
	w.addrOpt("source_ip", b.SourceIP)
	w.raw("min_rx", bfdDur(b.MinRx))
	w.raw("min_tx", bfdDur(b.MinTx))
	w.raw("idle_tx", bfdDur(b.IdleTx))
	w.int("multiplier", b.Multiplier)
	w.boolean("passive", b.Passive)
	w.int("ttl", b.TTL)
	w.int("max_hops", b.MaxHops)
	w.int("weight", b.Weight)
	w.boolean("reverse", b.WeightReverse)
}
