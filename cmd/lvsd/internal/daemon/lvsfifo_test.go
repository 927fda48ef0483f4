package daemon

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
)

// TestLVSFIFO: a real server's change and a quorum change reach
// lvs_notify_fifo as keepalived writes them (read there by
// lvs_notify_fifo_script, given the FIFO's path); notify_fifo does not get
// them (keepalived's does).
func TestLVSFIFO(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	all, lvs := filepath.Join(dir, "all.fifo"), filepath.Join(dir, "lvs.fifo")
	out := filepath.Join(dir, "read")
	reader := filepath.Join(dir, "reader.sh")
	if err := os.WriteFile(reader, []byte("#!/bin/sh\nwhile read -r l; do echo \"$l\" >> "+out+"; done < \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "[global]\nscript_user = \"root\"\nnotify_fifo = \"" + all + "\"\nlvs_notify_fifo = \"" + lvs + "\"\nlvs_notify_fifo_script = \"" + reader + "\"\n" +
		"[[virtual_server]]\nip = \"10.0.0.100\"\nport = 80\nprotocol = \"UDP\"\n[[virtual_server.real_server]]\nip = \"10.0.0.1\"\nport = 8080\n" +
		"[[virtual_server]]\nfwmark = 7\n[[virtual_server.real_server]]\nip = \"2001:db8::1\"\nport = 80\n"
	cfg, err := config.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f, err := newLVSFIFO(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f.rsUpdate(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: "10.0.0.100:80", Addr: netip.MustParseAddr("10.0.0.1"), Port: 8080}, Up: false})
	f.rsUpdate(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: "fwmark 7", Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, Up: true})
	f.vsEvent(ipvs.Event{VirtualServer: "10.0.0.100:80", QuorumUp: false})
	f.vsEvent(ipvs.Event{VirtualServer: "10.0.0.100:80", QuorumUp: true, Stopping: true}) // not a change keepalived reports
	want := "RS [10.0.0.1]:udp:8080 [10.0.0.100]:udp:80 DOWN\nRS [2001:db8::1]:tcp:80 FWM 7 UP\nVS [10.0.0.100]:udp:80 DOWN\n"
	deadline := time.Now().Add(10 * time.Second)
	var got []byte
	for time.Now().Before(deadline) {
		if got, _ = os.ReadFile(out); string(got) == want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if string(got) != want {
		t.Errorf("lvs_notify_fifo_script read %q, want %q", got, want)
	}
	if _, err := os.Stat(all); !os.IsNotExist(err) {
		t.Errorf("notify_fifo opened by the LVS side: %v", err)
	}
	if err := f.close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
}
