package ipvs

import (
	"context"
	"net/netip"
	"testing"
)

// TestManagerSharesDestinations: once the kernel holds the desired table,
// the Manager's model of it shares the desired destination lists (one copy
// kept, not two), also after an equal table comes again (a reload), and a
// later change still reaches the kernel as one request.
func TestManagerSharesDestinations(t *testing.T) {
	f := NewFake()
	m := NewManager(f, nil)
	mk := func(w uint32) Table {
		tab := Table{}
		for i := range 3 {
			k := ServiceKey{Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), Port: 80}
			vs := VirtualService{Service: Service{ServiceKey: k, Scheduler: "wrr"}}
			for j := range 4 {
				vs.Destinations = append(vs.Destinations, Destination{DestKey: DestKey{Addr: netip.AddrFrom4([4]byte{10, 1, byte(i), byte(j + 1)}), Port: 8080}, Forward: NAT, Weight: w})
			}
			tab[k] = vs
		}
		return tab
	}
	shared := func(desired Table) int {
		n := 0
		for k, vs := range m.known {
			if d := desired[k].Destinations; len(d) > 0 && &d[0] == &vs.Destinations[0] {
				n++
			}
		}
		return n
	}
	for round, w := range []uint32{1, 1, 2} {
		desired := mk(w)
		f.ResetCalls()
		if err := m.Apply(context.Background(), desired); err != nil {
			t.Fatal(err)
		}
		if n := shared(desired); n != 3 {
			t.Errorf("round %d: %d of 3 services share the desired destinations", round, n)
		}
		want := map[int]int{0: -1, 1: 0, 2: 12}[round] // the whole table, nothing, 12 weights
		if calls := f.Calls(); want >= 0 && len(calls) != want {
			t.Errorf("round %d: %d requests, want %d", round, len(calls), want)
		}
	}
	for k, vs := range f.Table() {
		for _, d := range vs.Destinations {
			if d.Weight != 2 {
				t.Errorf("%v %v: weight %d in the kernel, want 2", k, d.DestKey, d.Weight)
			}
		}
	}
}
