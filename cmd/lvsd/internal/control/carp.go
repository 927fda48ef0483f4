package control

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// CARPInstance is one carp_instance (ucarp's CARP).
type CARPInstance struct {
	Name           string            `json:"name"`
	Interface      string            `json:"interface"`
	VHID           int               `json:"vhid"`
	Addr           string            `json:"addr"`
	State          string            `json:"state"`
	AdvBase        int               `json:"advbase"`
	AdvSkew        int               `json:"advskew"`
	LastTransition time.Time         `json:"last_transition"`
	Sent           uint64            `json:"adverts_sent"`
	Received       uint64            `json:"adverts_received"`
	Drops          map[string]uint64 `json:"drops,omitempty"` // by reason, non-zero only
}

// renderCARP writes the CARP instances, if any, after the VRRP ones.
func renderCARP(w io.Writer, s *Status, now time.Time) {
	if len(s.CARPInstances) == 0 {
		return
	}
	fmt.Fprintln(w, "CARP instance\tInterface\tVHID\tState\tadvbase/advskew\tAddress\tLast transition")
	for _, c := range s.CARPInstances {
		last := "-"
		if !c.LastTransition.IsZero() {
			last = since(now, c.LastTransition) + " ago"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d/%d\t%s\t%s\n", c.Name, c.Interface, c.VHID, c.State, c.AdvBase, c.AdvSkew, c.Addr, last)
		if len(c.Drops) > 0 {
			var ds []string
			for r, n := range c.Drops {
				ds = append(ds, fmt.Sprintf("%s %d", r, n))
			}
			sort.Strings(ds)
			fmt.Fprintf(w, "  dropped: %s\n", strings.Join(ds, ", "))
		}
	}
}
