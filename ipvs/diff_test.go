package ipvs

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func svcKey(addr string, port uint16) ServiceKey {
	return ServiceKey{Protocol: TCP, Addr: netip.MustParseAddr(addr), Port: port}
}

func dest(addr string, port uint16, w uint32) Destination {
	return Destination{DestKey: DestKey{Addr: netip.MustParseAddr(addr), Port: port}, Forward: NAT, Weight: w}
}

func vsvc(k ServiceKey, sched string, ds ...Destination) VirtualService {
	return VirtualService{Service: Service{ServiceKey: k, Scheduler: sched}, Destinations: ds}
}

func table(vss ...VirtualService) Table {
	t := Table{}
	for _, vs := range vss {
		t.Add(vs)
	}
	return t
}

func opStrings(ops []Op) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	a, b, foreign := svcKey("10.0.0.1", 80), svcKey("10.0.0.2", 80), svcKey("10.9.9.9", 80)
	fw := ServiceKey{FWMark: 7}
	tests := []struct {
		name              string
		desired, observed Table
		owned             []ServiceKey
		want              []string
	}{
		{name: "empty"},
		{
			name:    "from empty: service then its destinations",
			desired: table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 2))),
			want: []string{
				"add-service TCP 10.0.0.1:80 sched rr",
				"add-destination TCP 10.0.0.1:80 -> 10.1.0.1:80 NAT weight 1",
				"add-destination TCP 10.0.0.1:80 -> 10.1.0.2:80 NAT weight 2",
			},
		},
		{
			name:     "converged: nothing",
			desired:  table(vsvc(a, "rr", dest("10.1.0.1", 80, 1))),
			observed: table(vsvc(a, "rr", dest("10.1.0.1", 80, 1))),
			owned:    []ServiceKey{a},
		},
		{
			name:     "one weight: one update",
			desired:  table(vsvc(a, "rr", dest("10.1.0.1", 80, 5), dest("10.1.0.2", 80, 1))),
			observed: table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 1))),
			owned:    []ServiceKey{a},
			want:     []string{"update-destination TCP 10.0.0.1:80 -> 10.1.0.1:80 NAT weight 5"},
		},
		{
			name:     "scheduler change updates the service only",
			desired:  table(vsvc(a, "wlc", dest("10.1.0.1", 80, 1))),
			observed: table(vsvc(a, "rr", dest("10.1.0.1", 80, 1))),
			owned:    []ServiceKey{a},
			want:     []string{"update-service TCP 10.0.0.1:80 sched wlc"},
		},
		{
			name:     "default scheduler equals wlc",
			desired:  table(vsvc(a, "")),
			observed: table(vsvc(a, "wlc")),
			owned:    []ServiceKey{a},
		},
		{
			name:     "foreign service is never touched, owned one removed",
			desired:  table(),
			observed: table(vsvc(a, "rr"), vsvc(foreign, "rr", dest("1.1.1.1", 80, 1))),
			owned:    []ServiceKey{a},
			want:     []string{"delete-service TCP 10.0.0.1:80"},
		},
		{
			name:     "unknown destination in an owned service is deleted before adds",
			desired:  table(vsvc(a, "rr", dest("10.1.0.3", 80, 1))),
			observed: table(vsvc(a, "rr", dest("10.1.0.9", 80, 1))),
			owned:    []ServiceKey{a},
			want: []string{
				"delete-destination TCP 10.0.0.1:80 -> 10.1.0.9:80",
				"add-destination TCP 10.0.0.1:80 -> 10.1.0.3:80 NAT weight 1",
			},
		},
		{
			name:     "order: deletes, updates, adds; sorted",
			desired:  table(vsvc(b, "rr"), vsvc(fw, "sh"), vsvc(a, "wrr")),
			observed: table(vsvc(a, "rr"), vsvc(foreign, "rr")),
			owned:    []ServiceKey{a, foreign},
			want: []string{
				"delete-service TCP 10.9.9.9:80",
				"update-service TCP 10.0.0.1:80 sched wrr",
				"add-service TCP 10.0.0.2:80 sched rr",
				"add-service FWM 7 sched sh",
			},
		},
		{
			name: "tunnel fields ignored unless TUN",
			desired: table(vsvc(a, "rr", Destination{DestKey: dest("10.1.0.1", 80, 1).DestKey, Forward: DR, Weight: 1,
				TunnelType: GUE, TunnelPort: 6080})),
			observed: table(vsvc(a, "rr", Destination{DestKey: dest("10.1.0.1", 80, 1).DestKey, Forward: DR, Weight: 1})),
			owned:    []ServiceKey{a},
		},
		{
			name:     "persistence change",
			desired:  table(VirtualService{Service: Service{ServiceKey: a, Scheduler: "rr", Timeout: 50, NetmaskBits: 24}}),
			observed: table(VirtualService{Service: Service{ServiceKey: a, Scheduler: "rr", Timeout: 50, NetmaskBits: 32, Flags: FlagPersistent}}),
			owned:    []ServiceKey{a},
			want:     []string{"update-service TCP 10.0.0.1:80 sched rr"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owned := map[ServiceKey]bool{}
			for _, k := range tt.owned {
				owned[k] = true
			}
			got := opStrings(Diff(tt.desired, tt.observed, owned))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

// Applying a diff to the observed table yields the desired one (for owned
// services) and leaves foreign ones alone.
func TestDiffApplyConverges(t *testing.T) {
	a, f := svcKey("10.0.0.1", 80), svcKey("10.9.9.9", 80)
	desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 3), dest("10.1.0.2", 81, 1)))
	observed := table(vsvc(a, "wrr", dest("10.1.0.2", 81, 9), dest("10.1.0.7", 80, 1)), vsvc(f, "rr"))
	owned := map[ServiceKey]bool{a: true}
	for _, op := range Diff(desired, observed, owned) {
		applyOp(observed, op)
	}
	want := table(vsvc(a, "rr", dest("10.1.0.1", 80, 3), dest("10.1.0.2", 81, 1)), vsvc(f, "rr"))
	want[a] = VirtualService{Service: want[a].Service.normalized(), Destinations: want[a].Destinations}
	if diff := cmp.Diff(want, observed, addrCmp); diff != "" {
		t.Errorf("after apply (-want +got):\n%s", diff)
	}
	if ops := Diff(desired, observed, owned); len(ops) != 0 {
		t.Errorf("second diff not empty: %v", ops)
	}
}

// addrCmp lets cmp compare netip.Addr values.
var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
