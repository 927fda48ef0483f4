package track

import (
	"context"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
)

// track_bfd: weight 0 holds the instance in FAULT while the session is not
// Up; a weight moves the priority, a sync group's track_bfd applies to its
// members.
func TestSetBFD(t *testing.T) {
	cfg := &config.Config{
		BFDInstances: []config.BFDInstance{{Name: "b0"}, {Name: "bw", Weight: -50}},
		SyncGroups:   []config.SyncGroup{{Name: "G", Group: []string{"VI_3"}, TrackBFDs: []config.TrackRef{{Name: "b0"}}}},
		Instances: []config.VRRPInstance{
			{Name: "VI_1", Priority: 100, DontTrackPrimary: true, TrackBFDs: []config.TrackRef{{Name: "b0"}}},
			{Name: "VI_2", Priority: 100, DontTrackPrimary: true, TrackBFDs: []config.TrackRef{{Name: "bw"}, {Name: "b0", Weight: 10, WeightSet: true}}},
			{Name: "VI_3", Priority: 100, DontTrackPrimary: true},
		},
	}
	s, err := FromConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := map[string]*fakeTarget{"VI_1": {}, "VI_2": {}, "VI_3": {}}
	for n, f := range tg {
		s.Bind(n, f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	want := func(name string, prio int, fault bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			p, f := tg[name].now()
			if p == prio && f == fault {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: priority %d fault %v, want %d %v", name, p, f, prio, fault)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Both sessions start Down.
	want("VI_1", 100, true)
	want("VI_2", 50, false)
	want("VI_3", 100, true)
	s.BFD("b0").SetUp(true, "")
	want("VI_1", 100, false)
	want("VI_2", 60, false)
	want("VI_3", 100, false)
	s.BFD("bw").SetUp(true, "")
	want("VI_2", 110, false)
	s.BFD("b0").SetUp(false, "Down expired")
	want("VI_1", 100, true)
	want("VI_2", 100, false)
	want("VI_3", 100, true)
	if s.BFD("nope") != nil {
		t.Fatal("unknown bfd")
	}
}
