package bgp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/ipvs"
)

var (
	vip  = netip.MustParsePrefix("192.0.2.10/32")
	vip2 = netip.MustParsePrefix("192.0.2.11/32")
	rs1  = ipvs.DestKey{Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	rs2  = ipvs.DestKey{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80}
)

func vs(name string, quorum, hyst uint32, reals ...ipvs.DestKey) ipvs.VirtualServer {
	v := ipvs.VirtualServer{Name: name, Quorum: quorum, Hysteresis: hyst}
	for _, r := range reals {
		v.Reals = append(v.Reals, ipvs.RealServer{Destination: ipvs.Destination{DestKey: r, Weight: 1}})
	}
	return v
}

func up(b bool) ipvs.Health { return ipvs.Health{Up: b} }

func TestDecide(t *testing.T) {
	web := vs("192.0.2.10:80", 1, 0, rs1, rs2)
	tls := vs("192.0.2.10:443", 1, 0, rs1)
	two := vs("192.0.2.10:80", 2, 1, rs1, rs2) // quorum 2, hysteresis 1
	masters := func(ms ...string) func(string) bool {
		return func(in string) bool {
			for _, m := range ms {
				if m == in {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name     string
		prefixes []Prefix
		vss      []ipvs.VirtualServer
		health   map[ipvs.RealKey]ipvs.Health
		master   func(string) bool
		prev     ipvs.QuorumState
		want     []Decision
	}{
		{"static", []Prefix{{Prefix: vip}}, nil, nil, nil, nil,
			[]Decision{{Prefix: vip, Announce: true, Reason: ReasonStatic}}},
		{"no results yet: up (no alpha)", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name}, RequireAll: true}}, []ipvs.VirtualServer{web}, nil, nil, nil,
			[]Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}}},
		{"one real server left: quorum 1 held", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name}, RequireAll: true}}, []ipvs.VirtualServer{web},
			map[ipvs.RealKey]ipvs.Health{{VirtualServer: web.Name, Dest: rs1}: up(false)}, nil, nil,
			[]Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}}},
		{"all real servers down", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name}, RequireAll: true}}, []ipvs.VirtualServer{web},
			map[ipvs.RealKey]ipvs.Health{{VirtualServer: web.Name, Dest: rs1}: up(false), {VirtualServer: web.Name, Dest: rs2}: up(false)}, nil, nil,
			[]Decision{{Prefix: vip, Reason: ReasonQuorumLost, Detail: "without quorum: 192.0.2.10:80"}}},
		{"hysteresis: held at alive 1 = quorum 2 - 1", []Prefix{{Prefix: vip, VirtualServers: []string{two.Name}, RequireAll: true}}, []ipvs.VirtualServer{two},
			map[ipvs.RealKey]ipvs.Health{{VirtualServer: two.Name, Dest: rs1}: up(false)}, nil, ipvs.QuorumState{two.Name: true},
			[]Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}}},
		{"hysteresis: lost stays lost at alive 2 < quorum 2 + 1", []Prefix{{Prefix: vip, VirtualServers: []string{two.Name}, RequireAll: true}}, []ipvs.VirtualServer{two},
			map[ipvs.RealKey]ipvs.Health{}, nil, ipvs.QuorumState{two.Name: false},
			[]Decision{{Prefix: vip, Reason: ReasonQuorumLost, Detail: "without quorum: 192.0.2.10:80"}}},
		{"require all: one of two lost", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name, tls.Name}, RequireAll: true}}, []ipvs.VirtualServer{web, tls},
			map[ipvs.RealKey]ipvs.Health{{VirtualServer: tls.Name, Dest: rs1}: up(false)}, nil, nil,
			[]Decision{{Prefix: vip, Reason: ReasonQuorumLost, Detail: "without quorum: 192.0.2.10:443"}}},
		{"require any: one of two lost", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name, tls.Name}}}, []ipvs.VirtualServer{web, tls},
			map[ipvs.RealKey]ipvs.Health{{VirtualServer: tls.Name, Dest: rs1}: up(false)}, nil, nil,
			[]Decision{{Prefix: vip, Announce: true, Reason: ReasonServing, Detail: "without quorum: 192.0.2.10:443"}}},
		{"only when master: backup", []Prefix{{Prefix: vip, OnlyWhenMaster: "VI_1"}, {Prefix: vip2, OnlyWhenMaster: "VI_2"}}, nil, nil, masters("VI_2"), nil,
			[]Decision{{Prefix: vip, Reason: ReasonNotMaster, Detail: "vrrp_instance VI_1 is not MASTER"}, {Prefix: vip2, Announce: true, Reason: ReasonStatic}}},
		{"only when master wins over quorum", []Prefix{{Prefix: vip, VirtualServers: []string{web.Name}, OnlyWhenMaster: "VI_1"}}, []ipvs.VirtualServer{web}, nil, nil, nil,
			[]Decision{{Prefix: vip, Reason: ReasonNotMaster, Detail: "vrrp_instance VI_1 is not MASTER"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Decide(tt.prefixes, tt.vss, tt.health, tt.master, tt.prev)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideHysteresisSequence follows one virtual server with quorum 2 and
// hysteresis 1 through failures and recoveries (keepalived: lost below
// quorum-hysteresis, regained at quorum+hysteresis).
func TestDecideHysteresisSequence(t *testing.T) {
	r3 := ipvs.DestKey{Addr: netip.MustParseAddr("10.0.0.3"), Port: 80}
	v := vs("192.0.2.10:80", 2, 1, rs1, rs2, r3)
	ps := []Prefix{{Prefix: vip, VirtualServers: []string{v.Name}, RequireAll: true}}
	var q ipvs.QuorumState
	steps := []struct {
		upCount int
		want    bool
	}{{3, true}, {2, true}, {1, true}, {0, false}, {1, false}, {2, false}, {3, true}, {1, true}, {0, false}}
	for i, s := range steps {
		h := map[ipvs.RealKey]ipvs.Health{}
		for j, r := range []ipvs.DestKey{rs1, rs2, r3} {
			h[ipvs.RealKey{VirtualServer: v.Name, Dest: r}] = up(j < s.upCount)
		}
		var ds []Decision
		ds, q = Decide(ps, []ipvs.VirtualServer{v}, h, nil, q)
		if ds[0].Announce != s.want {
			t.Errorf("step %d (%d up): announce = %v, want %v", i, s.upCount, ds[0].Announce, s.want)
		}
	}
}
