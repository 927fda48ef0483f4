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

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// TestFileCheckDrivesIPVSAndStatus: a file_check's number sets the real
// server's weight in the (fake) IPVS table; with weight 0 a non-zero
// number removes it, and lvsd status shows the reason and the results by
// reason.
func TestFileCheckDrivesIPVSAndStatus(t *testing.T) {
	dir := t.TempDir()
	wfile, ffile := filepath.Join(dir, "weight"), filepath.Join(dir, "fault")
	os.WriteFile(wfile, []byte("3\n"), 0o644)
	os.WriteFile(ffile, []byte("0\n"), 0o644)
	conf := fmt.Sprintf(`
[[track_file]]
name = "w"
file = %q
[[track_file]]
name = "f"
file = %q
weight = 0

[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "wrr"

[[virtual_server.real_server]]
ip = "10.0.0.2"
weight = 10
[[virtual_server.real_server.file_check]]
track_file = "w"
weight = 5

[[virtual_server.real_server]]
ip = "10.0.0.3"
[[virtual_server.real_server.file_check]]
track_file = "f"
`, wfile, ffile)
	cfg, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
	d.ipvs = newIPVSPart(d)
	f := ipvs.NewFake()
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	d.health = newHealthPart(d)
	if err := d.ipvs.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.ipvs.stop(context.Background())
	if err := d.health.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.health.stop(context.Background())

	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("192.168.200.100"), Port: 80}
	weights := func(tab ipvs.Table) map[string]int {
		m := map[string]int{}
		for _, dst := range tab[svc].Destinations {
			m[dst.Addr.String()] = int(dst.Weight)
		}
		return m
	}
	waitTable(t, f, "weight 10 + 3 x 5, the other server in", func(tab ipvs.Table) bool {
		w := weights(tab)
		return w["10.0.0.2"] == 25 && w["10.0.0.3"] == 1
	})
	os.WriteFile(wfile, []byte("-1\n"), 0o644)
	os.WriteFile(ffile, []byte("1\n"), 0o644)
	waitTable(t, f, "weight 10 - 5, the faulted server out", func(tab ipvs.Table) bool {
		w := weights(tab)
		_, in := w["10.0.0.3"]
		return w["10.0.0.2"] == 5 && !in
	})
	var rs3 string
	for _, vs := range d.virtualServerStatus() {
		for _, rs := range vs.RealServers {
			if strings.HasPrefix(rs.Address, "10.0.0.3") {
				rs3 = fmt.Sprintf("%s %s checks=%v", rs.Health, rs.LastResult, rs.Checks)
				if rs.Health != "DOWN" || !strings.HasSuffix(rs.LastResult, ": file_fault") || rs.Checks["file_fault"] == 0 || rs.Checks["ok"] == 0 {
					t.Errorf("status of 10.0.0.3: %s", rs3)
				}
			}
		}
	}
	if rs3 == "" {
		t.Fatal("10.0.0.3 not in the status")
	}
	os.WriteFile(ffile, []byte("0\n"), 0o644)
	waitTable(t, f, "the faulted server back", func(tab ipvs.Table) bool { _, in := weights(tab)["10.0.0.3"]; return in })
}
