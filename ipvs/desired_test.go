package ipvs

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func u32(v uint32) *uint32 { return &v }

func webVS() VirtualServer {
	return VirtualServer{
		Name:     "web",
		Services: []Service{{ServiceKey: svcKey("10.0.0.1", 80), Scheduler: "wrr"}},
		Reals: []RealServer{
			{Destination: dest("10.1.0.1", 80, 2)},
			{Destination: dest("10.1.0.2", 80, 3), InhibitOnFailure: true},
		},
		Sorry:      &Destination{DestKey: dest("10.1.0.250", 80, 0).DestKey, Forward: NAT},
		Quorum:     3,
		QuorumUp:   "/bin/up",
		QuorumDown: "/bin/down",
	}
}

func rk(addr string) RealKey {
	return RealKey{VirtualServer: "web", Dest: DestKey{Addr: netip.MustParseAddr(addr), Port: 80}}
}

func TestCompute(t *testing.T) {
	k := svcKey("10.0.0.1", 80)
	tests := []struct {
		name       string
		mod        func(*VirtualServer)
		health     map[RealKey]Health
		master     func(string) bool
		prev       QuorumState
		wantDests  []Destination
		wantAbsent bool
		wantEvents []Event
		wantHeld   bool
	}{
		{
			name:      "all up (no results yet, no alpha)",
			prev:      QuorumState{"web": true},
			wantDests: []Destination{dest("10.1.0.1", 80, 2), dest("10.1.0.2", 80, 3)},
			wantHeld:  true,
		},
		{
			// keepalived 2.2.7 starts a virtual server without quorum and
			// gains it at once: "Starting with quorum up", quorum_up runs.
			name:       "start: quorum gained, event with quorum_up",
			wantDests:  []Destination{dest("10.1.0.1", 80, 2), dest("10.1.0.2", 80, 3)},
			wantEvents: []Event{{VirtualServer: "web", QuorumUp: true, Script: "/bin/up", Init: true, Alive: 5, Threshold: 3, Quorum: 3}},
			wantHeld:   true,
		},
		{
			// Below quorum+hysteresis at start with no sorry server:
			// keepalived runs nothing.
			name:      "start below quorum+hysteresis, no sorry server: no event",
			mod:       func(vs *VirtualServer) { vs.Hysteresis, vs.Sorry = 1, nil },
			health:    map[RealKey]Health{rk("10.1.0.1"): {Up: true, Weight: u32(3)}, rk("10.1.0.2"): {Up: false}},
			wantDests: []Destination{dest("10.1.0.2", 80, 0)},
		},
		{
			name:       "no alive weight loses quorum even with hysteresis >= quorum",
			mod:        func(vs *VirtualServer) { vs.Quorum, vs.Hysteresis = 1, 1 },
			health:     map[RealKey]Health{rk("10.1.0.1"): {Up: false}, rk("10.1.0.2"): {Up: false}},
			prev:       QuorumState{"web": true},
			wantDests:  []Destination{dest("10.1.0.2", 80, 0), dest("10.1.0.250", 80, 1)},
			wantEvents: []Event{{VirtualServer: "web", QuorumUp: false, Script: "/bin/down", Threshold: 0, Quorum: 1, Hysteresis: 1}},
		},
		{
			name: "down real server removed; inhibited one at weight 0",
			mod: func(vs *VirtualServer) {
				vs.Quorum = 1
				vs.Reals[0].InhibitOnFailure, vs.Reals[1].InhibitOnFailure = true, false
			},
			health:    map[RealKey]Health{rk("10.1.0.1"): {Up: false}, rk("10.1.0.2"): {Up: true}},
			prev:      QuorumState{"web": true},
			wantDests: []Destination{dest("10.1.0.1", 80, 0), dest("10.1.0.2", 80, 3)},
			wantHeld:  true,
		},
		{
			name:       "quorum lost: sorry server, inhibited at 0, event with quorum_down",
			health:     map[RealKey]Health{rk("10.1.0.1"): {Up: true}, rk("10.1.0.2"): {Up: false}},
			prev:       QuorumState{"web": true},
			wantDests:  []Destination{dest("10.1.0.2", 80, 0), dest("10.1.0.250", 80, 1)},
			wantEvents: []Event{{VirtualServer: "web", QuorumUp: false, Script: "/bin/down", Alive: 2, Threshold: 3, Quorum: 3}},
		},
		{
			name:       "alpha: no results yet means down",
			mod:        func(vs *VirtualServer) { vs.Alpha = true },
			wantDests:  []Destination{dest("10.1.0.2", 80, 0), dest("10.1.0.250", 80, 1)},
			wantEvents: []Event{{VirtualServer: "web", QuorumUp: false, Script: "/bin/down", Init: true, Threshold: 3, Quorum: 3}},
		},
		{
			name: "hysteresis keeps quorum down until quorum+hysteresis",
			mod:  func(vs *VirtualServer) { vs.Hysteresis = 1 },
			// alive 3 (dynamic weight): quorum 3 but needs 4 to come back
			health:    map[RealKey]Health{rk("10.1.0.1"): {Up: true, Weight: u32(3)}, rk("10.1.0.2"): {Up: false}},
			prev:      QuorumState{"web": false},
			wantDests: []Destination{dest("10.1.0.2", 80, 0), dest("10.1.0.250", 80, 1)},
		},
		{
			name:       "quorum regained: sorry removed, event with quorum_up",
			mod:        func(vs *VirtualServer) { vs.Hysteresis = 1 },
			health:     map[RealKey]Health{rk("10.1.0.1"): {Up: true, Weight: u32(4)}, rk("10.1.0.2"): {Up: false}},
			prev:       QuorumState{"web": false},
			wantDests:  []Destination{dest("10.1.0.1", 80, 4), dest("10.1.0.2", 80, 0)},
			wantEvents: []Event{{VirtualServer: "web", QuorumUp: true, Script: "/bin/up", Alive: 4, Threshold: 4, Quorum: 3, Hysteresis: 1}},
			wantHeld:   true,
		},
		{
			name:      "hysteresis keeps quorum up down to quorum-hysteresis",
			mod:       func(vs *VirtualServer) { vs.Hysteresis = 1 },
			health:    map[RealKey]Health{rk("10.1.0.1"): {Up: true}, rk("10.1.0.2"): {Up: false}},
			prev:      QuorumState{"web": true},
			wantDests: []Destination{dest("10.1.0.1", 80, 2), dest("10.1.0.2", 80, 0)},
			wantHeld:  true,
		},
		{
			name:      "sorry_server_inhibit: sorry at weight 0 while quorum holds",
			mod:       func(vs *VirtualServer) { vs.SorryInhibit = true },
			prev:      QuorumState{"web": true},
			wantDests: []Destination{dest("10.1.0.1", 80, 2), dest("10.1.0.2", 80, 3), dest("10.1.0.250", 80, 0)},
			wantHeld:  true,
		},
		{
			name:       "ha_suspend while backup: service absent",
			mod:        func(vs *VirtualServer) { vs.HASuspend, vs.VRRPInstance = true, "VI_1" },
			master:     func(string) bool { return false },
			prev:       QuorumState{"web": true},
			wantAbsent: true,
			wantHeld:   true,
		},
		{
			name:      "ha_suspend while master: present",
			mod:       func(vs *VirtualServer) { vs.HASuspend, vs.VRRPInstance = true, "VI_1" },
			master:    func(i string) bool { return i == "VI_1" },
			prev:      QuorumState{"web": true},
			wantDests: []Destination{dest("10.1.0.1", 80, 2), dest("10.1.0.2", 80, 3)},
			wantHeld:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := webVS()
			if tt.mod != nil {
				tt.mod(&vs)
			}
			tab, st, ev := Compute([]VirtualServer{vs}, tt.health, tt.master, tt.prev)
			got, ok := tab[k]
			if ok == tt.wantAbsent {
				t.Fatalf("service present = %v, want %v", ok, !tt.wantAbsent)
			}
			if diff := cmp.Diff(tt.wantDests, got.Destinations, addrCmp); diff != "" {
				t.Errorf("destinations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEvents, ev); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if st["web"] != tt.wantHeld {
				t.Errorf("quorum held = %v, want %v", st["web"], tt.wantHeld)
			}
		})
	}
}

func TestComputeGroupAndFWMarkPorts(t *testing.T) {
	var svcs []Service
	for _, line := range []string{"192.168.200.10-12 80", "fwmark 7"} {
		e, err := ParseGroupEntry(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Keys(TCP) {
			svcs = append(svcs, Service{ServiceKey: k, Scheduler: "rr"})
		}
	}
	vs := VirtualServer{Name: "g", Services: svcs, Reals: []RealServer{
		{Destination: Destination{DestKey: DestKey{Addr: netip.MustParseAddr("10.1.0.1"), Port: 80}, Forward: DR, Weight: 1}},
	}}
	tab, _, _ := Compute([]VirtualServer{vs}, nil, nil, nil)
	if len(tab) != 4 {
		t.Fatalf("got %d services, want 4: %v", len(tab), tab)
	}
	if p := tab[ServiceKey{FWMark: 7}].Destinations[0].Port; p != 0 {
		t.Errorf("DR destination of a fwmark service has port %d, want 0", p)
	}
	if p := tab[svcKey("192.168.200.11", 80)].Destinations[0].Port; p != 80 {
		t.Errorf("port %d, want 80", p)
	}
}

func TestShutdownEvents(t *testing.T) {
	vs := webVS()
	vs.Omega = true
	noScript := VirtualServer{Name: "noscript", Omega: true}
	down := VirtualServer{Name: "down", Omega: true, QuorumDown: "/y"}
	got := ShutdownEvents([]VirtualServer{vs, {Name: "other", QuorumDown: "/x"}, noScript, down},
		QuorumState{"web": true, "other": true, "noscript": true, "down": false})
	want := []Event{
		{VirtualServer: "web", Script: "/bin/down", Stopping: true, Quorum: 3},
		{VirtualServer: "noscript", Stopping: true, Quorum: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseGroupEntry(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "192.168.200.10-12 80", want: []string{"TCP 192.168.200.10:80", "TCP 192.168.200.11:80", "TCP 192.168.200.12:80"}},
		{in: "10.0.0.1 443", want: []string{"TCP 10.0.0.1:443"}},
		{in: "10.0.0.1", want: []string{"TCP 10.0.0.1:0"}},
		{in: "2001:db8::a-c 80", want: []string{"TCP [2001:db8::a]:80", "TCP [2001:db8::b]:80", "TCP [2001:db8::c]:80"}},
		{in: "[2001:db8::1] 80", want: []string{"TCP [2001:db8::1]:80"}},
		{in: "fwmark 7", want: []string{"FWM 7"}},
		{in: "fwmark 7 inet6", want: []string{"FWM 7 IPv6"}},
		{in: "", wantErr: "empty"},
		{in: "fwmark 0", wantErr: "fwmark must be"},
		{in: "10.0.0.9-3 80", wantErr: "below start"},
		{in: "10.0.0.1-300 80", wantErr: "range end"},
		{in: "10.0.0.1 99999", wantErr: "port"},
		{in: "nonsense 80", wantErr: "bad address"},
		{in: "fe80::1%eth0 80", wantErr: "bad address"},
	}
	for _, tt := range tests {
		e, err := ParseGroupEntry(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseGroupEntry(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseGroupEntry(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for _, k := range e.Keys(TCP) {
			got = append(got, k.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseGroupEntry(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzParseGroupEntry(f *testing.F) {
	for _, s := range []string{"192.168.200.10-20 80", "fwmark 7", "2001:db8::1-ff 443", "[::1] 1", "10.0.0.1-", "-1 2", "::ffff:1.2.3.4-9 80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseGroupEntry(s)
		if err != nil {
			return
		}
		keys := e.Keys(TCP)
		if len(keys) == 0 || len(keys) > 65536 {
			t.Fatalf("%q: %d keys", s, len(keys))
		}
		for _, k := range keys {
			if k.FWMark == 0 && !k.Addr.IsValid() {
				t.Fatalf("%q: invalid address", s)
			}
		}
	})
}
