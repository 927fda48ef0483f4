package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// BFD (bfd_instance) metrics.
var (
	bfdStates  = []string{"AdminDown", "Down", "Init", "Up"}
	bfdState   = newGauge("lvsd_bfd_session_state", "1 for the state the BFD session is in, 0 for the others.", "session", "state")
	bfdSent    = newCounter("lvsd_bfd_packets_sent_total", "BFD control packets sent.", "session")
	bfdRecv    = newCounter("lvsd_bfd_packets_received_total", "BFD control packets received and accepted.", "session")
	bfdChanges = newCounter("lvsd_bfd_state_changes_total", "BFD session state changes.", "session")
	bfdDetect  = newGauge("lvsd_bfd_detect_time_seconds", "BFD detection time in force (0 before the peer is heard).", "session")
	bfdDrops   = newCounter("lvsd_bfd_dropped_total", "BFD packets dropped, by reason.", "reason")
)

func collectBFD(out *batch, s *control.Status) {
	for _, b := range s.BFDSessions {
		for _, st := range bfdStates {
			out.set(bfdState, b2f(b.State == st), b.Name, st)
		}
		out.set(bfdSent, float64(b.Sent), b.Name)
		out.set(bfdRecv, float64(b.Received), b.Name)
		out.set(bfdChanges, float64(b.Changes), b.Name)
		out.set(bfdDetect, b.DetectMS/1000, b.Name)
	}
	for reason, n := range s.BFDDrops {
		out.set(bfdDrops, float64(n), reason)
	}
}
