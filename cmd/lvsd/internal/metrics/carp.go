package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
)

// CARP (carp_instance) metrics.
var (
	carpStates = []string{"INIT", "BACKUP", "MASTER"}
	carpState  = prometheus.NewDesc("lvsd_carp_state", "1 for the state the CARP instance is in, 0 for the others.",
		[]string{"instance", "state"}, nil)
	carpSent = prometheus.NewDesc("lvsd_carp_adverts_sent_total", "CARP advertisements sent.", []string{"instance"}, nil)
	carpRecv = prometheus.NewDesc("lvsd_carp_adverts_received_total", "CARP advertisements received and accepted.",
		[]string{"instance"}, nil)
	carpDrops = prometheus.NewDesc("lvsd_carp_dropped_total", "CARP frames dropped, by reason.",
		[]string{"instance", "reason"}, nil)
)

func collectCARP(ch chan<- prometheus.Metric, s *control.Status) {
	for _, c := range s.CARPInstances {
		for _, st := range carpStates {
			ch <- prometheus.MustNewConstMetric(carpState, prometheus.GaugeValue, b2f(c.State == st), c.Name, st)
		}
		ch <- prometheus.MustNewConstMetric(carpSent, prometheus.CounterValue, float64(c.Sent), c.Name)
		ch <- prometheus.MustNewConstMetric(carpRecv, prometheus.CounterValue, float64(c.Received), c.Name)
		for reason, n := range c.Drops {
			ch <- prometheus.MustNewConstMetric(carpDrops, prometheus.CounterValue, float64(n), c.Name, reason)
		}
	}
}
