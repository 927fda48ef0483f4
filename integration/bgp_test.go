package integration

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// The BGP scale-out lab: a router (FRR zebra + bgpd, AS 65000, multipath)
// at 10.99.0.1, directors d1 and d2 (AS 65001) at .2 and .3 announcing
// 192.0.2.10/32 (d1 gated by a VRRP instance tracking its real server's
// HTTP port, d2 without VRRP, the VIP on lo by bgp.announce.dev), a real
// server at .4, and
// two directors that must never establish: d3 (.5) with a wrong TCP MD5
// password and d4 (.6) with a wrong AS; d5 (.7) is a third healthy director.
var bgpVIP = netip.MustParsePrefix("192.0.2.10/32")

const bgpPassword = "s3cret"

// frrRouter is zebra and bgpd of one namespace, with sockets, pid files and
// configuration in a directory of their own (never the system's /run/frr).
type frrRouter struct {
	dir string
}

func startFRR(t testing.TB, n *netlab.Node, bgpdConf string) *frrRouter {
	t.Helper()
	testenv.NeedFRR(t)
	// zebra drops to the frr user: the directory must be reachable by it
	dir, err := os.MkdirTemp("", "lvsd-frr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"zebra.conf": "hostname router\n", "bgpd.conf": bgpdConf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := func(d string) []string {
		return []string{"-f", filepath.Join(dir, d+".conf"), "-i", filepath.Join(dir, d+".pid"),
			"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir, "--log", "file:" + filepath.Join(dir, d+".log")}
	}
	z := n.Start(testenv.FRRDir+"/zebra", append(common("zebra"), "-u", "frr", "-g", "frr")...)
	if !netlab.WaitFor(10*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "zserv.api")); return err == nil }) {
		t.Fatalf("zebra did not start:\n%s", z.Out.String())
	}
	// bgpd stays root (-S): it binds port 179 and sets TCP MD5 keys
	b := n.Start(testenv.FRRDir+"/bgpd", append(common("bgpd"), "-S")...)
	r := &frrRouter{dir: dir}
	if !netlab.WaitFor(10*time.Second, func() bool { _, err := r.vtysh("show bgp summary"); return err == nil }) {
		t.Fatalf("bgpd did not start:\n%s", b.Out.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"bgpd.log", "zebra.log"} {
				out, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("router %s:\n%s", f, out)
			}
		}
	})
	return r
}

func (r *frrRouter) vtysh(cmd string) ([]byte, error) {
	return exec.Command("vtysh", "--vty_socket", r.dir, "-c", cmd).Output()
}

// nexthops returns the active next hops of the router's installed BGP route
// to p (show ip route json: the RIB, as zebra installed it), sorted.
func (r *frrRouter) nexthops(p netip.Prefix) ([]string, error) {
	out, err := r.vtysh("show ip route " + p.String() + " json")
	if err != nil {
		return nil, err
	}
	var rib map[string][]struct {
		Protocol  string `json:"protocol"`
		Installed bool   `json:"installed"`
		Nexthops  []struct {
			IP     string `json:"ip"`
			Active bool   `json:"active"`
		} `json:"nexthops"`
	}
	if err := json.Unmarshal(out, &rib); err != nil {
		return nil, fmt.Errorf("show ip route json: %w: %s", err, out)
	}
	var nh []string
	for _, rt := range rib[p.String()] {
		if rt.Protocol != "bgp" || !rt.Installed {
			continue
		}
		for _, h := range rt.Nexthops {
			if h.Active {
				nh = append(nh, h.IP)
			}
		}
	}
	slices.Sort(nh)
	return nh, nil
}

// communities returns the community strings of the router's BGP paths to p
// by next hop.
func (r *frrRouter) communities(p netip.Prefix) map[string]string {
	out, err := r.vtysh("show bgp ipv4 unicast " + p.String() + " json")
	if err != nil {
		return nil
	}
	var v struct {
		Paths []struct {
			Community struct {
				String string `json:"string"`
			} `json:"community"`
			Nexthops []struct {
				IP string `json:"ip"`
			} `json:"nexthops"`
		} `json:"paths"`
	}
	if json.Unmarshal(out, &v) != nil {
		return nil
	}
	m := map[string]string{}
	for _, pa := range v.Paths {
		if len(pa.Nexthops) > 0 {
			m[pa.Nexthops[0].IP] = pa.Community.String
		}
	}
	return m
}

// waitNexthops waits until the router's next hops for p are want and
// returns when they became so.
func (r *frrRouter) waitNexthops(t testing.TB, p netip.Prefix, within time.Duration, want ...string) time.Time {
	t.Helper()
	slices.Sort(want)
	var got []string
	var err error
	if netlab.WaitFor(within, func() bool {
		got, err = r.nexthops(p)
		return err == nil && slices.Equal(got, want)
	}) {
		return time.Now()
	}
	t.Fatalf("router next hops for %s: %v (err %v), want %v within %s", p, got, err, want, within)
	return time.Time{}
}

func bgpRouterConf(neighbors map[string]int) string {
	var b strings.Builder
	b.WriteString("hostname router\nrouter bgp 65000\n bgp router-id 10.99.0.1\n no bgp ebgp-requires-policy\n")
	var addrs []string
	for a := range neighbors {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s password %s\n neighbor %s timers 1 3\n neighbor %s timers connect 1\n",
			a, neighbors[a], a, bgpPassword, a, a)
	}
	b.WriteString(" address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n")
	return b.String()
}

// bgpDirectorConf: one VRRP instance alone on its VRID (so it becomes
// MASTER by itself) holding the VIP on lo, failing over to FAULT when its
// real server's HTTP port stops answering (vrrp_script, weight 0), and the
// VIP announced while the instance is MASTER.
func bgpDirectorConf(n *netlab.Node, asn int, password string, rsPort int) string {
	return fmt.Sprintf(`[global]
router_id = "%[1]s"

[[vrrp_script]]
name = "real_server"
script = "curl -sf -m 2 -o /dev/null http://10.99.0.4:%[5]d/"
interval = 1
timeout = 3
fall = 1
rise = 1

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = %[2]d
priority = 100
advert_int = 1
virtual_ipaddress = ["192.0.2.10/32 dev lo"]
track_script = ["real_server"]

[bgp]
asn = %[3]d
router_id = "%[1]s"
graceful_shutdown_delay = 1

[[bgp.neighbor]]
address = "10.99.0.1"
peer_asn = 65000
password = "%[4]s"
hold_time = 3
keepalive_time = 1

[[bgp.announce]]
prefix = "192.0.2.10/32"
only_when_master = "VI_1"
communities = ["65001:%[2]d"]
`, n.IP, 10+n.Index, asn, password, rsPort)
}

// bgpStatus is the BGP part of `lvsd status --json`.
type bgpStatus struct {
	BGP *struct {
		Neighbors []bgpNeighborStatus `json:"neighbors"`
		Prefixes  []struct {
			Prefix    string `json:"prefix"`
			Announced bool   `json:"announced"`
			Reason    string `json:"reason"`
		} `json:"prefixes"`
	} `json:"bgp"`
}

type bgpNeighborStatus struct {
	Address     string `json:"address"`
	State       string `json:"state"`
	LastError   string `json:"last_error"`
	Transitions uint64 `json:"transitions"`
	Flaps       uint64 `json:"flaps"`
}

// bgpStaticDirectorConf: no VRRP; the VIP announced while lvsd runs, and
// put on lo by lvsd itself (dev).
func bgpStaticDirectorConf(n *netlab.Node, asn int, password string) string {
	return fmt.Sprintf(`[global]
router_id = "%[1]s"

[bgp]
asn = %[2]d
router_id = "%[1]s"
graceful_shutdown_delay = 1

[[bgp.neighbor]]
address = "10.99.0.1"
peer_asn = 65000
password = "%[3]s"
hold_time = 3
keepalive_time = 1

[[bgp.announce]]
prefix = "192.0.2.10/32"
dev = "lo"
`, n.IP, asn, password)
}

func lvsdStatus(t *testing.T, d *daemon) *bgpStatus {
	t.Helper()
	var sock string
	for i, a := range d.proc.Cmd.Args {
		if a == "--socket" {
			sock = d.proc.Cmd.Args[i+1]
		}
	}
	out, err := exec.Command(testenv.LvsdBinary(t), "status", "--json", "--socket", sock).Output()
	if err != nil {
		t.Fatalf("lvsd status on %s: %v", d.node.Name, err)
	}
	var s bgpStatus
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestBGPScaleOut: two directors announce one VIP to a router that spreads
// it over both (ECMP); a director whose real server fails withdraws, a
// killed one disappears after the hold time, a stopped one sends the
// graceful-shutdown community and withdraws before its VIP goes; a wrong
// password or AS never establishes and lvsd status says so.
func TestBGPScaleOut(t *testing.T) {
	testenv.NeedFRR(t)
	bb := testenv.NeedBinary(t, "busybox")
	testenv.NeedBinary(t, "curl")
	lab := netlab.New(t, "router", "d1", "d2", "rs", "d3", "d4", "d5")
	router, d1n, d2n, rsn, d3n, d4n := lab.Node("router"), lab.Node("d1"), lab.Node("d2"), lab.Node("rs"), lab.Node("d3"), lab.Node("d4")
	d5n := lab.Node("d5")
	d5 := d5n.IP.String()
	r := startFRR(t, router, bgpRouterConf(map[string]int{
		d1n.IP.String(): 65001, d2n.IP.String(): 65001, d3n.IP.String(): 65001, d4n.IP.String(): 65001, d5: 65001,
	}))
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	httpd := map[int]*netlab.Process{}
	serve := func(port int) {
		httpd[port] = rsn.Start(bb, "httpd", "-f", "-p", fmt.Sprint(port), "-h", www)
	}
	serve(8081)

	d1 := startLvsd(t, d1n, bgpDirectorConf(d1n, 65001, bgpPassword, 8081))
	d2 := startLvsd(t, d2n, bgpStaticDirectorConf(d2n, 65001, bgpPassword))
	d3 := startLvsd(t, d3n, bgpStaticDirectorConf(d3n, 65001, "wrong"))
	d4 := startLvsd(t, d4n, bgpStaticDirectorConf(d4n, 65009, bgpPassword))
	startLvsd(t, d5n, bgpStaticDirectorConf(d5n, 65001, bgpPassword)) // a third healthy director

	t.Log("three healthy directors: one next hop each")
	r.waitNexthops(t, bgpVIP, 30*time.Second, d1n.IP.String(), d2n.IP.String(), d5)

	t.Run("wrong password or AS never establishes", func(t *testing.T) {
		for _, d := range []*daemon{d3, d4} {
			var n bgpNeighborStatus
			ok := netlab.WaitFor(10*time.Second, func() bool {
				s := lvsdStatus(t, d)
				if s.BGP == nil || len(s.BGP.Neighbors) != 1 {
					return false
				}
				n = s.BGP.Neighbors[0]
				return n.LastError != ""
			})
			t.Logf("%s: neighbor %s state %s, last error %q", d.node.Name, n.Address, n.State, n.LastError)
			if !ok || n.State == "established" || n.Transitions > 0 && n.Flaps > 0 {
				t.Errorf("%s: neighbor %+v: want never established, with a last error", d.node.Name, n)
			}
		}
		if s := lvsdStatus(t, d4); !strings.Contains(s.BGP.Neighbors[0].LastError, "refused") {
			t.Errorf("d4 (wrong AS): last error %q, want the router's refusal of our OPEN", s.BGP.Neighbors[0].LastError)
		}
		if nh, _ := r.nexthops(bgpVIP); slices.Contains(nh, d3n.IP.String()) || slices.Contains(nh, d4n.IP.String()) {
			t.Errorf("router next hops %v include a director that must not establish", nh)
		}
	})

	t.Run("real server fails: withdrawn", func(t *testing.T) {
		failed := time.Now()
		httpd[8081].Kill()
		at := r.waitNexthops(t, bgpVIP, 15*time.Second, d2n.IP.String(), d5)
		t.Logf("real server failure to withdrawal at the router: %s (check interval 1 s)", at.Sub(failed).Round(time.Millisecond))
		s := lvsdStatus(t, d1)
		if p := s.BGP.Prefixes[0]; p.Announced || p.Reason != "not-master" {
			t.Errorf("d1 prefix status %+v, want withdrawn, not-master", p)
		}
		serve(8081)
		r.waitNexthops(t, bgpVIP, 20*time.Second, d1n.IP.String(), d2n.IP.String(), d5)
	})

	t.Run("kill -9: next hop gone after the hold time", func(t *testing.T) {
		killed := time.Now()
		d1.kill9(t) // link down first: no FIN, the router must time out
		at := r.waitNexthops(t, bgpVIP, 15*time.Second, d2n.IP.String(), d5)
		took := at.Sub(killed)
		t.Logf("kill -9 to withdrawal at the router: %s (hold time 3 s)", took.Round(time.Millisecond))
		if took < 2*time.Second {
			t.Errorf("next hop gone after %s, before the hold time: the session did not time out", took)
		}
	})

	t.Run("graceful stop: GRACEFUL_SHUTDOWN, withdrawal, then the VIP goes", func(t *testing.T) {
		if !d2n.HasAddr(bgpVIP.Addr()) {
			t.Fatal("d2 does not hold the VIP on lo (bgp.announce.dev)")
		}
		stopped := time.Now()
		if err := d2.proc.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var gshutSeen, vipAtGshut bool
		netlab.WaitFor(5*time.Second, func() bool {
			c := r.communities(bgpVIP)[d2n.IP.String()]
			if strings.Contains(c, "graceful-shutdown") {
				gshutSeen, vipAtGshut = true, d2n.HasAddr(bgpVIP.Addr())
				return true
			}
			return false
		})
		gone := r.waitNexthops(t, bgpVIP, 10*time.Second, d5)
		t.Logf("SIGTERM to withdrawal at the router: %s (graceful_shutdown_delay 1 s)", gone.Sub(stopped).Round(time.Millisecond))
		if err := d2.proc.Wait(15 * time.Second); err != nil {
			t.Errorf("lvsd exit: %v", err)
		}
		if !gshutSeen || !vipAtGshut {
			t.Errorf("graceful-shutdown community seen %v, VIP still on d2 then %v; want both", gshutSeen, vipAtGshut)
		}
		if d2n.HasAddr(bgpVIP.Addr()) {
			t.Error("the VIP is still on d2's lo after lvsd stopped")
		}
		out := d2.proc.Out.String()
		w := strings.Index(out, "bgp prefix withdrawn")
		v := strings.Index(out[max(w, 0):], "bgp address removed")
		if w < 0 || v < 0 {
			t.Errorf("d2 log: want \"bgp prefix withdrawn\" before \"bgp address removed\" (withdrawal %d, removal after it %d)", w, v)
		}
	})
}
