package metrics

import (
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
)

func TestSNMPMetrics(t *testing.T) {
	s := &control.Status{SNMP: &control.SNMP{Connected: true, Sessions: 2, Requests: 9, TrapsSent: 4,
		TrapsDropped: map[string]uint64{"not_connected": 3, "hook_queue_full": 0}}}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(collectorFunc(func(ch chan<- prometheus.Metric) { collectSNMP(ch, s) })); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			k := mf.GetName()
			for _, l := range m.GetLabel() {
				k += "," + l.GetName() + "=" + l.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				got[k] = c.GetValue()
			} else {
				got[k] = m.GetGauge().GetValue()
			}
		}
	}
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
