package daemon

import (
	"testing"
	"time"
)

// TestAHResumeSeq: a resumed AH master starts above every number its
// predecessor can have sent since the record: the recorded counter, one
// per advert interval since the record was written, and a margin.
func TestAHResumeSeq(t *testing.T) {
	w := time.Unix(1000, 0)
	s := stateFile{Written: w, Instances: map[string]instanceState{
		"ah": {State: "MASTER", AHSeq: 500}, "plain": {State: "MASTER"},
	}}
	for _, c := range []struct {
		name     string
		now      time.Time
		interval time.Duration
		want     uint32
	}{
		{"ah", w, time.Second, 564},
		{"ah", w.Add(80 * time.Second), time.Second, 500 + 80 + 10 + 64},
		{"ah", w.Add(8 * time.Second), 100 * time.Millisecond, 500 + 80 + 10 + 64},
		{"ah", w.Add(-time.Second), time.Second, 564}, // clock stepped back
		{"plain", w.Add(time.Hour), time.Second, 0},
		{"gone", w, time.Second, 0},
	} {
		if got := s.ahResumeSeq(c.name, c.now, c.interval); got != c.want {
			t.Errorf("%s at +%v, interval %v: %d, want %d", c.name, c.now.Sub(w), c.interval, got, c.want)
		}
	}
	s.Instances["ah"] = instanceState{AHSeq: 0xfffffff0}
	if got := s.ahResumeSeq("ah", w.Add(time.Hour), time.Second); got != 0xfffffffd {
		t.Errorf("near the end of the sequence: %#x, want 0xfffffffd", got)
	}
}
