package ipvstest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// ecmpConfig is one of N active directors: the same mh virtual server in
// direct routing on every director, so that each maps a flow to the same
// real server, and lvs_sync_daemon without a VRRP instance: master and
// backup at once, each director sends the connections it forwards and
// takes the others'.
const ecmpConfig = `
[global]
router_id = "%s"
lvs_sync_daemon = { interface = "eth0", sync_id = 60 }

[[virtual_server]]
ip = "10.99.1.100"
port = 80
lb_algo = "mh"
mh-port = true
lb_kind = "DR"

[[virtual_server.real_server]]
ip = "10.99.0.4"
port = 80

[[virtual_server.real_server]]
ip = "10.99.0.5"
port = 80

[bgp]
asn = 65001
router_id = "%s"
graceful_shutdown_delay = 1

[[bgp.neighbor]]
address = "10.99.0.1"
peer_asn = 65000
hold_time = 3
keepalive_time = 1

[[bgp.announce]]
prefix = "10.99.1.100/32"
`

// ecmpRouterConf: FRR bgpd of the router namespace, AS 65000, both
// directors as eBGP neighbors, multipath.
const ecmpRouterConf = `hostname router
router bgp 65000
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
 neighbor 10.99.0.2 remote-as 65001
 neighbor 10.99.0.2 timers 1 3
 neighbor 10.99.0.2 timers connect 1
 neighbor 10.99.0.3 remote-as 65001
 neighbor 10.99.0.3 timers 1 3
 neighbor 10.99.0.3 timers connect 1
 address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
`

// startRouter runs FRR zebra and bgpd in n, sockets and configuration in
// a directory of their own (run.sh --frr puts FRR in the VM).
func startRouter(t *testing.T, n *netlab.Node) string {
	t.Helper()
	testenv.NeedFRR(t)
	dir, err := os.MkdirTemp("", "lvsd-frr-") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, content := range map[string]string{"zebra.conf": "hostname router\n", "bgpd.conf": ecmpRouterConf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := func(d string) []string {
		return []string{"-f", filepath.Join(dir, d+".conf"), "-i", filepath.Join(dir, d+".pid"),
			"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir, "--log", "file:" + filepath.Join(dir, d+".log")}
	}
	// zebra drops to the frr user: the directory must be reachable by it
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	z := n.Start(testenv.FRRDir+"/zebra", append(common("zebra"), "-u", "frr", "-g", "frr")...)
	if !netlab.WaitFor(20*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "zserv.api")); return err == nil }) {
		t.Fatalf("zebra did not start:\n%s", z.Out.String())
	}
	// bgpd stays root (-S): it binds port 179
	b := n.Start(testenv.FRRDir+"/bgpd", append(common("bgpd"), "-S")...)
	// no vtysh here: it wants PAM, which the VM has not; the route is
	// read from the kernel (zebra installs it)
	if !netlab.WaitFor(20*time.Second, func() bool {
		log, _ := os.ReadFile(filepath.Join(dir, "bgpd.log"))
		return strings.Contains(string(log), "starting:")
	}) {
		log, _ := os.ReadFile(filepath.Join(dir, "bgpd.log"))
		t.Fatalf("bgpd did not start:\n%s\nbgpd.log:\n%s", b.Out.String(), log)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"bgpd.log", "zebra.log"} {
				out, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("router %s:\n%s", f, out)
			}
		}
	})
	return dir
}

// nexthops is the kernel route of prefix in n (as zebra installed it from
// bgpd's best paths): its gateways, sorted.
func nexthops(t *testing.T, n *netlab.Node, prefix string) []string {
	out, err := n.Exec(t.Context(), "ip", "-4", "route", "show", prefix)
	if err != nil {
		return nil
	}
	var via []string
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "via" {
			via = append(via, f[i+1])
		}
	}
	slices.Sort(via)
	return via
}

// TestECMPDirectors: two active directors behind a multipath route (the
// client namespace is the router: FRR bgpd with multipath, one next hop
// per director from their BGP announcements, hashing on ports): flows
// spread over both; one director stops (GRACEFUL_SHUTDOWN, withdrawal,
// then its IPVS teardown) and leaves the route; the connections it
// carried continue through the other (the sync daemon gave it their
// entries; mh would pick the same real server anyway) and new ones land
// there. No sloppy_tcp: without the synced entries the moved flows' packets
// would not be taken in the middle.
func TestECMPDirectors(t *testing.T) {
	testenv.NeedIPVS(t)
	bin := testenv.LvsdBinary(t)
	lab := netlab.New(t, "cl", "d1", "d2", "rs1", "rs2")
	// sysctl before zebra installs the route: hash on ports
	lab.Node("cl").MustExec("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1")
	startRouter(t, lab.Node("cl"))
	cl, d1, d2, rs1, rs2 := lab.Node("cl"), lab.Node("d1"), lab.Node("d2"), lab.Node("rs1"), lab.Node("rs2")
	vip := "10.99.1.100"
	for _, rs := range []*netlab.Node{rs1, rs2} {
		rs.MustExec("ip", "addr", "add", vip+"/32", "dev", "lo")
		rs.MustExec("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1")
		rs.MustExec("sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2")
		var ln net.Listener
		if err := rs.Do(func() (err error) { ln, err = net.Listen("tcp4", ":80"); return err }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		name := rs.Name
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					sc := bufio.NewScanner(c)
					for sc.Scan() {
						fmt.Fprintf(c, "%s %s\n", name, sc.Text())
					}
				}()
			}
		}()
	}
	dir := t.TempDir()
	procs := map[*netlab.Node]*netlab.Process{}
	for _, d := range []*netlab.Node{d1, d2} {
		d.MustExec("ip", "addr", "add", vip+"/32", "dev", "lo")
		f := filepath.Join(dir, d.Name+".toml")
		if err := os.WriteFile(f, []byte(fmt.Sprintf(ecmpConfig, d.Name, d.IP)), 0o644); err != nil {
			t.Fatal(err)
		}
		procs[d] = d.Start(bin, "run", "-f", f, "--socket", filepath.Join(dir, d.Name+".sock"), "--state-file", "none")
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("d1:\n%s\nd2:\n%s", procs[d1].Out, procs[d2].Out)
		}
	})
	for _, d := range []*netlab.Node{d1, d2} {
		if !netlab.WaitFor(20*time.Second, func() bool {
			out, err := d.Exec(t.Context(), "ipvsadm", "-Ln")
			return err == nil && strings.Count(string(out), "-> 10.99.0.") == 2
		}) {
			t.Fatalf("%s: IPVS service not set up", d.Name)
		}
		if !netlab.WaitFor(10*time.Second, func() bool {
			out, err := d.Exec(t.Context(), "ipvsadm", "-L", "--daemon")
			return err == nil && strings.Contains(string(out), "master sync daemon") && strings.Contains(string(out), "backup sync daemon")
		}) {
			out, _ := d.Exec(t.Context(), "ipvsadm", "-L", "--daemon")
			t.Fatalf("%s: sync daemons not master and backup:\n%s", d.Name, out)
		}
	}
	both := []string{d1.IP.String(), d2.IP.String()}
	slices.Sort(both)
	if !netlab.WaitFor(30*time.Second, func() bool { return slices.Equal(nexthops(t, cl, vip), both) }) {
		out, _ := cl.Exec(t.Context(), "ip", "route")
		t.Fatalf("router: no route to %s via both directors from BGP:\n%s", vip, out)
	}
	if out := cl.MustExec("ip", "-4", "route", "show", vip); !strings.Contains(out, "proto bgp") {
		t.Fatalf("router's route is not BGP's: %s", out)
	}

	type flow struct {
		c  net.Conn
		rd *bufio.Reader
		rs string
	}
	talk := func(f *flow, msg string) error {
		f.c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(f.c, "%s\n", msg); err != nil {
			return err
		}
		line, err := f.rd.ReadString('\n')
		if err != nil {
			return err
		}
		rs, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if rest != msg || f.rs != "" && rs != f.rs {
			return fmt.Errorf("answer %q (real server before: %q)", line, f.rs)
		}
		f.rs = rs
		return nil
	}
	open := func(n int) []*flow {
		var fs []*flow
		for i := range n {
			var c net.Conn
			if err := cl.Do(func() (err error) { c, err = net.DialTimeout("tcp4", vip+":80", 5*time.Second); return err }); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			t.Cleanup(func() { c.Close() })
			f := &flow{c: c, rd: bufio.NewReader(c)}
			if err := talk(f, "hello"); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			fs = append(fs, f)
		}
		return fs
	}
	conns := func(d *netlab.Node) int {
		out, _ := d.Exec(t.Context(), "ipvsadm", "-Lnc")
		return strings.Count(string(out), "ESTABLISHED")
	}
	flows := open(40)
	n1, n2 := conns(d1), conns(d2)
	t.Logf("40 connections: %d through d1, %d through d2", n1, n2)
	if n1 == 0 || n2 == 0 {
		t.Fatalf("flows not spread over both directors: d1 %d, d2 %d", n1, n2)
	}

	// d2 learns d1's connections from d1's sync master (sent after the
	// third packet, flushed by the kernel's sync thread within ~2 s)
	var synced int
	netlab.WaitFor(10*time.Second, func() bool { synced = conns(d2); return synced >= len(flows) })
	t.Logf("d2 holds %d established entries (its %d and %d synced from d1)", synced, n2, synced-n2)
	if synced < len(flows) {
		out, _ := d2.Exec(t.Context(), "ipvsadm", "-Lnc")
		t.Fatalf("d2 has %d established entries before d1 leaves, want %d (d1's synced):\n%s", synced, len(flows), out)
	}

	// d1 stops: GRACEFUL_SHUTDOWN and its withdrawal move the router's
	// flows to d2 before d1's IPVS goes.
	stop := time.Now()
	if err := procs[d1].Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(15*time.Second, func() bool { return slices.Equal(nexthops(t, cl, vip), []string{d2.IP.String()}) }) {
		t.Fatalf("router: d1's next hop stays: %v", nexthops(t, cl, vip))
	}
	t.Logf("d1's next hop left the router's route %v after SIGTERM", time.Since(stop).Round(10*time.Millisecond))
	if err := procs[d1].Wait(15 * time.Second); err != nil {
		t.Errorf("d1 exit: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := talk(f, "after"); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				t.Errorf("connection %d after d1 left: %v", i, err)
			}
		}()
	}
	wg.Wait()
	t.Logf("after d1 left: %d of %d existing connections continue through d2", len(flows)-failed, len(flows))
	before := conns(d2)
	open(10)
	if after := conns(d2); after < before+10 {
		t.Errorf("new connections: d2 has %d established entries, want at least %d", after, before+10)
	}
}
