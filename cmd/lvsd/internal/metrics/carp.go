package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// CARP (carp_instance) metrics.
var (
	carpStates = []string{"INIT", "BACKUP", "MASTER"}
	carpState  = newGauge("lvsd_carp_state", "1 for the state the CARP instance is in, 0 for the others.", "instance", "state")
	carpSent   = newCounter("lvsd_carp_adverts_sent_total", "CARP advertisements sent.", "instance")
	carpRecv   = newCounter("lvsd_carp_adverts_received_total", "CARP advertisements received and accepted.", "instance")
	carpDrops  = newCounter("lvsd_carp_dropped_total", "CARP frames dropped, by reason.", "instance", "reason")
)

func collectCARP(b *batch, s *control.Status) {
	for _, c := range s.CARPInstances {
		for _, st := range carpStates {
			b.set(carpState, b2f(c.State == st), c.Name, st)
		}
		b.set(carpSent, float64(c.Sent), c.Name)
		b.set(carpRecv, float64(c.Received), c.Name)
		for reason, n := range c.Drops {
			b.set(carpDrops, float64(n), c.Name, reason)
		}
	}
}
