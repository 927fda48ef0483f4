package metrics

import (
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
)

type collectorFunc func(chan<- prometheus.Metric)

func (f collectorFunc) Describe(chan<- *prometheus.Desc)    {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }

func TestCARPMetrics(t *testing.T) {
	s := &control.Status{CARPInstances: []control.CARPInstance{{Name: "web", State: "MASTER", Sent: 7, Received: 2,
		Drops: map[string]uint64{"bad_auth": 3}}}}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(collectorFunc(func(ch chan<- prometheus.Metric) { collectCARP(ch, s) })); err != nil {
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
		"lvsd_carp_state,instance=web,state=MASTER":            1,
		"lvsd_carp_state,instance=web,state=BACKUP":            0,
		"lvsd_carp_adverts_sent_total,instance=web":            7,
		"lvsd_carp_adverts_received_total,instance=web":        2,
		"lvsd_carp_dropped_total,instance=web,reason=bad_auth": 3,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
