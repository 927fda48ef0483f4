package metrics

import (
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

func TestSNMPMetrics(t *testing.T) {
	s := &control.Status{SNMP: &control.SNMP{Connected: true, Sessions: 2, Requests: 9, TrapsSent: 4,
		TrapsDropped: map[string]uint64{"not_connected": 3, "hook_queue_full": 0}}}
	b := newBatch()
	collectSNMP(b, s)
	got := sampleValues(b)
	for k, v := range map[string]float64{
		"lvsd_snmp_connected":                                  1,
		"lvsd_snmp_sessions_total":                             2,
		"lvsd_snmp_requests_total":                             9,
		"lvsd_snmp_traps_sent_total":                           4,
		"lvsd_snmp_traps_dropped_total,reason=not_connected":   3,
		"lvsd_snmp_traps_dropped_total,reason=hook_queue_full": 0,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, g, v, got)
		}
	}
}
