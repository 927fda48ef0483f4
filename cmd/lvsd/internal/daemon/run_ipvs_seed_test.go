package daemon

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
)

// TestStartComputesOnce: the health part's first update of every real
// server ("configured": up at its weight) changes nothing, so the IPVS part
// does not compute the 1,000 x 10 table a second time after its start.
func TestStartComputesOnce(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(directorConf(50, 10, "", false)))
	if err != nil {
		t.Fatal(err)
	}
	f := ipvs.NewFake()
	d := newDaemon(cfg, slog.New(slog.DiscardHandler))
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.stop(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for { // every real server's first update has reached the IPVS part
		v, ok := d.health.view()
		if ok && len(v.Servers) == 500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the health part did not take the 500 real servers")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := d.ipvs.applies.Load(); n != 1 {
		t.Errorf("%d computations of the table after the start, want 1", n)
	}
	// A real change still recomputes.
	k := healthcheck.RealServerKey{VirtualServer: cfg.VirtualServers[0].Name(), Addr: cfg.VirtualServers[0].RealServers[0].IP, Port: 8080}
	d.ipvs.healthUpdate(healthcheck.Update{Key: k, Up: false, Weight: 1})
	waitTable(t, f, "real server down", func(tab ipvs.Table) bool {
		n := 0
		for _, vs := range tab {
			n += len(vs.Destinations)
		}
		return n == 499
	})
}

// TestSeedHealthChangesNothing: Compute gives the same table, quorum and
// events with the seeded health as without it (alpha, weights, quorum).
func TestSeedHealthChangesNothing(t *testing.T) {
	conf := directorConf(3, 4, "", false) + `
[[virtual_server]]
ip = "10.9.0.1"
port = 80
alpha = true
quorum = 2

[[virtual_server.real_server]]
ip = "10.9.1.1"
port = 80
weight = 3
`
	cfg, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	seeded := map[ipvs.RealKey]ipvs.Health{}
	seedHealth(seeded, specs)
	if len(seeded) != 13 {
		t.Fatalf("%d seeds, want 13", len(seeded))
	}
	wantT, wantQ, wantE := ipvs.Compute(specs, map[ipvs.RealKey]ipvs.Health{}, nil, nil)
	gotT, gotQ, gotE := ipvs.Compute(specs, seeded, nil, nil)
	if diff := cmp.Diff([]any{wantT, wantQ, wantE}, []any{gotT, gotQ, gotE}, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("seeded health changed Compute (-without +with):\n%s", diff)
	}
	// A result already known stays.
	k := ipvs.RealKey{VirtualServer: specs[3].Name, Dest: specs[3].Reals[0].DestKey}
	known := map[ipvs.RealKey]ipvs.Health{k: {Up: true}}
	seedHealth(known, specs)
	if h := known[k]; !h.Up || h.Weight != nil {
		t.Errorf("seedHealth replaced a known result: %+v", h)
	}
}
