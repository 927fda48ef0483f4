package metrics

import (
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// sampleValues maps "name,label=value,..." (labels by name) to the value.
func sampleValues(b *batch) map[string]float64 {
	got := map[string]float64{}
	for f, ss := range b.samples {
		for _, smp := range ss {
			k := f.name
			for i, j := range f.order {
				k += "," + f.labels[j] + "=" + smp.values[i]
			}
			got[k] = smp.v
		}
	}
	return got
}

func TestCARPMetrics(t *testing.T) {
	s := &control.Status{CARPInstances: []control.CARPInstance{{Name: "web", State: "MASTER", Sent: 7, Received: 2,
		Drops: map[string]uint64{"bad_auth": 3}}}}
	b := newBatch()
	collectCARP(b, s)
	got := sampleValues(b)
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
