package ipvs

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiffSortedAgreesWithMaps: the merge of sorted destination lists
// gives exactly the operations, in the same order, of the map-based diff,
// on random lists (adds, deletes, changed weights, forwarding, tunnel
// fields that normalize away).
func TestDiffSortedAgreesWithMaps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	svc := Service{ServiceKey: svcKey("10.0.0.1", 80), Scheduler: "wrr"}
	random := func() []Destination {
		var ds []Destination
		for i := range 12 {
			if r.IntN(2) == 0 {
				continue
			}
			d := Destination{DestKey: DestKey{Addr: netip.AddrFrom4([4]byte{10, 2, 0, byte(i / 3)}), Port: uint16(8080 + i%3)},
				Weight: uint32(r.IntN(3)), Forward: Forward(r.IntN(3))}
			if r.IntN(4) == 0 {
				d.TunnelPort = 6080 // dropped by normalized unless TUN + GUE
			}
			ds = append(ds, d)
		}
		return ds
	}
	for n := range 2000 {
		want, have := random(), random()
		if !strictlySorted(want) || !strictlySorted(have) {
			t.Fatalf("generator: unsorted list")
		}
		got := appendSortedDestDiff(nil, svc, want, have)
		ref := appendDestDiffMaps(nil, VirtualService{Service: svc, Destinations: want}, have)
		if diff := cmp.Diff(opStrings(ref), opStrings(got)); diff != "" {
			t.Fatalf("case %d: want %v have %v (-maps +merge):\n%s", n, want, have, diff)
		}
		if !slices.Equal(ref, got) {
			t.Fatalf("case %d: the operations differ beyond their strings:\n%v\n%v", n, ref, got)
		}
	}
	// Unsorted or duplicated lists take the map path.
	d1, d2 := dest("10.2.0.1", 80, 1), dest("10.2.0.2", 80, 1)
	if strictlySorted([]Destination{d2, d1}) || strictlySorted([]Destination{d1, d1}) || !strictlySorted([]Destination{d1, d2}) {
		t.Error("strictlySorted")
	}
}

// BenchmarkDiff1000x10: the diff of a 1,000 x 10 table from empty (the
// start) and against itself (an unchanged reload or health update).
func BenchmarkDiff1000x10(b *testing.B) {
	want := Table{}
	for i := range 1000 {
		k := ServiceKey{Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}), Port: 80}
		vs := VirtualService{Service: Service{ServiceKey: k, Scheduler: "wrr"}}
		for j := range 10 {
			vs.Destinations = append(vs.Destinations, Destination{DestKey: DestKey{Addr: netip.AddrFrom4([4]byte{10, 2, byte(j), byte(i%250 + 1)}), Port: 8080}, Weight: 1, Forward: NAT})
		}
		want.Add(vs)
	}
	owned := map[ServiceKey]bool{}
	for k := range want {
		owned[k] = true
	}
	b.Run("empty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ops := Diff(want, Table{}, nil); len(ops) != 11000 {
				b.Fatal(len(ops))
			}
		}
	})
	b.Run("same", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ops := Diff(want, want, owned); len(ops) != 0 {
				b.Fatal(len(ops))
			}
		}
	})
}
