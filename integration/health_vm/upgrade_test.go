package health_vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

// upgradeConf: rs1 passes its http_get, rs2 (no HTTP server yet) fails it.
const upgradeConf = `
[[virtual_server]]
ip = "172.16.0.100"
port = 80
lb_algo = "wrr"
lb_kind = "NAT"
delay_loop = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
port = 80
weight = 3
[[virtual_server.real_server.http_get]]
url = [{ path = "/", status_code = 200 }]
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "10.99.0.3"
port = 80
weight = 2
[[virtual_server.real_server.http_get]]
url = [{ path = "/", status_code = 200 }]
connect_timeout = 1
retry = 1
delay_before_retry = 1
`

// TestUpgradeKeepsIPVS: `lvsd upgrade` on a director in the kernel's IPVS:
// the table is the same after as before (destinations and weights), the
// service was not re-created (its connection counter goes on from where it
// was: a new service starts at 0), rs2, failing its check, was not put back
// for a moment, and the new process's checkers go on (rs2's server started
// after the upgrade brings it in).
func TestUpgradeKeepsIPVS(t *testing.T) {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	lvsd := testenv.LvsdBinary(t)
	lab := netlab.New(t, "dir", "rs1", "rs2", "cl")
	dir, rs1, rs2, cl := lab.Node("dir"), lab.Node("rs1"), lab.Node("rs2"), lab.Node("cl")
	for _, c := range [][]string{
		{"ip", "addr", "add", "172.16.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", vip.String() + "/32", "dev", "eth0"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"},
		{"sysctl", "-qw", "net.ipv4.conf.eth0.send_redirects=0"},
	} {
		dir.MustExec(c[0], c[1:]...)
	}
	cl.MustExec("ip", "addr", "add", client.String()+"/24", "dev", "eth0")
	servers := map[string]*server{}
	for _, n := range []*netlab.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "10.99.0.1")
		n.MustExec("sysctl", "-qw", "net.ipv4.conf.all.accept_redirects=0")
		servers[n.Name] = &server{t: t, node: n, addr: ":80", body: n.Name + "\n"}
	}
	servers["rs1"].start()
	t.Cleanup(servers["rs1"].stop)
	t.Cleanup(servers["rs2"].stop)

	tmp := t.TempDir()
	cfg, sock, pidFile := filepath.Join(tmp, "lvsd.toml"), filepath.Join(tmp, "lvsd.sock"), filepath.Join(tmp, "lvsd.pid")
	if err := os.WriteFile(cfg, []byte(upgradeConf), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := func() int {
		b, _ := os.ReadFile(pidFile)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	p := dir.Start(lvsd, "run", "-f", cfg, "--socket", sock, "--pid-file", pidFile,
		"--state-file", filepath.Join(tmp, "lvsd.state"), "--log-level", "debug")
	t.Cleanup(func() {
		// the process the upgrade started is not p: stop it by its pid
		if n := pid(); n > 0 && n != p.Cmd.Process.Pid {
			_ = syscall.Kill(n, syscall.SIGTERM)
			for i := 0; i < 50 && syscall.Kill(n, 0) == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if t.Failed() {
			t.Logf("lvsd output:\n%s", p.Out.String())
		}
	})
	var c ipvs.Client
	if err := dir.Do(func() (err error) { c, err = ipvs.New(); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vip, Port: 80}
	table := func() string {
		ds, err := c.Destinations(svc)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%s w%d", d.DestKey, d.Weight))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	conns := func() uint64 {
		ss, err := c.Services()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.ServiceKey == svc {
				return s.Stats.Connections
			}
		}
		t.Fatalf("service %v gone", svc)
		return 0
	}
	want := "10.99.0.2:80 w3"
	if !netlab.WaitFor(30*time.Second, func() bool { return table() == want }) {
		t.Fatalf("before the upgrade: %q, want %q", table(), want)
	}
	if got := bodies(t, cl, 5); got["rs1\n"] != 5 {
		t.Fatalf("through the VIP: %v, want rs1 five times", got)
	}
	// the kernel sums its per-CPU counters every 2 s
	if !netlab.WaitFor(10*time.Second, func() bool { return conns() >= 5 }) {
		t.Fatalf("service connection counter %d after 5 connections", conns())
	}
	before := conns()
	oldPid := pid()

	// watch the table through the upgrade: it must never change
	stop := make(chan struct{})
	changes := make(chan string, 1)
	go func() {
		defer close(changes)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if got := table(); got != want {
				changes <- got
				return
			}
		}
	}()
	t0 := time.Now()
	out, err := exec.Command(lvsd, "upgrade", "--socket", sock).CombinedOutput()
	if err != nil {
		t.Fatalf("lvsd upgrade: %v: %s", err, out)
	}
	t.Logf("lvsd upgrade took %v: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(string(out)))
	time.Sleep(3 * time.Second) // a few check rounds of the new process
	close(stop)
	if got, changed := <-changes; changed {
		t.Errorf("the table changed during the upgrade: %q, want %q throughout", got, want)
	}
	if n := pid(); n == oldPid || n == 0 {
		t.Fatalf("pid file %d after the upgrade, was %d", n, oldPid)
	}
	if after := conns(); after < before {
		t.Errorf("service connection counter %d after the upgrade, %d before: the service was re-created", after, before)
	} else {
		t.Logf("service connection counter %d before, %d after the upgrade", before, after)
	}
	if got := bodies(t, cl, 3); got["rs1\n"] != 3 {
		t.Fatalf("through the VIP after the upgrade: %v", got)
	}
	// the new process checks: rs2 comes up
	servers["rs2"].start()
	want2 := "10.99.0.2:80 w3,10.99.0.3:80 w2"
	if !netlab.WaitFor(30*time.Second, func() bool { return table() == want2 }) {
		t.Fatalf("rs2 started after the upgrade: %q, want %q", table(), want2)
	}
	if !strings.Contains(p.Out.String(), "upgrade: took over") {
		t.Errorf("the new process did not log its take-over")
	}
}
