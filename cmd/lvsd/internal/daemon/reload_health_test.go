package daemon

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// TestReloadOneWeightComputesOnce: a reload that changes one configured
// weight computes the table once (as an unchanged reload) and sends one
// request; the health part's update that follows changes nothing more.
func TestReloadOneWeightComputesOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lvsd.toml")
	if err := os.WriteFile(file, []byte(directorConf(20, 5, "", false)), 0o644); err != nil {
		t.Fatal(err)
	}
	o, f, _, _ := startOnFake(t, file)
	settled := func(what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if v, ok := o.d.health.view(); ok && len(v.Servers) == 100 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the health part did not take the 100 real servers", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // its updates have reached the IPVS part
	}
	settled("start")
	before := o.d.ipvs.applies.Load()
	f.ResetCalls()
	if err := os.WriteFile(file, []byte(directorConf(20, 5, "", true)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.reload(); err != nil {
		t.Fatal(err)
	}
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.AddrFrom4([4]byte{10, 0, 0, 11}), Port: 80} // vs 10 = 20/2
	rs := netip.AddrFrom4([4]byte{127, 2, 3, 11})
	waitTable(t, f, "weight 5", func(tab ipvs.Table) bool {
		for _, d := range tab[svc].Destinations {
			if d.Addr == rs {
				return d.Weight == 5
			}
		}
		return false
	})
	settled("reload")
	if n := o.d.ipvs.applies.Load() - before; n != 1 {
		t.Errorf("%d computations of the table for one changed weight, want 1", n)
	}
	if calls := f.Calls(); len(calls) != 1 {
		t.Errorf("one changed weight sent %d requests (%v), want 1", len(calls), calls)
	}
}

// TestReseedHealth: a changed configured weight replaces the held one
// unless a misc_check or file_check can set it; new real servers are
// seeded as Compute assumes them, removed ones forgotten; Compute's table
// is the one it gives from the health part's own results.
func TestReseedHealth(t *testing.T) {
	const conf = `
[[virtual_server]]
ip = "10.0.0.1"
port = 80

[[virtual_server.real_server]]
ip = "10.1.0.1"
port = 80
weight = 7

[[virtual_server.real_server]]
ip = "10.1.0.2"
port = 80
weight = 7
[[virtual_server.real_server.misc_check]]
misc_path = "/bin/true"
misc_dynamic = true

[[virtual_server.real_server]]
ip = "10.1.0.3"
port = 80
weight = 7
[[virtual_server.real_server.tcp_check]]

[[virtual_server.real_server]]
ip = "10.1.0.4"
port = 80
weight = 7
`
	cfg, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := func(ip string) ipvs.RealKey {
		return ipvs.RealKey{VirtualServer: specs[0].Name, Dest: ipvs.DestKey{Addr: netip.MustParseAddr(ip), Port: 80}}
	}
	w := func(n uint32) *uint32 { return &n }
	health := map[ipvs.RealKey]ipvs.Health{
		key("10.1.0.1"): {Up: true, Weight: w(1)},  // configured 1, now 7
		key("10.1.0.2"): {Up: true, Weight: w(3)},  // misc_dynamic said 3
		key("10.1.0.3"): {Up: false, Weight: w(1)}, // down under its tcp_check
		key("10.1.0.9"): {Up: true, Weight: w(1)},  // removed
	}
	reseedHealth(health, specs, cfg)
	for ip, want := range map[string]ipvs.Health{
		"10.1.0.1": {Up: true, Weight: w(7)},
		"10.1.0.2": {Up: true, Weight: w(3)},
		"10.1.0.3": {Up: false, Weight: w(7)},
		"10.1.0.4": {Up: true, Weight: w(7)}, // new: seeded
	} {
		got, ok := health[key(ip)]
		if !ok || !sameHealth(got, want) {
			t.Errorf("%s: health %+v (held %v), want up=%v weight %d", ip, got, ok, want.Up, *want.Weight)
		}
	}
	if _, ok := health[key("10.1.0.9")]; ok || len(health) != 4 {
		t.Errorf("removed real server still held (%d entries, want 4)", len(health))
	}
}
