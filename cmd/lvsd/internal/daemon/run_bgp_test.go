package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/bgp"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// recSpeaker is a bgp.Speaker recording paths and calls.
type recSpeaker struct {
	mu    sync.Mutex
	calls []string
	paths map[netip.Prefix][]uint32 // announced prefix -> communities
}

func (s *recSpeaker) rec(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}
func (s *recSpeaker) Start(context.Context, bgp.Global) error { s.rec("start"); return nil }
func (s *recSpeaker) Stop(context.Context) error              { s.rec("stop"); return nil }
func (s *recSpeaker) AddNeighbor(_ context.Context, n bgp.Neighbor) error {
	s.rec("add-neighbor " + n.Address.String())
	return nil
}
func (s *recSpeaker) DeleteNeighbor(_ context.Context, a netip.Addr) error {
	s.rec("delete-neighbor " + a.String())
	return nil
}
func (s *recSpeaker) AddPath(_ context.Context, r bgp.Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths[r.Prefix] = r.Communities
	s.calls = append(s.calls, fmt.Sprintf("add-path %s %v", r.Prefix, r.Communities))
	return nil
}
func (s *recSpeaker) DeletePath(_ context.Context, p netip.Prefix) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.paths, p)
	s.calls = append(s.calls, "delete-path "+p.String())
	return nil
}
func (s *recSpeaker) Neighbors(context.Context) ([]bgp.NeighborState, error) { return nil, nil }

// recAddrs is a bgpAddrs logging into the speaker's calls (one order).
type recAddrs struct{ s *recSpeaker }

func (a recAddrs) AddVIPs(_ context.Context, vs []vip.Address) error {
	for _, v := range vs {
		a.s.rec("add-address " + v.String())
	}
	return nil
}
func (a recAddrs) DelVIPs(_ context.Context, vs []vip.Address) error {
	for _, v := range vs {
		a.s.rec("del-address " + v.String())
	}
	return nil
}
func (a recAddrs) Close() error { return nil }

func (s *recSpeaker) announced() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p := range s.paths {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return out
}

const bgpPartConfig = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["192.0.2.11/32"]

[[virtual_server]]
ip = "192.0.2.10"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
port = 80

[bgp]
asn = 65001
router_id = "10.0.0.11"
graceful_shutdown_delay = 0
[[bgp.neighbor]]
address = "10.0.0.254"
peer_asn = 65000

[[bgp.announce]]
prefix = "192.0.2.10"
communities = ["65000:10"]
dev = "lo"
`

const bgpPartOnlyMaster = `
[[bgp.announce]]
prefix = "192.0.2.11"
only_when_master = "VI_1"
`

func waitAnnounced(t *testing.T, s *recSpeaker, what string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(s.announced(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: announced %v, want %v", what, s.announced(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBGPPart: the prefix of a virtual server is withdrawn when it loses its
// quorum and announced again when it regains it; an only_when_master prefix
// follows the instance; a reload withdraws a removed prefix; stop sends the
// graceful-shutdown community, then withdraws, then stops the speaker.
func TestBGPPart(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(bgpPartConfig+bgpPartOnlyMaster))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
	p := newBGPPart(d)
	d.bgp = p
	sp := &recSpeaker{paths: map[netip.Prefix][]uint32{}}
	p.newSpeaker = func(*slog.Logger) bgp.Speaker { return sp }
	p.newAddrs = func() (bgpAddrs, error) { return recAddrs{sp}, nil }
	ctx := context.Background()
	if err := p.start(ctx); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, sp, "start (no results yet: up)", "192.0.2.10/32")
	sp.mu.Lock()
	if i := slices.Index(sp.calls, "add-address 192.0.2.10/32 dev lo"); i != 0 {
		t.Errorf("start: the address is not added first: %v", sp.calls)
	}
	sp.mu.Unlock()

	rs := func(addr string, up bool) {
		p.healthUpdate(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: "192.0.2.10:80",
			Addr: netip.MustParseAddr(addr), Port: 80}, Up: up, Weight: 1})
	}
	rs("10.0.0.1", false)
	rs("10.0.0.2", false)
	waitAnnounced(t, sp, "all real servers down")
	st := d.bgpStatus()
	if pr := st.Prefixes[0]; pr.Announced || pr.Reason != string(bgp.ReasonQuorumLost) {
		t.Errorf("status after quorum loss: %+v", pr)
	}
	rs("10.0.0.2", true)
	waitAnnounced(t, sp, "one real server back", "192.0.2.10/32")

	p.vrrpTransition(vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
	waitAnnounced(t, sp, "VI_1 master", "192.0.2.10/32", "192.0.2.11/32")
	p.vrrpTransition(vrrp.Transition{Instance: "VI_1", From: vrrp.StateMaster, To: vrrp.StateBackup})
	waitAnnounced(t, sp, "VI_1 backup", "192.0.2.10/32")
	p.vrrpTransition(vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
	waitAnnounced(t, sp, "VI_1 master again", "192.0.2.10/32", "192.0.2.11/32")

	cfg2, err := config.Parse("t.toml", []byte(bgpPartConfig))
	if err != nil {
		t.Fatal(err)
	}
	d.cfg = cfg2
	if err := p.reload(cfg2); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, sp, "reload without 192.0.2.11", "192.0.2.10/32")

	sp.mu.Lock()
	sp.calls = nil
	sp.mu.Unlock()
	if err := p.stop(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"add-path 192.0.2.10/32 [4259840010 4294901760]", "delete-path 192.0.2.10/32", "stop", "del-address 192.0.2.10/32 dev lo"}
	if got := sp.calls; !slices.Equal(got, want) {
		t.Errorf("stop: calls\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if d.bgpStatus() != nil {
		t.Error("status after stop: want none")
	}
}
