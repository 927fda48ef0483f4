package config

import (
	"math"
	"strings"
)

// Defaults of the nftables table of accept-off drop rules (vrrp/vipfw).
const (
	// DefaultNFTables is lvsd's table name (keepalived's is "keepalived").
	DefaultNFTables = "lvsd"
	// DefaultNFTablesPriority is the chains' priority: keepalived's -1,
	// just before the filter tables.
	DefaultNFTablesPriority = -1
	// maxNFTName is nftables' NFT_NAME_MAXLEN less the terminating NUL.
	maxNFTName = 255
)

// decodeNFTables reads global.nftables, nftables_priority and
// nftables_counters: keepalived's names for the table lvsd drops traffic
// to non-owned VIPs in (vrrp_strict / accept = false).
func (d *decoder) decodeNFTables(n *node, g *Global) {
	if n.nonEmpty("nftables", &g.NFTables) {
		switch {
		case len(g.NFTables) > maxNFTName:
			d.errorf(n.keyPath("nftables"), "table name of %d bytes, at most %d allowed", len(g.NFTables), maxNFTName)
		case strings.ContainsAny(g.NFTables, " \t\n\"'"):
			d.errorf(n.keyPath("nftables"), "table name %q contains a space or quote", g.NFTables)
		}
	}
	n.integer("nftables_priority", &g.NFTablesPriority, math.MinInt32, math.MaxInt32)
	n.boolean("nftables_counters", &g.NFTablesCounters)
	if n.nonEmpty("net_namespace", &g.NetNamespace) {
		if strings.ContainsAny(g.NetNamespace, "/\x00") || g.NetNamespace == "." || g.NetNamespace == ".." || len(g.NetNamespace) > maxNFTName {
			d.errorf(n.keyPath("net_namespace"), "%q is not a namespace name (a file name in /run/netns)", g.NetNamespace)
		}
	}
}
