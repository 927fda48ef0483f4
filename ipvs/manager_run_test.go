package ipvs

import (
	"context"
	"fmt"
	"hash/fnv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fpFake is a Fake that fingerprints its table, as the netlink client
// does from /proc/net/ip_vs.
type fpFake struct{ *Fake }

func (f fpFake) Fingerprint() (uint64, error) {
	h := fnv.New64a()
	t := f.Table()
	for _, k := range sortedTableKeys(t) {
		fmt.Fprintf(h, "%s %s\n", k, t[k].Scheduler)
		for _, d := range t[k].Destinations {
			fmt.Fprintf(h, " %s %v %d\n", d.DestKey, d.Forward, d.Weight)
		}
	}
	return h.Sum64(), nil
}

func (m *Manager) reconcileCounts() (full, cheap uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fullReads, m.cheapChecks
}

// Run reads the whole table only when the fingerprint moved (a change by
// hand is still undone at the next interval) and every fullEvery-th
// interval; otherwise, also after lvsd's own changes, an interval costs
// one fingerprint and no request.
func TestRunFingerprintSkipsUnchangedTable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := fpFake{NewFake()}
		m := NewManager(f, nil)
		a := svcKey("10.0.0.1", 80)
		desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 1)))
		if err := m.Apply(t.Context(), desired); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx, 30*time.Second) }()
		time.Sleep(time.Millisecond) // ticks fall between the steps
		tick := 0
		step := func(wantFull, wantCheap uint64) {
			t.Helper()
			f.ResetCalls()
			time.Sleep(30 * time.Second)
			synctest.Wait()
			tick++
			full, cheap := m.reconcileCounts()
			if full != wantFull || cheap != wantCheap {
				t.Fatalf("after tick %d: %d full reads, %d cheap checks; want %d, %d", tick, full, cheap, wantFull, wantCheap)
			}
		}
		step(0, 1) // the initial apply took the fingerprint of its result
		if calls := f.Calls(); len(calls) != 0 {
			t.Errorf("an unchanged interval made requests: %v", callStrings(calls))
		}
		step(0, 2)
		// by hand: ipvsadm -d
		if err := f.DeleteDestination(a, dest("10.1.0.2", 80, 1).DestKey); err != nil {
			t.Fatal(err)
		}
		step(1, 2) // the fingerprint moved: full read, restored
		if diff := cmp.Diff(desired[a].Destinations, f.Table()[a].Destinations, addrCmp); diff != "" {
			t.Errorf("not restored (-want +got):\n%s", diff)
		}
		for cheap := uint64(3); tick < fullEvery-1; cheap++ {
			step(1, cheap)
		}
		step(2, fullEvery-2) // every fullEvery-th interval: full whatever the fingerprint
		step(2, fullEvery-1)
		// a change of lvsd's own (a reload): no full read after it
		desired = table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 4)))
		if err := m.Apply(t.Context(), desired); err != nil {
			t.Fatal(err)
		}
		step(2, fullEvery)
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
	})
}
