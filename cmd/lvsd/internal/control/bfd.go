package control

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// BFDSession is one bfd_instance's session.
type BFDSession struct {
	Name         string  `json:"name"`
	Neighbor     string  `json:"neighbor"`
	State        string  `json:"state"` // AdminDown, Down, Init, Up
	RemoteState  string  `json:"remote_state"`
	Diag         string  `json:"diag"` // why it last went down
	LocalDiscr   uint32  `json:"local_discriminator"`
	RemoteDiscr  uint32  `json:"remote_discriminator"`
	TxIntervalMS float64 `json:"tx_interval_ms"`
	DetectMS     float64 `json:"detect_time_ms"`
	Sent         uint64  `json:"packets_sent"`
	Received     uint64  `json:"packets_received"`
	Changes      uint64  `json:"state_changes"`
}

// renderBFD writes the BFD sessions and the dropped packets, if any.
func renderBFD(w io.Writer, s *Status) {
	if len(s.BFDSessions) == 0 {
		return
	}
	fmt.Fprintln(w, "BFD session\tNeighbor\tState\tRemote\tDiag\tTx\tDetect\tSent/Received\tChanges")
	for _, b := range s.BFDSessions {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%gms\t%gms\t%d/%d\t%d\n", b.Name, b.Neighbor, b.State, b.RemoteState, b.Diag,
			b.TxIntervalMS, b.DetectMS, b.Sent, b.Received, b.Changes)
	}
	if len(s.BFDDrops) > 0 {
		var ds []string
		for r, n := range s.BFDDrops {
			ds = append(ds, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(ds)
		fmt.Fprintf(w, "  BFD packets dropped: %s\n", strings.Join(ds, ", "))
	}
}
