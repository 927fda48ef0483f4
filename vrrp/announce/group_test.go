package announce

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestPacingGroup: announcers on two interfaces of one pacing group
// (garp_group with interfaces) share one garp_interval; without a group
// each interface paces alone.
func TestPacingGroup(t *testing.T) {
	for _, grouped := range []bool{false, true} {
		t.Run(map[bool]string{false: "per interface", true: "grouped"}[grouped], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var sends []timedSend
				suffix := map[bool]string{false: "n", true: "g"}[grouped]
				a := fakeAnnouncer("grpa"+suffix, &mu, &sends)
				b := fakeAnnouncer("grpb"+suffix, &mu, &sends)
				for _, x := range []*Announcer{a, b} {
					x.SetIntervals(10*time.Millisecond, 0)
					if grouped {
						x.SetPacingGroup("g1")
					}
				}
				start := time.Now()
				if err := a.Announce([]netip.Addr{netip.MustParseAddr("10.0.0.1")}); err != nil {
					t.Fatal(err)
				}
				if err := b.Announce([]netip.Addr{netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.2")}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				mu.Lock()
				defer mu.Unlock()
				var at []time.Duration
				for _, s := range sends {
					at = append(at, s.at.Sub(start))
				}
				slices.Sort(at)
				want := []time.Duration{0, 0, 10 * time.Millisecond} // b's two ARPs are paced on b
				if grouped {
					want = []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond}
				}
				if !slices.Equal(at, want) {
					t.Errorf("ARPs at %v, want %v", at, want)
				}
			})
		})
	}
}
