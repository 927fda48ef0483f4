package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/healthcheck/bfd"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// bfdPeer is FRR's zebra and bfdd in one namespace, in a directory of
// their own.
type bfdPeer struct {
	dir  string
	n    *netlab.Node
	bfdd *netlab.Process
}

func startBFDD(t testing.TB, n *netlab.Node, conf string) *bfdPeer {
	t.Helper()
	testenv.NeedFRRBFD(t)
	dir, err := os.MkdirTemp("", "lvsd-bfd-frr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"zebra.conf": "hostname peer\n", "bfdd.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &bfdPeer{dir: dir, n: n}
	z := n.Start(testenv.FRRDir+"/zebra", append(p.args("zebra"), "-u", "frr", "-g", "frr")...)
	if !netlab.WaitFor(10*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "zserv.api")); return err == nil }) {
		t.Fatalf("zebra did not start:\n%s", z.Out.String())
	}
	p.start(t)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "bfdd.log"))
			t.Logf("bfdd.log:\n%s", out)
		}
	})
	return p
}

func (p *bfdPeer) args(d string) []string {
	return []string{"-f", filepath.Join(p.dir, d+".conf"), "-i", filepath.Join(p.dir, d+".pid"),
		"-z", filepath.Join(p.dir, "zserv.api"), "--vty_socket", p.dir, "--log", "file:" + filepath.Join(p.dir, d+".log")}
}

func (p *bfdPeer) start(t testing.TB) {
	t.Helper()
	p.bfdd = p.n.Start(testenv.FRRDir+"/bfdd", append(p.args("bfdd"), "-u", "frr", "-g", "frr")...)
	if !netlab.WaitFor(10*time.Second, func() bool { _, err := p.vtysh("show bfd peers"); return err == nil }) {
		t.Fatalf("bfdd did not start:\n%s", p.bfdd.Out.String())
	}
}

func (p *bfdPeer) stop() {
	p.bfdd.Signal(syscall.SIGTERM)
	if p.bfdd.Wait(5*time.Second) != nil {
		p.bfdd.Kill()
	}
}

func (p *bfdPeer) vtysh(cmd string) ([]byte, error) {
	return exec.Command("vtysh", "--vty_socket", p.dir, "-c", cmd).Output()
}

// status is bfdd's view of its first peer ("up", "down", "init", ...).
func (p *bfdPeer) status() string {
	out, err := p.vtysh("show bfd peers json")
	if err != nil {
		return "error: " + err.Error()
	}
	var peers []struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(out, &peers) != nil || len(peers) == 0 {
		return "none"
	}
	return peers[0].Status
}

// nsConn opens a Manager's sockets inside a lab node's namespace.
type nsConn struct {
	*bfd.UDP
	n *netlab.Node
}

func (c nsConn) Dial(src, dst netip.Addr, ttl int) (s bfd.Sender, err error) {
	if derr := c.n.Do(func() error { s, err = c.UDP.Dial(src, dst, ttl); return nil }); derr != nil {
		return nil, derr
	}
	return s, err
}

func listenBFDIn(t testing.TB, n *netlab.Node) nsConn {
	t.Helper()
	var u *bfd.UDP
	if err := n.Do(func() (err error) { u, err = bfd.ListenUDP(bfd.Port); return err }); err != nil {
		t.Fatal(err)
	}
	return nsConn{u, n}
}

// bfdWatch records a Manager's state changes.
type bfdWatch struct {
	mu sync.Mutex
	ev []bfd.Event
	ch chan bfd.Event
}

func newBFDWatch() *bfdWatch { return &bfdWatch{ch: make(chan bfd.Event, 64)} }

func (w *bfdWatch) add(e bfd.Event) {
	w.mu.Lock()
	w.ev = append(w.ev, e)
	w.mu.Unlock()
	select {
	case w.ch <- e:
	default:
	}
}

// wait returns the first event in state st within d.
func (w *bfdWatch) wait(t testing.TB, st bfd.State, d time.Duration) bfd.Event {
	t.Helper()
	tm := time.NewTimer(d)
	defer tm.Stop()
	for {
		select {
		case e := <-w.ch:
			if e.State == st {
				return e
			}
		case <-tm.C:
			t.Fatalf("no %v within %v (events %+v)", st, d, w.ev)
			return bfd.Event{}
		}
	}
}

const bfddConf = `bfd
 peer 10.99.0.1 local-address 10.99.0.2
  receive-interval 100
  transmit-interval 100
  detect-multiplier 3
  no shutdown
 !
!
`

// TestBFDAgainstFRR: lvsd's BFD session against FRR's bfdd in another
// namespace comes Up, goes Down when bfdd stops and when the link drops,
// and comes back each time.
func TestBFDAgainstFRR(t *testing.T) {
	lab := netlab.New(t, "bfdl", "bfdr")
	d, r := lab.Node("bfdl"), lab.Node("bfdr")
	peer := startBFDD(t, r, bfddConf)
	w := newBFDWatch()
	m := bfd.NewManager(listenBFDIn(t, d), w.add, nil)
	cfg := bfd.Config{MinRx: 100 * time.Millisecond, MinTx: 100 * time.Millisecond, IdleTx: time.Second, Multiplier: 3}
	if err := m.Set([]bfd.Peer{{Name: "frr", Neighbor: r.IP, Source: d.IP, Config: cfg, TTL: 255}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	w.wait(t, bfd.Up, 10*time.Second)
	if !netlab.WaitFor(5*time.Second, func() bool { return peer.status() == "up" }) {
		t.Fatalf("bfdd sees %q", peer.status())
	}
	s := m.Sessions()[0]
	if s.DetectTime != 300*time.Millisecond {
		t.Errorf("detection time %v, want 3 x 100ms", s.DetectTime)
	}

	// bfdd stops.
	peer.stop()
	e := w.wait(t, bfd.Down, 5*time.Second)
	t.Logf("bfdd stopped: Down, diag %v", e.Diag)
	peer.start(t)
	w.wait(t, bfd.Up, 15*time.Second)

	// The link drops: only the detection timer can tell.
	r.LinkDown()
	down := time.Now()
	e = w.wait(t, bfd.Down, 5*time.Second)
	if e.Diag != bfd.DiagExpired {
		t.Errorf("link down: diag %v, want expired", e.Diag)
	}
	t.Logf("link down: detected after %v", e.At.Sub(down))
	r.LinkUp()
	w.wait(t, bfd.Up, 15*time.Second)
	if d := m.Drops(); d != ([bfd.NumDrops]uint64{}) {
		t.Logf("drops %v", d)
	}
}

// BenchmarkBFDDetectionFRR: lvsd's session against FRR's bfdd; each op
// drops the link and times lvsd's Down (diag expired), then restores it
// and waits for Up. Reported: the detection time in force (bfdd's
// detect-multiplier x max(lvsd's min_rx, bfdd's transmit-interval)), the
// measured time from the last packet received to the Down, the excess
// (measured - configured), and the time from the link drop to the Down.
func BenchmarkBFDDetectionFRR(b *testing.B) {
	for _, c := range []struct {
		iv   time.Duration
		mult int
	}{{300 * time.Millisecond, 3}, {100 * time.Millisecond, 3}, {50 * time.Millisecond, 3}, {20 * time.Millisecond, 5}} {
		b.Run(fmt.Sprintf("min_rx=%v,mult=%d", c.iv, c.mult), func(b *testing.B) {
			ms := c.iv.Milliseconds()
			conf := fmt.Sprintf("bfd\n peer 10.99.0.1 local-address 10.99.0.2\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier %d\n  no shutdown\n !\n!\n", ms, ms, c.mult)
			lab := netlab.New(b, "bfdl", "bfdr")
			d, r := lab.Node("bfdl"), lab.Node("bfdr")
			startBFDD(b, r, conf)
			w := newBFDWatch()
			m := bfd.NewManager(listenBFDIn(b, d), w.add, nil)
			cfg := bfd.Config{MinRx: c.iv, MinTx: c.iv, IdleTx: time.Second, Multiplier: uint8(c.mult)}
			if err := m.Set([]bfd.Peer{{Name: "frr", Neighbor: r.IP, Source: d.IP, Config: cfg, TTL: 255}}); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { m.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			w.wait(b, bfd.Up, 10*time.Second)
			var sumDet, sumExcess, sumDrop, maxExcess time.Duration
			b.ResetTimer()
			for range b.N {
				time.Sleep(3 * time.Second) // poll sequences settled
				r.LinkDown()
				t0 := time.Now()
				e := w.wait(b, bfd.Down, 10*time.Second)
				det := e.At.Sub(e.LastRx)
				sumDet += det
				sumExcess += det - e.Detect
				maxExcess = max(maxExcess, det-e.Detect)
				sumDrop += e.At.Sub(t0)
				if e.Diag != bfd.DiagExpired {
					b.Errorf("diag %v", e.Diag)
				}
				if e.Detect != time.Duration(c.mult)*c.iv {
					b.Errorf("detection time in force %v, want %v", e.Detect, time.Duration(c.mult)*c.iv)
				}
				r.LinkUp()
				w.wait(b, bfd.Up, 15*time.Second)
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(time.Duration(c.mult)*c.iv)/1e6, "configured-ms")
			b.ReportMetric(float64(sumDet)/n/1e6, "lastrx-to-down-ms")
			b.ReportMetric(float64(sumExcess)/n/1e6, "excess-ms")
			b.ReportMetric(float64(maxExcess)/1e6, "max-excess-ms")
			b.ReportMetric(float64(sumDrop)/n/1e6, "linkdrop-to-down-ms")
		})
	}
}

// TestBFDTrackVRRP: an lvsd master whose instance tracks a BFD session to
// FRR's bfdd (track_bfd, weight 0) loses the VIP to the backup when bfdd
// stops, and takes it back when bfdd returns.
func TestBFDTrackVRRP(t *testing.T) {
	lab := netlab.New(t, "m", "b", "r")
	m, bk, r := lab.Node("m"), lab.Node("b"), lab.Node("r")
	peer := startBFDD(t, r, strings.ReplaceAll(bfddConf, "10.99.0.2", "10.99.0.3"))
	vip := netip.MustParseAddr("10.99.0.100")
	bfdConf := "track_bfd = [\"router\"]\n\n[[bfd_instance]]\nname = \"router\"\nneighbor_ip = \"10.99.0.3\"\nsource_ip = \"10.99.0.1\"\nmin_rx = \"100ms\"\nmin_tx = \"100ms\"\nmultiplier = 3\n\n"
	startLvsd(t, m, lvsdConf(instance{Priority: 200, Master: true, Advert: "0.2", Version: 3})+bfdConf)
	startLvsd(t, bk, lvsdConf(instance{Priority: 100, Advert: "0.2", Version: 3}))
	waitOwner(t, vip, m, 20*time.Second, time.Second, m, bk)
	if s := peer.status(); s != "up" {
		t.Fatalf("bfdd sees %q", s)
	}
	peer.stop()
	t0 := time.Now()
	waitOwner(t, vip, bk, 10*time.Second, 0, m, bk)
	t.Logf("bfdd stopped: VIP on the backup after %v", time.Since(t0))
	peer.start(t)
	t0 = time.Now()
	waitOwner(t, vip, m, 20*time.Second, 0, m, bk)
	t.Logf("bfdd back: VIP on the master after %v", time.Since(t0))
}

// TestBFDBGPNeighbor: [[bgp.neighbor]] bfd = "router": when the BFD
// session to the router's bfdd goes down, lvsd tears the BGP session down
// at once (the router withdraws the VIP's next hop well before the 3 s
// hold time); when BFD is back Up the session and the route come back.
func TestBFDBGPNeighbor(t *testing.T) {
	testenv.NeedFRRBFD(t)
	lab := netlab.New(t, "router", "d1")
	router, d1 := lab.Node("router"), lab.Node("d1")
	r := startFRR(t, router, bgpRouterConf(map[string]int{d1.IP.String(): 65001}))
	peer := &bfdPeer{dir: r.dir, n: router}
	conf := "bfd\n peer 10.99.0.2 local-address 10.99.0.1\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n  no shutdown\n !\n!\n"
	if err := os.WriteFile(filepath.Join(r.dir, "bfdd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	peer.start(t)
	lconf := strings.Replace(bgpStaticDirectorConf(d1, 65001, bgpPassword), "keepalive_time = 1\n", "keepalive_time = 1\nbfd = \"router\"\n", 1) +
		"\n[[bfd_instance]]\nname = \"router\"\nneighbor_ip = \"10.99.0.1\"\nmin_rx = \"100ms\"\nmin_tx = \"100ms\"\nmultiplier = 3\n"
	startLvsd(t, d1, lconf)
	r.waitNexthops(t, bgpVIP, 30*time.Second, d1.IP.String())
	if !netlab.WaitFor(10*time.Second, func() bool { return peer.status() == "up" }) {
		t.Fatalf("bfdd sees %q", peer.status())
	}
	peer.stop()
	t0 := time.Now()
	at := r.waitNexthops(t, bgpVIP, 10*time.Second)
	t.Logf("bfdd stopped: route withdrawn at the router after %v (BGP hold time 3 s)", at.Sub(t0).Round(time.Millisecond))
	if at.Sub(t0) > 2*time.Second {
		t.Errorf("withdrawn after %v: not BFD's doing", at.Sub(t0))
	}
	peer.start(t)
	t0 = time.Now()
	at = r.waitNexthops(t, bgpVIP, 30*time.Second, d1.IP.String())
	t.Logf("bfdd back: route again after %v", at.Sub(t0).Round(time.Millisecond))
}

// TestBFDKillDirectorRouter: the router's bgpd uses BFD for its neighbor
// (`neighbor X bfd`, bfdd beside it); a director killed without a word (kill
// -9, link down) loses its next hop at the router when BFD detects it
// (3 x 100 ms), well before the BGP hold time (3 s): lvsd answers the
// router's BFD session with its bfd_instance.
func TestBFDKillDirectorRouter(t *testing.T) {
	testenv.NeedFRRBFD(t)
	lab := netlab.New(t, "router", "d1")
	router, d1 := lab.Node("router"), lab.Node("d1")
	rconf := strings.Replace(bgpRouterConf(map[string]int{d1.IP.String(): 65001}), " address-family ipv4 unicast\n",
		" neighbor "+d1.IP.String()+" bfd\n address-family ipv4 unicast\n", 1)
	r := startFRR(t, router, rconf)
	peer := &bfdPeer{dir: r.dir, n: router}
	conf := "bfd\n peer 10.99.0.2 local-address 10.99.0.1\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n  no shutdown\n !\n!\n"
	if err := os.WriteFile(filepath.Join(r.dir, "bfdd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	peer.start(t)
	lconf := bgpStaticDirectorConf(d1, 65001, bgpPassword) +
		"\n[[bfd_instance]]\nname = \"router\"\nneighbor_ip = \"10.99.0.1\"\nmin_rx = \"100ms\"\nmin_tx = \"100ms\"\nmultiplier = 3\n"
	d := startLvsd(t, d1, lconf)
	r.waitNexthops(t, bgpVIP, 30*time.Second, d1.IP.String())
	if !netlab.WaitFor(10*time.Second, func() bool { return peer.status() == "up" }) {
		t.Fatalf("bfdd sees %q", peer.status())
	}
	// bgpd must have registered its neighbor with bfdd, or BFD cannot help
	if out, err := r.vtysh("show ip bgp neighbors " + d1.IP.String() + " json"); err != nil || !strings.Contains(string(out), `"peerBfdInfo"`) {
		t.Fatalf("bgpd shows no BFD for its neighbor (err %v):\n%s", err, out)
	}
	d.kill9(t)
	t0 := time.Now()
	at := r.waitNexthops(t, bgpVIP, 10*time.Second)
	t.Logf("director killed: next hop gone at the router after %v (BFD 3 x 100 ms, BGP hold time 3 s)", at.Sub(t0).Round(time.Millisecond))
	if at.Sub(t0) > 2*time.Second {
		t.Errorf("next hop gone after %v: the hold time's doing, not BFD's", at.Sub(t0))
	}
}

// bfdStatus reads the BFD sessions from lvsd status --json.
func bfdStatus(t *testing.T, d *daemon) []struct {
	Name       string  `json:"name"`
	State      string  `json:"state"`
	TxInterval float64 `json:"tx_interval_ms"`
	Changes    uint64  `json:"state_changes"`
} {
	t.Helper()
	var sock string
	for i, a := range d.proc.Cmd.Args {
		if a == "--socket" {
			sock = d.proc.Cmd.Args[i+1]
		}
	}
	out, err := exec.Command(testenv.LvsdBinary(t), "status", "--json", "--socket", sock).Output()
	if err != nil {
		return nil
	}
	var s struct {
		BFD []struct {
			Name       string  `json:"name"`
			State      string  `json:"state"`
			TxInterval float64 `json:"tx_interval_ms"`
			Changes    uint64  `json:"state_changes"`
		} `json:"bfd_sessions"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s.BFD
}

// TestBFDReload: lvsd run with a session to bfdd; a reload that changes
// min_tx keeps the session Up (no state change, the new interval through
// a Poll sequence); lvsd status shows it.
func TestBFDReload(t *testing.T) {
	lab := netlab.New(t, "bfdl", "bfdr")
	d, r := lab.Node("bfdl"), lab.Node("bfdr")
	peer := startBFDD(t, r, bfddConf)
	conf := "[[bfd_instance]]\nname = \"frr\"\nneighbor_ip = \"10.99.0.2\"\nmin_rx = \"100ms\"\nmin_tx = \"100ms\"\nmultiplier = 3\n"
	l := startLvsd(t, d, conf)
	var changes uint64
	if !netlab.WaitFor(15*time.Second, func() bool {
		s := bfdStatus(t, l)
		if len(s) == 1 && s[0].State == "Up" {
			changes = s[0].Changes
			return true
		}
		return false
	}) {
		t.Fatalf("not Up: %+v", bfdStatus(t, l))
	}
	var path string
	for i, a := range l.proc.Cmd.Args {
		if a == "-f" {
			path = l.proc.Cmd.Args[i+1]
		}
	}
	if err := os.WriteFile(path, []byte(strings.Replace(conf, "min_tx = \"100ms\"", "min_tx = \"300ms\"", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(10*time.Second, func() bool {
		s := bfdStatus(t, l)
		return len(s) == 1 && s[0].TxInterval == 300
	}) {
		t.Fatalf("tx interval not changed: %+v", bfdStatus(t, l))
	}
	time.Sleep(time.Second)
	s := bfdStatus(t, l)
	if s[0].State != "Up" || s[0].Changes != changes {
		t.Fatalf("after reload %+v, want Up with %d changes", s[0], changes)
	}
	if st := peer.status(); st != "up" {
		t.Fatalf("bfdd sees %q", st)
	}
}

// BenchmarkBFDTrackFailover, lvsd and keepalived side by side, timed the
// same way: a VRRP master (priority 200, advert_int 1) tracking a BFD
// session (100 ms x 3) to FRR's bfdd with track_bfd, an lvsd backup; each op
// drops the router's link (only BFD can tell) and times until the master
// no longer holds the VIP, then restores the link and waits for the VIP to
// come back. Reported: ms from the link drop to the VIP leaving the master.
func BenchmarkBFDTrackFailover(b *testing.B) {
	for _, impl := range []string{"lvsd", "keepalived"} {
		b.Run(impl, func(b *testing.B) {
			if impl == "keepalived" {
				testenv.NeedBinary(b, "keepalived")
			}
			lab := netlab.New(b, "m", "b", "r")
			m, bk, r := lab.Node("m"), lab.Node("b"), lab.Node("r")
			startBFDD(b, r, strings.ReplaceAll(bfddConf, "10.99.0.2", "10.99.0.3"))
			vip := netip.MustParseAddr("10.99.0.100")
			in := instance{Priority: 200, Master: true, Advert: "1", Version: 3}
			if impl == "lvsd" {
				startLvsd(b, m, lvsdConf(in)+"track_bfd = [\"router\"]\n\n[[bfd_instance]]\nname = \"router\"\nneighbor_ip = \"10.99.0.3\"\nsource_ip = \"10.99.0.1\"\nmin_rx = \"100ms\"\nmin_tx = \"100ms\"\nmultiplier = 3\n")
			} else {
				// keepalived needs the bfd_instance before the track_bfd
				// naming it.
				conf := "bfd_instance router {\n    neighbor_ip 10.99.0.3\n    source_ip 10.99.0.1\n    min_rx 100\n    min_tx 100\n    multiplier 3\n}\n" +
					strings.Replace(keepalivedConf("m", in), "    virtual_ipaddress {\n", "    track_bfd {\n        router\n    }\n    virtual_ipaddress {\n", 1)
				bin := testenv.NeedBinary(b, "keepalived")
				dir := b.TempDir()
				path := filepath.Join(dir, "keepalived.conf")
				if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
					b.Fatal(err)
				}
				p := m.Start(bin, "-n", "-l", "-D", "-f", path, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
					"-c", filepath.Join(dir, "c.pid"), "-b", filepath.Join(dir, "b.pid"))
				b.Cleanup(func() {
					if b.Failed() {
						b.Logf("keepalived:\n%s", p.Out.String())
					}
					killAllIn(b, m)
				})
			}
			startLvsd(b, bk, lvsdConf(instance{Priority: 100, Advert: "1", Version: 3}))
			var sum time.Duration
			b.ResetTimer()
			for range b.N {
				waitOwner(b, vip, m, 30*time.Second, 2*time.Second, m, bk)
				r.LinkDown()
				t0 := time.Now()
				if !netlab.WaitFor(10*time.Second, func() bool { return !m.HasAddr(vip) }) {
					b.Fatal("the master kept the VIP")
				}
				sum += time.Since(t0)
				r.LinkUp()
			}
			b.StopTimer()
			b.ReportMetric(float64(sum)/float64(b.N)/1e6, "ms-to-vip-gone")
		})
	}
}
