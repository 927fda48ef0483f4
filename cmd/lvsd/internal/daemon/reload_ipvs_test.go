package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

const reloadIPVSConfig = `
[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "wrr"

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
weight = 1

[[virtual_server.real_server]]
ip = "10.0.0.2"
port = 80
weight = 1
`

// TestReloadIPVSDiff: through the daemon's reload path, a reload without
// changes issues no IPVS request, a changed weight exactly one, and a bad
// file none (the old table stays).
func TestReloadIPVSDiff(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lvsd.toml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadIPVSConfig)
	o, f, svc, weightOf := startOnFake(t, file)
	waitTable(t, f, "initial table", func(tab ipvs.Table) bool { return len(tab[svc].Destinations) == 2 })
	f.ResetCalls()

	if err := o.reload(); err != nil {
		t.Fatalf("reload without changes: %v", err)
	}
	write("# a comment\n" + strings.Replace(reloadIPVSConfig, "10.0.0.2\"\nport = 80\nweight = 1", "10.0.0.2\"\nport = 80\nweight = 3", 1))
	if err := o.reload(); err != nil {
		t.Fatalf("reload with a new weight: %v", err)
	}
	waitTable(t, f, "new weight", func(ipvs.Table) bool { return weightOf("10.0.0.2") == 3 })
	time.Sleep(50 * time.Millisecond) // nothing else may follow
	if calls := f.Calls(); len(calls) != 1 || calls[0].Op != "UpdateDestination" {
		t.Errorf("requests for an unchanged reload then one new weight: %v, want one UpdateDestination", calls)
	}

	f.ResetCalls()
	write(reloadIPVSConfig + "\n[[virtual_server.real_server]]\nip = \"10.0.0.3\"\nbogus = 1\n")
	if err := o.reload(); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("bad file: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if calls := f.Calls(); len(calls) != 0 || weightOf("10.0.0.2") != 3 {
		t.Errorf("a bad file changed the table: %v", calls)
	}
	// Valid TOML that `lvsd check` refuses on this host: refused as well.
	write(reloadIPVSConfig + "\n[[vrrp_script]]\nname = \"chk\"\nscript = \"/nonexistent/check\"\n")
	if err := o.reload(); err == nil || !strings.Contains(err.Error(), "/nonexistent/check") {
		t.Fatalf("host check: %v", err)
	}
	if got := [3]any{o.reloads.Load(), o.reloadsFailed.Load(), o.lastReloadFailed.Load()}; got != [3]any{uint64(4), uint64(2), true} {
		t.Errorf("reloads, failed, last failed = %v, want [4 2 true] (the reload metrics)", got)
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("a refused file changed the table: %v", calls)
	}
	st, err := o.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.VirtualServers) != 1 || len(st.VirtualServers[0].RealServers) != 2 {
		t.Fatalf("status after the reloads: %+v", st.VirtualServers)
	}
	vs := st.VirtualServers[0]
	if rs := vs.RealServers[1]; !vs.InKernel || rs.ConfiguredWeight != 3 || rs.Weight != 3 || rs.Address != "10.0.0.2:80" {
		t.Errorf("status after the reloads: %+v", vs)
	}
}

// bigConfig is n virtual servers with 10 real servers each.
func bigConfig(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[virtual_server]]\nip = \"10.1.%d.%d\"\nport = 80\nlb_algo = \"wrr\"\n", i/250, i%250+1)
		for j := range 10 {
			fmt.Fprintf(&b, "[[virtual_server.real_server]]\nip = \"10.2.%d.%d\"\nport = 80\nweight = 1\n", j, i%250+1)
		}
	}
	return b.String()
}

func startBig(tb testing.TB, n int) (*ops, *ipvs.Fake, string) {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "lvsd.toml")
	conf := bigConfig(n)
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	f := ipvs.NewFake()
	d := newDaemon(cfg, log)
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.stop(context.Background()) })
	o := newOps(file, opsFlags{}, log)
	o.d = d
	return o, f, conf
}

// TestReload1000VirtualServers: 1,000 virtual servers x 10 real servers;
// a reload without changes issues no request, one changed weight one.
func TestReload1000VirtualServers(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 virtual servers")
	}
	o, f, conf := startBig(t, 1000)
	waitTable(t, f, "initial table", func(tab ipvs.Table) bool { return len(tab) == 1000 })
	f.ResetCalls()
	if err := o.reload(); err != nil {
		t.Fatal(err)
	}
	conf = strings.Replace(conf, "ip = \"10.2.9.250\"\nport = 80\nweight = 1", "ip = \"10.2.9.250\"\nport = 80\nweight = 7", 1)
	if err := os.WriteFile(o.file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.reload(); err != nil {
		t.Fatal(err)
	}
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.1.0.250"), Port: 80}
	waitTable(t, f, "new weight", func(tab ipvs.Table) bool {
		for _, d := range tab[svc].Destinations {
			if d.Addr == netip.MustParseAddr("10.2.9.250") {
				return d.Weight == 7
			}
		}
		return false
	})
	time.Sleep(100 * time.Millisecond)
	if calls := f.Calls(); len(calls) != 1 {
		t.Errorf("%d requests (%v), want 1", len(calls), calls[:min(len(calls), 5)])
	}
}

// BenchmarkReload1000Unchanged: the time lvsd takes to reload a 1,000
// virtual server file that did not change (parse, validate, diff).
func BenchmarkReload1000Unchanged(b *testing.B) {
	o, _, _ := startBig(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		if err := o.reload(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReload1000OneWeight: a reload of a 1,000 virtual server file in
// which one weight changed (alternately 7 and 1), until the IPVS part has
// applied it.
func BenchmarkReload1000OneWeight(b *testing.B) {
	o, f, conf := startBig(b, 1000)
	waitTable(b, f, "initial table", func(tab ipvs.Table) bool { return len(tab) == 1000 })
	confs := []string{strings.Replace(conf, "ip = \"10.2.9.250\"\nport = 80\nweight = 1", "ip = \"10.2.9.250\"\nport = 80\nweight = 7", 1), conf}
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.1.0.250"), Port: 80}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		if err := os.WriteFile(o.file, []byte(confs[i%2]), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := o.reload(); err != nil {
			b.Fatal(err)
		}
		want := uint32(7)
		if i%2 == 1 {
			want = 1
		}
		waitTable(b, f, "new weight", func(tab ipvs.Table) bool {
			for _, d := range tab[svc].Destinations {
				if d.Addr == netip.MustParseAddr("10.2.9.250") {
					return d.Weight == want
				}
			}
			return false
		})
		i++
	}
}

// lvsd status counts the mutating IPVS requests: none for an unchanged
// reload, one for a changed weight.
func TestStatusIPVSRequests(t *testing.T) {
	o, f, conf := startBig(t, 20)
	waitTable(t, f, "initial table", func(tab ipvs.Table) bool { return len(tab) == 20 })
	requests := func() uint64 {
		t.Helper()
		st, err := o.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.IPVSRequests
	}
	start := requests()
	if start < 20*11 {
		t.Fatalf("%d requests after the start, want at least %d", start, 20*11)
	}
	if err := o.reload(); err != nil {
		t.Fatal(err)
	}
	conf = strings.Replace(conf, "ip = \"10.2.9.20\"\nport = 80\nweight = 1", "ip = \"10.2.9.20\"\nport = 80\nweight = 7", 1)
	if err := os.WriteFile(o.file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := o.reload(); err != nil {
		t.Fatal(err)
	}
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.1.0.20"), Port: 80}
	waitTable(t, f, "new weight", func(tab ipvs.Table) bool {
		for _, d := range tab[svc].Destinations {
			if d.Addr == netip.MustParseAddr("10.2.9.20") {
				return d.Weight == 7
			}
		}
		return false
	})
	if got := requests() - start; got != 1 {
		t.Errorf("%d requests for an unchanged reload and one changed weight, want 1", got)
	}
}

// startOnFake starts a daemon on the configuration at file over ipvs.Fake
// (stopped at cleanup) and returns its ops, the fake, the service of
// reloadIPVSConfig and a function giving a destination's weight there.
func startOnFake(t *testing.T, file string) (*ops, *ipvs.Fake, ipvs.ServiceKey, func(ip string) uint32) {
	t.Helper()
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	f := ipvs.NewFake()
	d := newDaemon(cfg, log)
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(context.Background()) })
	o := newOps(file, opsFlags{}, log)
	o.d = d
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("192.168.200.100"), Port: 80}
	weightOf := func(ip string) uint32 {
		for _, dst := range f.Table()[svc].Destinations {
			if dst.Addr == netip.MustParseAddr(ip) {
				return dst.Weight
			}
		}
		return 0
	}
	return o, f, svc, weightOf
}
