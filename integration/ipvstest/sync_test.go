package ipvstest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// syncConfig is a director of the pair: VRRP for the VIP, the IPVS sync
// daemon following VI_1, and one DR virtual server.
const syncConfig = `
[global]
router_id = "%s"
lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1", sync_id = 51 }

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = %d
advert_int = 1
virtual_ipaddress = ["10.99.0.100/32"]

[[virtual_server]]
ip = "10.99.0.100"
port = 80
lb_algo = "rr"
lb_kind = "DR"

[[virtual_server.real_server]]
ip = "10.99.0.3"
port = 80
`

// Two directors with VRRP and lvs_sync_daemon: a TCP connection opened
// through director A keeps working after A is killed and B takes the VIP,
// because B learnt the connection from A's sync daemon.
func TestSyncDaemonFailover(t *testing.T) {
	testenv.NeedIPVS(t)
	bin := testenv.LvsdBinary(t)
	lab := netlab.New(t, "a", "b", "rs", "cl")
	a, b, rs, cl := lab.Node("a"), lab.Node("b"), lab.Node("rs"), lab.Node("cl")
	vip := "10.99.0.100"
	for _, c := range [][]string{
		{"ip", "addr", "add", vip + "/32", "dev", "lo"},
		{"sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"},
		{"sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2"},
	} {
		rs.MustExec(c[0], c[1:]...)
	}
	// A line echo server on the real server.
	var ln net.Listener
	if err := rs.Do(func() (err error) { ln, err = net.Listen("tcp4", ":80"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
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
					fmt.Fprintf(c, "echo %s\n", sc.Text())
				}
			}()
		}
	}()

	dir := t.TempDir()
	start := func(n *netlab.Node, prio int) *netlab.Process {
		f := filepath.Join(dir, n.Name+".toml")
		if err := os.WriteFile(f, []byte(fmt.Sprintf(syncConfig, n.Name, prio)), 0o644); err != nil {
			t.Fatal(err)
		}
		return n.Start(bin, "run", "-f", f)
	}
	pa := start(a, 150)
	pb := start(b, 100)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("director a:\n%s\ndirector b:\n%s", pa.Out, pb.Out)
		}
	})
	hasVIP := func(n *netlab.Node) bool {
		return strings.Contains(n.MustExec("ip", "-4", "addr", "show", "dev", "eth0"), vip+"/32")
	}
	if !netlab.WaitFor(20*time.Second, func() bool { return hasVIP(a) }) {
		t.Fatal("director a never took the VIP")
	}
	daemons := func(n *netlab.Node) string { return n.MustExec("ipvsadm", "-L", "--daemon") }
	if !netlab.WaitFor(10*time.Second, func() bool {
		return strings.Contains(daemons(a), "master sync daemon") && strings.Contains(daemons(b), "backup sync daemon")
	}) {
		t.Fatalf("sync daemons: a %q, b %q", daemons(a), daemons(b))
	}

	// A long-lived connection through a.
	var conn net.Conn
	if err := cl.Do(func() (err error) { conn, err = net.DialTimeout("tcp4", vip+":80", 5*time.Second); return err }); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	talk := func(msg string) {
		t.Helper()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(conn, "%s\n", msg); err != nil {
			t.Fatalf("write %q: %v", msg, err)
		}
		line, err := rd.ReadString('\n')
		if err != nil || line != "echo "+msg+"\n" {
			t.Fatalf("answer to %q: %q, %v", msg, line, err)
		}
	}
	for i := range 5 {
		talk(fmt.Sprintf("before %d", i))
	}
	// b learns the connection from a's sync daemon.
	if !netlab.WaitFor(10*time.Second, func() bool {
		return strings.Contains(b.MustExec("ipvsadm", "-Lnc"), "10.99.0.4:")
	}) {
		t.Fatalf("connection not synced to b:\n%s", b.MustExec("ipvsadm", "-Lnc"))
	}

	// Kill a: no goodbye advert.
	a.LinkDown()
	pa.Signal(syscall.SIGKILL)
	if !netlab.WaitFor(15*time.Second, func() bool { return hasVIP(b) }) {
		t.Fatal("director b never took the VIP")
	}
	talk("after failover")
	if !netlab.WaitFor(10*time.Second, func() bool { return strings.Contains(daemons(b), "master sync daemon") }) {
		t.Errorf("b's sync daemon not switched to master: %q", daemons(b))
	}
}
