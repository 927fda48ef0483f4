package ipvs

import (
	"math/rand"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// applyOpClone is applyOp's destination side as it was (Clone, then
// Delete or Insert): the reference TestApplyOpExactSlices compares with.
func applyOpClone(t Table, op Op) {
	k := op.Service.ServiceKey
	vs, ok := t[k]
	if !ok {
		return
	}
	ds := slices.Clone(vs.Destinations)
	i, found := slices.BinarySearchFunc(ds, op.Dest.DestKey, func(e Destination, k DestKey) int { return e.DestKey.Compare(k) })
	switch {
	case op.Kind == OpDeleteDestination && found:
		ds = slices.Delete(ds, i, i+1)
	case op.Kind != OpDeleteDestination && found:
		ds[i] = op.Dest.normalized()
	case op.Kind != OpDeleteDestination:
		ds = slices.Insert(ds, i, op.Dest.normalized())
	}
	vs.Destinations = ds
	t[k] = vs
}

// TestApplyOpExactSlices: random destination operations give the same
// table as the Clone-then-Insert model did, every slice exactly as long as
// its destinations (the cache keeps them for the daemon's life), and the
// slices a caller held are never changed (copy on write).
func TestApplyOpExactSlices(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	k := ServiceKey{Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	svc := Service{ServiceKey: k, Scheduler: "wrr"}
	got, want := Table{}, Table{}
	applyOp(got, Op{Kind: OpAddService, Service: svc})
	applyOp(want, Op{Kind: OpAddService, Service: svc})
	kinds := []OpKind{OpAddDestination, OpAddDestination, OpUpdateDestination, OpDeleteDestination}
	for n := range 2000 {
		d := Destination{DestKey: DestKey{Addr: netip.AddrFrom4([4]byte{10, 1, 0, byte(rng.Intn(24))}), Port: 8080}, Weight: uint32(rng.Intn(5)), Forward: NAT}
		op := Op{Kind: kinds[rng.Intn(len(kinds))], Service: svc, Dest: d}
		held := got[k].Destinations
		snapshot := slices.Clone(held)
		applyOp(got, op)
		applyOpClone(want, op)
		if diff := cmp.Diff(want, got, addrCmp); diff != "" {
			t.Fatalf("op %d %v: (-Clone model +applyOp):\n%s", n, op.Kind, diff)
		}
		if ds := got[k].Destinations; cap(ds) != len(ds) {
			t.Fatalf("op %d %v: cap %d for %d destinations", n, op.Kind, cap(ds), len(ds))
		}
		if !slices.Equal(held, snapshot) {
			t.Fatalf("op %d %v changed a slice held before it", n, op.Kind)
		}
	}
}
