package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/snmplab"
	"github.com/lvsd/lvsd/ipvs"
)

// TestSNMPChecker: the SNMP part serves KEEPALIVED-MIB's checker tables
// from what the health part knows (IPVS is the recording fake: the host
// has none) to a private Debian snmpd, and a real server going down sends
// realServerStateChange and virtualServerQuorumStateChange through it.
func TestSNMPChecker(t *testing.T) {
	n := snmplab.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	conf := fmt.Sprintf(`[global]
router_id = "lb1"
enable_snmp_checker = true
enable_traps = true
snmp_socket = "unix:%s"

[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "wrr"
lb_kind = "DR"
delay_loop = 1
quorum = 1
snmp_name = "web"

[[virtual_server.real_server]]
ip = "127.0.0.1"
port = %d
snmp_name = "web-1"

[[virtual_server.real_server.tcp_check]]
connect_timeout = 1
retry = 0
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "127.0.0.1"
port = %d
weight = 3
inhibit_on_failure = true

[[virtual_server.real_server.tcp_check]]
connect_timeout = 1
retry = 0
delay_before_retry = 1
`, n.Socket, ln.Addr().(*net.TCPAddr).Port, closedPort)
	cfg, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	d.ipvs = newIPVSPart(d)
	f := ipvs.NewFake()
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	d.health = newHealthPart(d)
	d.snmp = newSNMPPart(d)
	d.snmp.retry, d.snmp.version = 50*time.Millisecond, "test"
	for _, s := range []step{{"ipvs", d.ipvs.start, d.ipvs.stop}, {"health", d.health.start, d.health.stop}, {"snmp", d.snmp.start, d.snmp.stop}} {
		if err := s.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer s.stop(context.Background())
	}

	walkUntil := func(what, oid string, want ...string) {
		t.Helper()
		var out string
		snmplab.WaitFor(t, what+": "+strings.Join(want, ", "), 20*time.Second, func() bool {
			out, _ = n.TryWalk(oid)
			for _, w := range want {
				if !strings.Contains(out, w) {
					return false
				}
			}
			return true
		})
	}
	walkUntil("checks done", "KEEPALIVED-MIB::check",
		`KEEPALIVED-MIB::virtualServerName.1 = STRING: web`,
		`KEEPALIVED-MIB::virtualServerLoadBalancingAlgo.1 = INTEGER: wrr(2)`,
		`KEEPALIVED-MIB::virtualServerRealServersTotal.1 = Gauge32: 2`,
		`KEEPALIVED-MIB::virtualServerRealServersUp.1 = Gauge32: 1`,
		`KEEPALIVED-MIB::virtualServerQuorumStatus.1 = INTEGER: met(1)`,
		`KEEPALIVED-MIB::realServerStatus.1.1 = INTEGER: alive(1)`,
		`KEEPALIVED-MIB::realServerStatus.1.2 = INTEGER: dead(2)`,
		`KEEPALIVED-MIB::realServerFailedChecks.1.2 = Gauge32: 1`,
		`KEEPALIVED-MIB::realServerActionWhenDown.1.2 = INTEGER: inhibit(2)`,
		`KEEPALIVED-MIB::realServerName.1.1 = STRING: web-1`,
		`KEEPALIVED-MIB::realServerWeight.1.2 = INTEGER: 0`, // inhibited in the (fake) kernel
	)
	walkUntil("global", "KEEPALIVED-MIB::routerId", `routerId.0 = STRING: lb1`)

	ln.Close() // the first real server fails: the quorum is lost
	var traps string
	snmplab.WaitFor(t, "the checker traps", 20*time.Second, func() bool {
		traps = n.Traps()
		return strings.Contains(traps, "realServerStateChange") && strings.Contains(traps, "virtualServerQuorumStateChange")
	})
	for _, want := range []string{
		`KEEPALIVED-MIB::realServerStatus.1.1 = INTEGER: dead(2)`,
		`KEEPALIVED-MIB::realServerPort.1.1 = Gauge32: ` + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port),
		`KEEPALIVED-MIB::virtualServerQuorumStatus.1 = INTEGER: notMet(2)`,
		`KEEPALIVED-MIB::virtualServerRealServersUp.1 = Gauge32: 0`,
		`KEEPALIVED-MIB::routerId.0 = STRING: lb1`,
	} {
		if !strings.Contains(traps, want) {
			t.Errorf("snmptrapd log: no %q in\n%s", want, traps)
		}
	}
	if st := d.snmp.status(); !st.Connected || st.TrapsSent < 2 {
		t.Errorf("status: %+v", st)
	}
}

// TestSNMPReload: a reload that turns SNMP off closes the session, one
// that turns it on again opens a new one, and one that changes only
// enable_traps keeps the session.
func TestSNMPReload(t *testing.T) {
	n := snmplab.Start(t)
	parse := func(global string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\n"+global))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	on := fmt.Sprintf("enable_snmp_vrrp = true\nsnmp_socket = %q\n", n.Socket)
	d := &daemon{cfg: parse(on), log: slog.New(slog.DiscardHandler)}
	d.snmp = newSNMPPart(d)
	d.snmp.retry = 50 * time.Millisecond
	if err := d.snmp.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.snmp.stop(context.Background())
	connected := func() bool { st := d.snmp.status(); return st != nil && st.Connected }
	snmplab.WaitFor(t, "the first session", 20*time.Second, connected)
	snmplab.WaitFor(t, "routerId served", 20*time.Second, func() bool {
		out, _ := n.TryWalk("KEEPALIVED-MIB::routerId")
		return strings.Contains(out, `STRING: lb1`)
	})

	d.snmp.reload(parse(on + "enable_traps = true\n"))
	if st := d.snmp.status(); st == nil || st.Sessions != 1 || !st.Connected {
		t.Errorf("after a reload of enable_traps alone: %+v, want the same session", st)
	}
	d.snmp.reload(parse(""))
	if st := d.snmp.status(); st != nil {
		t.Errorf("after a reload without SNMP: %+v, want no session", st)
	}
	if out, _ := n.TryWalk("KEEPALIVED-MIB::routerId"); strings.Contains(out, "lb1") {
		t.Errorf("after a reload without SNMP, snmpd still serves:\n%s", out)
	}
	d.snmp.reload(parse(on))
	snmplab.WaitFor(t, "a new session", 20*time.Second, connected)
}

// TestSNMPReloadKeepsVRRP: a reload that changes only SNMP keys leaves the
// VRRP side unchanged (no instance restarts).
func TestSNMPReloadKeepsVRRP(t *testing.T) {
	inst := "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\nvirtual_ipaddress = [\"10.0.0.1/24\"]\n"
	parse := func(global string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\n"+global+"\n"+inst))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	old, cfg := parse(""), parse("enable_snmp_vrrp = true\nenable_traps = true\nsnmp_socket = \"tcp:127.0.0.1:705\"")
	if p := planVRRPReload(old, cfg); !p.unchanged {
		t.Errorf("plan of an SNMP-only reload: %+v, want VRRP unchanged", p)
	}
}
