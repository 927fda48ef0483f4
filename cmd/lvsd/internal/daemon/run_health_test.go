package daemon

import (
	"context"
	"fmt"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
)

// TestHealthPartDrivesIPVS: a tcp_check against a loopback listener keeps
// the real server in the (fake) IPVS table; closing the listener removes it;
// listening again restores it.
func TestHealthPartDrivesIPVS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	conf := fmt.Sprintf(`
[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "rr"
delay_loop = 1
alpha = true

[[virtual_server.real_server]]
ip = "127.0.0.1"
port = %d

[[virtual_server.real_server.tcp_check]]
connect_timeout = 1
retry = 0
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "127.0.0.2"
port = 80
`, port)
	cfg, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
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
	checked := netip.MustParseAddr("127.0.0.1")
	has := func(tab ipvs.Table) bool {
		for _, dst := range tab[svc].Destinations {
			if dst.Addr == checked {
				return true
			}
		}
		return false
	}
	waitTable(t, f, "checked real server added", has)
	ln.Close()
	waitTable(t, f, "checked real server removed", func(tab ipvs.Table) bool { return !has(tab) && len(tab[svc].Destinations) == 1 })
	if v, ok := d.health.view(); !ok || v.Results[healthcheck.ReasonRefused] == 0 {
		t.Fatalf("view: %+v", v)
	}
	ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	defer ln.Close()
	waitTable(t, f, "checked real server restored", has)
	if err := d.health.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestHealthPartReload: a reload that keeps a check does not disturb it, a
// reload that adds a real server starts its checks, and a configuration
// whose checker cannot be built is refused.
func TestHealthPartReload(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	rs := func(ip string) string {
		return fmt.Sprintf(`
[[virtual_server.real_server]]
ip = %q
port = %d

[[virtual_server.real_server.tcp_check]]
connect_ip = "127.0.0.1"
connect_timeout = 1
`, ip, port)
	}
	vs := "[[virtual_server]]\nip = \"192.168.200.100\"\nport = 80\ndelay_loop = 1\n"
	parse := func(s string) *config.Config {
		cfg, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	d := &daemon{cfg: parse(vs + rs("10.0.0.1")), log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	d.health = newHealthPart(d)
	if err := d.health.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.health.stop(context.Background())
	if err := d.health.reload(parse(vs+rs("10.0.0.1")+rs("10.0.0.2")), namedDiff{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ := d.health.view()
		if v.CheckedServers == 2 && v.Results[healthcheck.ReasonOK] >= 2 {
			// one check shared by both real servers (same target and spec)
			if v.Checks != 1 {
				t.Fatalf("%d checks for two real servers with the same check, want 1", v.Checks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after reload: %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	bad := parse(vs + rs("10.0.0.1") + "\n[[virtual_server.real_server.misc_check]]\nmisc_path = \"/bin/true\"\nuser = \"no-such-user-lvsd\"\n")
	if err := d.health.reload(bad, namedDiff{}); err == nil {
		t.Fatal("a configuration with an unknown script user was accepted")
	}
	if v, _ := d.health.view(); v.CheckedServers != 2 {
		t.Fatalf("refused reload changed the running checks: %+v", v)
	}
}
