package daemon

import (
	"context"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"log/slog"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
)

const ipvsPartConfig = `
[global]
lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1", sync_id = 51 }
lvs_flush_on_stop = true

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["192.168.200.100/24"]

[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "rr"

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80

[[virtual_server.real_server]]
ip = "10.0.0.2"
port = 80

[[virtual_server]]
ip = "192.168.200.100"
port = 443
lb_algo = "rr"
ha_suspend = true

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 443
`

func waitTable(t testing.TB, f *ipvs.Fake, what string, cond func(ipvs.Table) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond(f.Table()) {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s; table %v", what, f.Table())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIPVSPart(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(ipvsPartConfig))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	p := newIPVSPart(d)
	f := ipvs.NewFake()
	p.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := p.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	http := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("192.168.200.100"), Port: 80}
	https := http
	https.Port = 443
	tab := f.Table()
	if len(tab[http].Destinations) != 2 {
		t.Fatalf("after start: %v", tab)
	}
	if _, ok := tab[https]; ok {
		t.Fatal("ha_suspend service present while VI_1 is not master")
	}
	if sd, _ := f.SyncDaemons(); len(sd) != 1 || sd[0].State != ipvs.SyncBackup {
		t.Fatalf("sync daemons at start: %+v", sd)
	}

	p.healthUpdate(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: "192.168.200.100:80",
		Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Up: false, Weight: 1})
	waitTable(t, f, "real server removed", func(tab ipvs.Table) bool { return len(tab[http].Destinations) == 1 })

	p.vrrpTransition(vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
	waitTable(t, f, "ha_suspend service added", func(tab ipvs.Table) bool { _, ok := tab[https]; return ok })
	deadline := time.Now().Add(5 * time.Second)
	for {
		sd, _ := f.SyncDaemons()
		if len(sd) == 1 && sd[0].State == ipvs.SyncMaster {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync daemon not switched to master: %+v", sd)
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := p.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tab := f.Table(); len(tab) != 0 {
		t.Errorf("lvs_flush_on_stop left %v", tab)
	}
	if sd, _ := f.SyncDaemons(); len(sd) != 0 {
		t.Errorf("sync daemons after stop: %+v", sd)
	}
}

func TestIPVSPartNoIPVS(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(ipvsPartConfig))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	p := newIPVSPart(d)
	p.newClient = func() (ipvs.Client, error) { return nil, ipvs.ErrNoIPVS }
	if err := p.start(context.Background()); err != ipvs.ErrNoIPVS {
		t.Fatalf("start: %v, want %v", err, ipvs.ErrNoIPVS)
	}
}

// TestQuorumScriptUser: quorum scripts run through script.Run as their own
// user, else as script_user (keepalived does), not as lvsd's user.
func TestQuorumScriptUser(t *testing.T) {
	testenv.NeedRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody (Debian always has it): %v", err)
	}
	dir, err := os.MkdirTemp("", "lvsd-quorum")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(dir, "q.sh")
	if err := os.WriteFile(sh, []byte("#!/bin/sh\nid -u > "+dir+"/$1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("t.toml", []byte(`
[global]
script_user = "nobody"

[[virtual_server]]
ip = "192.168.200.100"
port = 80
quorum_up = "`+sh+` up"
quorum_down = { script = "`+sh+` down", user = "root" }

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
`))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	p := newIPVSPart(d)
	if p.quorumUsers, err = quorumUsers(cfg); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		up   bool
		file string
		uid  string
	}{{true, "up", nobody.Uid}, {false, "down", "0"}} {
		done := make(chan struct{})
		p.runScript(ipvs.Event{VirtualServer: "192.168.200.100:80", QuorumUp: tt.up, Script: sh + " " + tt.file}, done)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("quorum script %s did not end", tt.file)
		}
		b, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatalf("quorum script %s: %v", tt.file, err)
		}
		if got := strings.TrimSpace(string(b)); got != tt.uid {
			t.Errorf("quorum script %s ran as uid %s, want %s", tt.file, got, tt.uid)
		}
	}
}

// TestIPVSPartStopRelease: without lvs_flush_on_stop, stop deletes the
// services lvsd owns (keepalived's stop) and leaves a foreign one;
// --dont-release-ipvs keeps them.
func TestIPVSPartStopRelease(t *testing.T) {
	conf := strings.Replace(ipvsPartConfig, "lvs_flush_on_stop = true\n", "", 1)
	foreign := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.9.9.9"), Port: 80}
	for _, keep := range []bool{false, true} {
		cfg, err := config.Parse("t.toml", []byte(conf))
		if err != nil {
			t.Fatal(err)
		}
		d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{}),
			dontReleaseIPVS: keep}
		p := newIPVSPart(d)
		f := ipvs.NewFake()
		if err := f.AddService(ipvs.Service{ServiceKey: foreign, Scheduler: "rr"}); err != nil {
			t.Fatal(err)
		}
		p.newClient = func() (ipvs.Client, error) { return f, nil }
		if err := p.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitTable(t, f, "services added", func(tab ipvs.Table) bool { return len(tab) > 1 })
		before := len(f.Table())
		if err := p.stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		tab := f.Table()
		if _, ok := tab[foreign]; !ok {
			t.Errorf("keep=%v: the foreign service was deleted", keep)
		}
		if want := map[bool]int{false: 1, true: before}[keep]; len(tab) != want {
			t.Errorf("dont-release-ipvs=%v: %d services after stop, want %d: %v", keep, len(tab), want, tab)
		}
	}
}
