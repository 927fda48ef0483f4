package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/healthcheck"
)

// TestBGPHealthOnlyWithBGP: without a [bgp] the BGP part keeps no copy of
// the real servers' health (1 MB at 10,000 real servers); when it starts
// (here as a reload adding [bgp] would) it takes the health part's current
// view, so a real server that failed before is known as down, and updates
// from then on are kept.
func TestBGPHealthOnlyWithBGP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		ok, bad := filepath.Join(dir, "ok"), filepath.Join(dir, "bad")
		for f, v := range map[string]string{ok: "0\n", bad: "1\n"} {
			if err := os.WriteFile(f, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		src := fmt.Sprintf("[[track_file]]\nname = \"ok\"\nfile = %q\n[[track_file]]\nname = \"bad\"\nfile = %q\n", ok, bad) +
			"[[virtual_server]]\nip = \"192.0.2.10\"\nport = 80\n" +
			"[[virtual_server.real_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server.file_check]]\ntrack_file = \"ok\"\nweight = 0\n" +
			"[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nport = 80\n[[virtual_server.real_server.file_check]]\ntrack_file = \"bad\"\nweight = 0\n"
		d := &daemon{cfg: parseConfig(t, src), log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
		d.bgp = newBGPPart(d)
		d.health = newHealthPart(d)
		if err := d.health.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		d.bgp.mu.Lock()
		n := len(d.bgp.health)
		d.bgp.mu.Unlock()
		if n != 0 {
			t.Errorf("without [bgp] the BGP part keeps %d real servers' health, want 0", n)
		}
		d.bgp.seedHealth()
		d.bgp.mu.Lock()
		got := map[string]bool{}
		for k, h := range d.bgp.health {
			got[k.Dest.Addr.String()] = h.Up
		}
		d.bgp.mu.Unlock()
		if len(got) != 2 || !got["10.0.0.1"] || got["10.0.0.2"] {
			t.Errorf("seeded health %v, want 10.0.0.1 up and 10.0.0.2 down", got)
		}
		d.bgp.healthUpdate(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: "192.0.2.10:80", Addr: d.cfg.VirtualServers[0].RealServers[1].IP, Port: 80}, Up: true, Weight: 1})
		d.bgp.mu.Lock()
		n = len(d.bgp.health)
		d.bgp.mu.Unlock()
		if n != 2 {
			t.Errorf("after an update: %d entries, want 2", n)
		}
		d.bgp.deactivate()
		if err := d.health.stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
}
