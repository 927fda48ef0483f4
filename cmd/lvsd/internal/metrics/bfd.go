package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
)

// BFD (bfd_instance) metrics.
var (
	bfdStates = []string{"AdminDown", "Down", "Init", "Up"}
	bfdState  = prometheus.NewDesc("lvsd_bfd_session_state", "1 for the state the BFD session is in, 0 for the others.",
		[]string{"session", "state"}, nil)
	bfdSent = prometheus.NewDesc("lvsd_bfd_packets_sent_total", "BFD control packets sent.", []string{"session"}, nil)
	bfdRecv = prometheus.NewDesc("lvsd_bfd_packets_received_total", "BFD control packets received and accepted.",
		[]string{"session"}, nil)
	bfdChanges = prometheus.NewDesc("lvsd_bfd_state_changes_total", "BFD session state changes.", []string{"session"}, nil)
	bfdDetect  = prometheus.NewDesc("lvsd_bfd_detect_time_seconds", "BFD detection time in force (0 before the peer is heard).",
		[]string{"session"}, nil)
	bfdDrops = prometheus.NewDesc("lvsd_bfd_dropped_total", "BFD packets dropped, by reason.", []string{"reason"}, nil)
)

func collectBFD(ch chan<- prometheus.Metric, s *control.Status) {
	for _, b := range s.BFDSessions {
		for _, st := range bfdStates {
			ch <- prometheus.MustNewConstMetric(bfdState, prometheus.GaugeValue, b2f(b.State == st), b.Name, st)
		}
		ch <- prometheus.MustNewConstMetric(bfdSent, prometheus.CounterValue, float64(b.Sent), b.Name)
		ch <- prometheus.MustNewConstMetric(bfdRecv, prometheus.CounterValue, float64(b.Received), b.Name)
		ch <- prometheus.MustNewConstMetric(bfdChanges, prometheus.CounterValue, float64(b.Changes), b.Name)
		ch <- prometheus.MustNewConstMetric(bfdDetect, prometheus.GaugeValue, b.DetectMS/1000, b.Name)
	}
	for reason, n := range s.BFDDrops {
		ch <- prometheus.MustNewConstMetric(bfdDrops, prometheus.CounterValue, float64(n), reason)
	}
}
