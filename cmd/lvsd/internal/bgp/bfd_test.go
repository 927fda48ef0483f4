package bgp

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// SetNeighborDown: BFD Down tears the neighbor down, Up sets it up again;
// a reload while it is down leaves it out of the speaker.
func TestAnnouncerNeighborBFD(t *testing.T) {
	ctx := context.Background()
	f := &fakeSpeaker{}
	a := NewAnnouncer(f, quiet())
	step := func(name string, want []string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, f.take()); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", name, diff)
		}
	}
	step("start", []string{"start 65001 10.0.0.11", "add-neighbor 10.0.0.1 65000"}, func() error { return a.Start(ctx, base) })
	step("bfd down", []string{"delete-neighbor 10.0.0.1"}, func() error { return a.SetNeighborDown(ctx, r1, true) })
	step("bfd down again", nil, func() error { return a.SetNeighborDown(ctx, r1, true) })
	step("unknown neighbor", nil, func() error { return a.SetNeighborDown(ctx, r2, true) })
	changed := base
	changed.Neighbors = []Neighbor{{Address: r1, PeerASN: 65002}}
	step("reload while down", nil, func() error { return a.Reload(ctx, changed) })
	step("bfd up", []string{"add-neighbor 10.0.0.1 65002"}, func() error { return a.SetNeighborDown(ctx, r1, false) })
	step("bfd up again", nil, func() error { return a.SetNeighborDown(ctx, r1, false) })
}
