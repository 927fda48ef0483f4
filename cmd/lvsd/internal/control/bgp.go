package control

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// BGP is the BGP speaker's state ([bgp]): sessions and prefixes.
type BGP struct {
	ASN       uint32        `json:"asn"`
	RouterID  string        `json:"router_id"`
	Neighbors []BGPNeighbor `json:"neighbors"`
	Prefixes  []BGPPrefix   `json:"prefixes"`
	// Announcements and Withdrawals count paths sent and withdrawn since start.
	Announcements uint64 `json:"announcements"`
	Withdrawals   uint64 `json:"withdrawals"`
}

// BGPNeighbor is one BGP session.
type BGPNeighbor struct {
	Address     string    `json:"address"`
	PeerASN     uint32    `json:"peer_asn"`
	State       string    `json:"state"` // idle, connect, active, opensent, openconfirm, established
	Since       time.Time `json:"since"`
	LastError   string    `json:"last_error,omitempty"`
	Transitions uint64    `json:"transitions"`
	Flaps       uint64    `json:"flaps"` // falls from established
}

// BGPPrefix is one [[bgp.announce]] prefix.
type BGPPrefix struct {
	Prefix    string    `json:"prefix"`
	Announced bool      `json:"announced"`
	Reason    string    `json:"reason"` // pending, serving, static, quorum-lost, not-master, stopping
	Detail    string    `json:"detail,omitempty"`
	Since     time.Time `json:"since"`
}

// renderBGP writes the BGP part of Render.
func renderBGP(w io.Writer, b *BGP, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nBGP: AS %d, router id %s, %d announcements, %d withdrawals\n", b.ASN, b.RouterID, b.Announcements, b.Withdrawals)
	fmt.Fprintln(tw, "Neighbor\tAS\tState\tSince\tFlaps\tLast error")
	for _, n := range b.Neighbors {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\n", n.Address, n.PeerASN, n.State, since(now, n.Since), n.Flaps, dash(n.LastError))
	}
	fmt.Fprintln(tw, "Prefix\tAnnounced\tReason\tSince\tDetail")
	for _, p := range b.Prefixes {
		yes := "no"
		if p.Announced {
			yes = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Prefix, yes, p.Reason, since(now, p.Since), dash(p.Detail))
	}
	tw.Flush()
}
