package ipvstest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
`

// TestECMPDirectors: two active directors behind a multipath route (the
// client namespace is the router: one next hop per director, hashing on
// ports, as after BGP announcements from both): flows spread over both;
// one director is withdrawn from the route and stops; the connections it
// carried continue through the other (the sync daemon gave it their
// entries; mh would pick the same real server anyway) and new ones land
// there. No sloppy_tcp: without the synced entries the moved flows' packets
// would not be taken in the middle.
func TestECMPDirectors(t *testing.T) {
	testenv.NeedIPVS(t)
	bin := testenv.LvsdBinary(t)
	lab := netlab.New(t, "cl", "d1", "d2", "rs1", "rs2")
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
		if err := os.WriteFile(f, []byte(fmt.Sprintf(ecmpConfig, d.Name)), 0o644); err != nil {
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
	cl.MustExec("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1")
	cl.MustExec("ip", "route", "add", vip+"/32", "nexthop", "via", d1.IP.String(), "nexthop", "via", d2.IP.String())

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

	// d1 leaves: the router drops its next hop (its BGP withdrawal), then it stops.
	cl.MustExec("ip", "route", "replace", vip+"/32", "via", d2.IP.String())
	if err := procs[d1].Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
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
