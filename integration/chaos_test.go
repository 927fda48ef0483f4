package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The chaos suite (issue 15, `make chaos`): a two-node VRRP pair of lvsd
// and one of keepalived, each on a bridge of its own, go through the same
// faults at the same time. A sampler polls both nodes' VIP every 20 ms;
// a sniffer on each bridge records who advertises. Per scenario and
// implementation it reports the seconds with the VIP on both nodes (two
// masters) and on none, the number of master changes (a node acquiring
// the VIP), and whether, 1 s after the heal, a node holds the VIP without
// having advertised in that second (a VIP left on a non-master).
//
// Assertions are robustness checks, not timing benchmarks: no VIP on a
// non-master 1 s after the heal, no two masters beyond that second, and
// lvsd's two-master time within generous bounds of keepalived's.

const (
	chaosAdvert = 200 * time.Millisecond // advert_int 0.2 (VRRPv3), for both
	chaosSample = 20 * time.Millisecond
	// chaosGrace: after the heal, time allowed to converge (5 adverts)
	// before a VIP on a non-master or two masters count as faults.
	chaosGrace = time.Second
)

// chaosNode is one node of a pair and the daemon running on it.
type chaosNode struct {
	n     *netlab.Node
	start func() *netlab.Process
	// second starts a second daemon on the node (defect 4): for lvsd with
	// a control socket and state file of its own (the same ones are
	// refused by the socket already), for keepalived the same command
	second func() *netlab.Process
	proc   *netlab.Process
	nl     *netlink.Handle
	// conf, reload: the configuration file and the content a reload writes;
	// slowText (n1 only): confText with a slow weight-0 vrrp_script
	conf, confText, reloadText, slowText string
}

// vipSample is the VIP presence on both nodes of a pair at one instant.
type vipSample struct {
	at  time.Time
	has [2]bool
}

// chaosPair is one implementation's two nodes, sampler log and adverts.
type chaosPair struct {
	kind  string // "lvsd" or "keepalived"
	lab   *netlab.Lab
	nodes [2]*chaosNode

	mu      sync.Mutex
	samples []vipSample
	adverts [2][]time.Time // priority > 0 adverts of VRID 51 seen on the bridge
}

func newChaosPair(t *testing.T, kind string) *chaosPair {
	t.Helper()
	tag := "chaosL"
	if kind == "keepalived" {
		tag = "chaosK"
	}
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: tag}, "n1", "n2")
	p := &chaosPair{kind: kind, lab: lab}
	dir := t.TempDir()
	for i, name := range []string{"n1", "n2"} {
		n := lab.Node(name)
		in := instance{Priority: 200 - 100*i, Version: 3, Advert: "0.2"}
		// the reload adds a second instance (another VRID and VIP): a real
		// reload, not one that finds nothing changed
		in2 := instance{Name: "VI_2", VRID: 52, Priority: 200 - 100*i, Version: 3, Advert: "0.2", VIPs: []string{"10.99.0.101/24 dev eth0"}}
		cn := &chaosNode{n: n}
		ndir := filepath.Join(dir, name)
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			t.Fatal(err)
		}
		if kind == "lvsd" {
			cn.conf = filepath.Join(ndir, "lvsd.toml")
			cn.confText, cn.reloadText = lvsdConf(in), lvsdConf(in, in2)
			if i == 0 {
				cn.confText, cn.reloadText, cn.slowText = lvsdChaosConf(in, chaosFastScript), lvsdChaosConf(in, chaosFastScript, in2), lvsdChaosConf(in, chaosSlowScript)
			}
			bin := testenv.LvsdBinary(t)
			cn.start = func() *netlab.Process {
				return n.Start(bin, "run", "-f", cn.conf, "--socket", filepath.Join(ndir, "lvsd.sock"),
					"--state-file", filepath.Join(ndir, "state.json"))
			}
			cn.second = func() *netlab.Process {
				return n.Start(bin, "run", "-f", cn.conf, "--socket", filepath.Join(ndir, "second.sock"),
					"--state-file", filepath.Join(ndir, "second.json"))
			}
		} else {
			bin := testenv.NeedBinary(t, "keepalived")
			cn.conf = filepath.Join(ndir, "keepalived.conf")
			cn.confText, cn.reloadText = keepalivedConf(name, in), keepalivedConf(name, in, in2)
			if i == 0 {
				cn.confText, cn.reloadText, cn.slowText = kaChaosConf(cn.confText, chaosFastScript), kaChaosConf(cn.reloadText, chaosFastScript), kaChaosConf(cn.confText, chaosSlowScript)
			}
			cn.start = func() *netlab.Process {
				return n.Start(bin, "-n", "-l", "-D", "-P", "-f", cn.conf, "-p", filepath.Join(ndir, "keepalived.pid"),
					"-r", filepath.Join(ndir, "vrrp.pid"), "-c", filepath.Join(ndir, "checkers.pid"))
			}
			cn.second = cn.start
		}
		if err := os.WriteFile(cn.conf, []byte(cn.confText), 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := netns.GetFromName(n.NS)
		if err != nil {
			t.Fatal(err)
		}
		cn.nl, err = netlink.NewHandleAt(h, unix.NETLINK_ROUTE) // route only: the VM has no xfrm
		h.Close()
		if err != nil {
			t.Fatalf("netlink handle in %s: %v", n.NS, err)
		}
		t.Cleanup(cn.nl.Close)
		chaosNFT(t, n, "add table inet chaos",
			"add chain inet chaos in { type filter hook input priority 0 ; policy accept ; }")
		p.nodes[i] = cn
	}
	p.sniff(t)
	t.Cleanup(func() {
		if t.Failed() {
			for _, cn := range p.nodes {
				if cn.proc != nil {
					t.Logf("%s on %s (last 6000 bytes):\n%s", kind, cn.n.NS, tail(cn.proc.Out.String(), 6000))
				}
			}
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// chaosNFT runs nft commands in the node's namespace (at set-up, from the
// test goroutine).
func chaosNFT(t *testing.T, n *netlab.Node, cmds ...string) {
	t.Helper()
	if err := nft(n, cmds...); err != nil {
		t.Fatal(err)
	}
}

// nft runs each command with `ip netns exec NS nft CMD`.
func nft(n *netlab.Node, cmds ...string) error {
	for _, c := range cmds {
		args := append([]string{"netns", "exec", n.NS, "nft"}, strings.Fields(c)...)
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("nft %s in %s: %w: %s", c, n.NS, err, out)
		}
	}
	return nil
}

// sniff records the VRRP adverts (VRID 51, priority > 0) crossing the
// pair's bridge, from a thread that stays in the switch namespace.
func (p *chaosPair) sniff(t *testing.T) {
	t.Helper()
	errc := make(chan error, 1)
	var c *packet.Conn
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(p.lab.Switch)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		ifi, err := net.InterfaceByName("br0")
		if err != nil {
			errc <- err
			return
		}
		c, err = packet.Listen(ifi, packet.Raw, ethIPv4, nil)
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("sniff on %s br0: %v", p.lab.Switch, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			k, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			b := buf[:k]
			if len(b) < 34 || binary.BigEndian.Uint16(b[12:14]) != 0x0800 || b[23] != 112 {
				continue
			}
			off := 14 + int(b[14]&0x0f)*4
			if len(b) < off+3 || b[off+1] != 51 || b[off+2] == 0 {
				continue
			}
			src, _ := netip.AddrFromSlice(b[26:30])
			now := time.Now()
			p.mu.Lock()
			for i, cn := range p.nodes {
				if cn.n.IP == src {
					p.adverts[i] = append(p.adverts[i], now)
				}
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
}

// sample records the VIP presence of both nodes now.
func (p *chaosPair) sample() {
	s := vipSample{at: time.Now()}
	for i, cn := range p.nodes {
		addrs, err := cn.nl.AddrList(nil, netlink.FAMILY_V4)
		if err != nil {
			continue // counted as absent; a netlink error is not expected
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == vip4 {
				s.has[i] = true
			}
		}
	}
	p.mu.Lock()
	p.samples = append(p.samples, s)
	p.mu.Unlock()
}

// advertised reports whether node i sent an advert in (from, to].
func (p *chaosPair) advertised(i int, from, to time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, at := range p.adverts[i] {
		if at.After(from) && !at.After(to) {
			return true
		}
	}
	return false
}

// chaosFigures are one scenario's measurements for one implementation.
type chaosFigures struct {
	dual, none   time.Duration // VIP on both nodes, on none
	changes      int           // a node acquiring the VIP
	leftover     []string      // nodes holding the VIP at heal+1s without advertising in that second
	dualAfter    time.Duration // VIP on both after heal+1s
	converged    time.Duration // heal to the first sample with the VIP on n1 only (-1: never)
	fault        time.Duration // start to heal
	samples      int
	maxSampleGap time.Duration

	// the mechanism behind dual (random loss): takeovers by n2, the
	// two-master stretches, the gaps between n1's adverts during the fault
	// (gaps, those above 1.5 intervals, the longest), and for each advert
	// of n2 during the fault the delay until n1's next advert (n1 answers
	// a lower priority at once)
	takeovers  int
	dualEvents []time.Duration
	gaps       int
	gapsLate   int
	gapMax     time.Duration
	answers    []time.Duration
}

// figures computes the figures over [from, to] with the heal at healed.
func (p *chaosPair) figures(from, healed, to time.Time) chaosFigures {
	p.mu.Lock()
	var ss []vipSample
	for _, s := range p.samples {
		if !s.at.Before(from) && !s.at.After(to) {
			ss = append(ss, s)
		}
	}
	p.mu.Unlock()
	f := chaosFigures{samples: len(ss), converged: -1, fault: healed.Sub(from)}
	p.advertFigures(&f, from, healed)
	check := healed.Add(chaosGrace)
	checked := false
	var stretch time.Duration
	for k, s := range ss {
		if f.converged < 0 && !s.at.Before(healed) && s.has[0] && !s.has[1] {
			f.converged = s.at.Sub(healed)
		}
		if !checked && !s.at.Before(check) {
			checked = true
			for i, has := range s.has {
				if has && !p.advertised(i, check.Add(-chaosGrace), s.at) {
					f.leftover = append(f.leftover, p.nodes[i].n.Name)
				}
			}
		}
		if k+1 == len(ss) {
			break
		}
		next := ss[k+1]
		dt := next.at.Sub(s.at)
		f.maxSampleGap = max(f.maxSampleGap, dt)
		switch {
		case s.has[0] && s.has[1]:
			f.dual += dt
			stretch += dt
			if !s.at.Before(check) {
				f.dualAfter += dt
			}
		case !s.has[0] && !s.has[1]:
			f.none += dt
		}
		if stretch > 0 && !(next.has[0] && next.has[1]) {
			f.dualEvents = append(f.dualEvents, stretch)
			stretch = 0
		}
		for i := range s.has {
			if !s.has[i] && next.has[i] {
				f.changes++
				if i == 1 {
					f.takeovers++
				}
			}
		}
	}
	if stretch > 0 {
		f.dualEvents = append(f.dualEvents, stretch)
	}
	return f
}

// advertFigures fills the advert figures of f over the fault [from, healed].
func (p *chaosPair) advertFigures(f *chaosFigures, from, healed time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := func(at time.Time) bool { return !at.Before(from) && !at.After(healed) }
	var prev time.Time
	for _, at := range p.adverts[0] {
		if !in(at) {
			continue
		}
		if !prev.IsZero() {
			g := at.Sub(prev)
			f.gaps++
			if g > 3*chaosAdvert/2 {
				f.gapsLate++
			}
			f.gapMax = max(f.gapMax, g)
		}
		prev = at
	}
	for _, at := range p.adverts[1] {
		if !in(at) {
			continue
		}
		k, _ := slices.BinarySearchFunc(p.adverts[0], at, func(a, b time.Time) int { return a.Compare(b) })
		if k < len(p.adverts[0]) && in(p.adverts[0][k]) {
			f.answers = append(f.answers, p.adverts[0][k].Sub(at))
		}
	}
}

// chaosScenario applies a fault to a pair, waits, heals it and returns the
// instant of the heal.
type chaosScenario struct {
	name   string
	loss   bool          // random loss: repeated LVSD_CHAOS_LOSS_RUNS times
	settle time.Duration // after the heal, before the next scenario
	run    func(p *chaosPair) (time.Time, error)
	// quiet: the backup must never take the VIP (lvsd; keepalived's
	// figures are reported)
	quiet bool
	// check, if set, runs after the settle time: what the figures cannot
	// show (a log line, the path taken)
	check func(p *chaosPair) error
}

// lossRule drops pct % of the VRRP packets a node receives.
func lossRule(pct int) string {
	return fmt.Sprintf("add rule inet chaos in ip protocol 112 numgen random mod 10 < %d drop", pct/10)
}

const flushRules = "flush chain inet chaos in"

// faultFor applies rules per node, waits d, then flushes them all.
func faultFor(p *chaosPair, d time.Duration, rules [2][]string) (time.Time, error) {
	for i, cn := range p.nodes {
		if err := nft(cn.n, rules[i]...); err != nil {
			return time.Now(), err
		}
	}
	time.Sleep(d)
	var errs []error
	for _, cn := range p.nodes {
		errs = append(errs, nft(cn.n, flushRules))
	}
	return time.Now(), errors.Join(errs...)
}

// signalNode sends sig to every process in the node's namespace (for
// keepalived: the parent and its VRRP child) and returns their PIDs.
func signalNode(cn *chaosNode, sig syscall.Signal) ([]int, error) {
	out, err := exec.Command("ip", "netns", "pids", cn.n.NS).Output()
	if err != nil {
		return nil, fmt.Errorf("ip netns pids %s: %w", cn.n.NS, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, sig)
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// kill9 kills every process of the daemons on the nodes at once: all are
// stopped first, so none can act on another's death (keepalived's VRRP
// child would send its priority-0 advert on its parent's). It returns the
// instant of the kill once every one is gone (reaped): keepalived refuses
// to start while a PID of its PID files still exists.
func kill9(nodes ...*chaosNode) (time.Time, error) {
	for _, cn := range nodes {
		if _, err := signalNode(cn, syscall.SIGSTOP); err != nil {
			return time.Now(), err
		}
	}
	var pids []int
	for _, cn := range nodes {
		p, err := signalNode(cn, syscall.SIGKILL)
		if err != nil {
			return time.Now(), err
		}
		pids = append(pids, p...)
	}
	killed := time.Now()
	for _, cn := range nodes {
		if cn.proc.Wait(10*time.Second) != nil && !exited(cn.proc) {
			return killed, fmt.Errorf("%s: the daemon did not die", cn.n.NS)
		}
	}
	gone := netlab.WaitFor(10*time.Second, func() bool {
		for _, pid := range pids {
			// orphans (keepalived's VRRP child) are ours to reap: TestChaos
			// is their subreaper
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if syscall.Kill(pid, 0) != syscall.ESRCH {
				return false
			}
		}
		return true
	})
	if !gone {
		return killed, fmt.Errorf("processes %v still exist 10 s after SIGKILL", pids)
	}
	chaosLogf("kill -9 of %d processes: all reaped after %v", len(pids), time.Since(killed).Round(time.Millisecond))
	return killed, nil
}

// chaosLogf is the test's Logf while TestChaos runs (the scenarios run on
// goroutines of their own).
var chaosLogf = func(string, ...any) {}

func exited(p *netlab.Process) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

func setLink(p *chaosPair, node int, up string) error {
	name := "p-" + p.nodes[node].n.Name
	if out, err := exec.Command("ip", "-n", p.lab.Switch, "link", "set", name, up).CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set %s %s: %w: %s", name, up, err, out)
	}
	return nil
}

var chaosScenarios = append(chaosFaultScenarios, chaosCaseScenarios...)

// chaosFaultScenarios are the faults of the network and the processes.
var chaosFaultScenarios = []chaosScenario{
	{name: "loss 30% both ways (12 s)", loss: true, settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		return faultFor(p, 12*time.Second, [2][]string{{lossRule(30)}, {lossRule(30)}})
	}},
	{name: "loss 60% both ways (12 s)", loss: true, settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		return faultFor(p, 12*time.Second, [2][]string{{lossRule(60)}, {lossRule(60)}})
	}},
	{name: "one-way partition n1->n2 (3 s)", settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		return faultFor(p, 3*time.Second, [2][]string{nil, {"add rule inet chaos in ip saddr " + p.nodes[0].n.IP.String() + " drop"}})
	}},
	{name: "partition and heal (3 s)", settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		return faultFor(p, 3*time.Second, [2][]string{
			{"add rule inet chaos in ip saddr " + p.nodes[1].n.IP.String() + " drop"},
			{"add rule inet chaos in ip saddr " + p.nodes[0].n.IP.String() + " drop"}})
	}},
	{name: "link flap of master 3x(1 s down, 1 s up)", settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		for k := 0; k < 3; k++ {
			if err := setLink(p, 0, "down"); err != nil {
				return time.Now(), err
			}
			time.Sleep(time.Second)
			if err := setLink(p, 0, "up"); err != nil {
				return time.Now(), err
			}
			if k < 2 {
				time.Sleep(time.Second)
			}
		}
		return time.Now(), nil
	}},
	{name: "SIGSTOP master 2 s, SIGCONT", settle: 3 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		if _, err := signalNode(p.nodes[0], syscall.SIGSTOP); err != nil {
			return time.Now(), err
		}
		time.Sleep(2 * time.Second)
		_, err := signalNode(p.nodes[0], syscall.SIGCONT)
		return time.Now(), err
	}},
	{name: "kill -9 master 20 ms into a reload, restart 0.5 s later", settle: 4 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		cn := p.nodes[0]
		if err := os.WriteFile(cn.conf, []byte(cn.reloadText), 0o644); err != nil {
			return time.Now(), err
		}
		if err := cn.proc.Signal(syscall.SIGHUP); err != nil {
			return time.Now(), err
		}
		time.Sleep(20 * time.Millisecond)
		killed, err := kill9(cn)
		if err != nil {
			return time.Now(), err
		}
		if err := os.WriteFile(cn.conf, []byte(cn.confText), 0o644); err != nil {
			return time.Now(), err
		}
		time.Sleep(time.Until(killed.Add(500 * time.Millisecond)))
		cn.proc = cn.start()
		return time.Now(), nil
	}},
	{name: "kill -9 both nodes, restart 0.5 s later", settle: 4 * time.Second, run: func(p *chaosPair) (time.Time, error) {
		killed, err := kill9(p.nodes[0], p.nodes[1])
		if err != nil {
			return time.Now(), err
		}
		time.Sleep(time.Until(killed.Add(500 * time.Millisecond)))
		for _, cn := range p.nodes {
			cn.proc = cn.start()
		}
		return time.Now(), nil
	}},
}

// waitSteady waits until the VIP is on n1 only (the priority-200 master)
// and stays there for hold.
func (p *chaosPair) waitSteady(within, hold time.Duration) error {
	var since time.Time
	ok := netlab.WaitFor(within, func() bool {
		p.mu.Lock()
		if len(p.samples) == 0 {
			p.mu.Unlock()
			return false
		}
		s := p.samples[len(p.samples)-1]
		p.mu.Unlock()
		if !s.has[0] || s.has[1] {
			since = time.Time{}
			return false
		}
		if since.IsZero() {
			since = s.at
		}
		return s.at.Sub(since) >= hold
	})
	if !ok {
		p.mu.Lock()
		s := p.samples[len(p.samples)-1]
		p.mu.Unlock()
		return fmt.Errorf("%s: VIP not steady on n1 after %v (n1 %v, n2 %v)", p.kind, within, s.has[0], s.has[1])
	}
	return nil
}

func TestChaos(t *testing.T) {
	testenv.NeedNetns(t)
	testenv.NeedBinary(t, "keepalived")
	testenv.NeedBinary(t, "nft")
	if testing.Short() {
		t.Skip("the chaos suite takes about two minutes")
	}
	runChaos(t, chaosScenarios, chaosOptions{})
}

// chaosOptions adapt runChaos to where it runs; the zero value is the host's.
type chaosOptions struct {
	// stall: a run during which the VIP sampling paused longer than this
	// (the whole machine stalled, as the VM under emulation does at
	// times) is run again, up to stallRetries times, and then kept; 0:
	// never.
	stall        time.Duration
	stallRetries int
}

// runChaos runs scenarios on an lvsd pair and a keepalived pair side by
// side, logs the table of figures and applies the suite's checks
// (TestChaos on the host, TestChaosNetem in the VM).
func runChaos(t *testing.T, scenarios []chaosScenario, opts chaosOptions) {
	plan, err := chaosPlanFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	pairs := []*chaosPair{newChaosPair(t, "lvsd"), newChaosPair(t, "keepalived")}
	chaosLogf = t.Logf
	// The processes orphaned by a kill -9 (keepalived's VRRP child) are
	// reparented to this process and reaped by kill9 at once, as systemd
	// would; the container's init here takes about 1.5 s, and keepalived
	// does not start while the PID of its vrrp.pid exists.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	defer func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) }()
	defer func() { chaosLogf = func(string, ...any) {} }()

	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(chaosSample)
		defer tick.Stop()
		for {
			for _, p := range pairs {
				p.sample()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-sampled }()

	for _, p := range pairs {
		for _, cn := range p.nodes {
			cn.proc = cn.start()
		}
	}

	type result struct {
		sc   chaosScenario
		figs [2][]chaosFigures // per implementation, per run
	}
	results := make([]*result, len(scenarios))
	for k, sc := range scenarios {
		results[k] = &result{sc: sc}
	}
	for round := 0; round < plan.rounds(); round++ {
		for _, r := range results {
			sc := r.sc
			if round >= plan.runsOf(sc) {
				continue
			}
			for attempt := 0; ; attempt++ {
				var wg sync.WaitGroup
				errs := make([]error, len(pairs))
				for k, p := range pairs {
					wg.Add(1)
					go func() { defer wg.Done(); errs[k] = p.waitSteady(20*time.Second, 500*time.Millisecond) }()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("before %q (run %d): %v", sc.name, round+1, err)
				}
				start := time.Now()
				healed := make([]time.Time, len(pairs))
				for k, p := range pairs {
					wg.Add(1)
					go func() { defer wg.Done(); healed[k], errs[k] = sc.run(p) }()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("%s (run %d): %v", sc.name, round+1, err)
				}
				last := healed[0]
				for _, h := range healed {
					if h.After(last) {
						last = h
					}
				}
				end := last.Add(sc.settle)
				time.Sleep(time.Until(end))
				if sc.check != nil {
					for _, p := range pairs {
						if err := sc.check(p); err != nil {
							t.Errorf("%s (run %d): %v", sc.name, round+1, err)
						}
					}
				}
				for k, p := range pairs {
					r.figs[k] = append(r.figs[k], p.figures(start, healed[k], end))
					if os.Getenv("LVSD_CHAOS_TRACE") != "" {
						t.Logf("run %d, %s, adverts around each two-master stretch (ms from its start):\n%s", round+1, sc.name, p.trace(start, end))
					}
				}
				if plan.rounds() > 1 {
					l, k := r.figs[0][len(r.figs[0])-1], r.figs[1][len(r.figs[1])-1]
					t.Logf("run %d, %s: two masters %.2f | %.2f s, takeovers %d | %d", round+1, sc.name,
						l.dual.Seconds(), k.dual.Seconds(), l.takeovers, k.takeovers)
				}
				if opts.stall == 0 {
					break
				}
				gap := max(r.figs[0][len(r.figs[0])-1].maxSampleGap, r.figs[1][len(r.figs[1])-1].maxSampleGap)
				if gap <= opts.stall {
					break
				}
				if attempt >= opts.stallRetries {
					t.Logf("run %d, %s: sampling paused %v (the machine stalled), kept after %d retries", round+1, sc.name, gap.Round(time.Millisecond), attempt)
					break
				}
				t.Logf("run %d, %s: sampling paused %v (the machine stalled): run again", round+1, sc.name, gap.Round(time.Millisecond))
				for k := range r.figs {
					r.figs[k] = r.figs[k][:len(r.figs[k])-1]
				}
			}
		}
	}

	// The tables, then the checks.
	var b strings.Builder
	fmt.Fprintf(&b, "\nchaos suite: VRRPv3, advert_int %v, VIP sampled every %v (lvsd | keepalived); medians over the runs\n", chaosAdvert, chaosSample)
	fmt.Fprintf(&b, "%-64s %4s %13s %15s %15s %13s %17s %15s\n", "scenario", "runs", "fault s", "two masters s", "no master s", "changes", "VIP on non-master", "converged s")
	var lossRows strings.Builder
	for _, r := range results {
		if len(r.figs[0]) == 0 {
			continue
		}
		l, k := summarize(r.figs[0]), summarize(r.figs[1])
		fmt.Fprintf(&b, "%-64s %4d %5.2f | %5.2f %6.2f | %6.2f %6.2f | %6.2f %5.1f | %5.1f %8s | %-6s %6s | %-6s\n", r.sc.name, l.runs,
			l.fault.Seconds(), k.fault.Seconds(), l.dual.Seconds(), k.dual.Seconds(), l.none.Seconds(), k.none.Seconds(), l.changes, k.changes,
			leftoverRuns(l), leftoverRuns(k), convSummary(l), convSummary(k))
		if r.sc.loss {
			for _, x := range []struct {
				kind string
				s    chaosSummary
			}{{"lvsd", l}, {"keepalived", k}} {
				s := x.s
				fmt.Fprintf(&lossRows, "%-28s %-10s %4d %7.2f %6.2f %9d %8.3f %7d %7.3f %9.1f%% %8.3f %8.3f\n", r.sc.name, x.kind, s.runs,
					s.dualSum.Seconds(), s.dualMax.Seconds(), s.takeovers, s.dualPerTakeover.Seconds(), s.dualEvents, s.dualEventMedian.Seconds(),
					100*float64(s.gapsLate)/float64(max(s.gaps, 1)), s.gapMax.Seconds(), s.answer.Seconds())
				fmt.Fprintf(&lossRows, "%-28s %-10s two masters s per run: %s\n", "", "", durList(s.perRunDual))
			}
		}
	}
	if lossRows.Len() > 0 {
		fmt.Fprintf(&b, "\nrandom loss, all runs: two masters (sum, worst run), takeovers by n2, two-master s per takeover, two-master stretches (count, median s),\n"+
			"n1's advert gaps during the loss (share above 1.5 intervals, longest s), median delay from an advert of n2 to n1's next (s)\n")
		fmt.Fprintf(&b, "%-28s %-10s %4s %7s %6s %9s %8s %7s %7s %10s %8s %8s\n", "scenario", "impl", "runs", "sum", "worst", "takeovers", "s/take", "stretch", "median", "gaps>1.5", "gap max", "answer")
		b.WriteString(lossRows.String())
	}
	t.Log(b.String())
	for _, r := range results {
		for k, p := range pairs {
			for run, f := range r.figs[k] {
				name := fmt.Sprintf("%s (run %d), %s", r.sc.name, run+1, p.kind)
				if f.samples < 20 {
					t.Errorf("%s: only %d samples", name, f.samples)
				}
				if len(f.leftover) > 0 {
					t.Errorf("%s: VIP on %v %v after the heal without an advert from it in that time", name, f.leftover, chaosGrace)
				}
				if r.sc.quiet && p.kind == "lvsd" && f.takeovers > 0 {
					t.Errorf("%s: the backup took the VIP (%d times, two masters %v)", name, f.takeovers, f.dual.Round(time.Millisecond))
				}
				// a few samples of slack: the VIP's removal and the sample race
				if f.dualAfter > 3*chaosSample {
					t.Errorf("%s: two masters for %v more than %v after the heal", name, f.dualAfter.Round(time.Millisecond), chaosGrace)
				}
			}
		}
		if len(r.figs[0]) == 0 {
			continue
		}
		if r.sc.loss && len(r.figs[0]) >= chaosSignificantRuns {
			if err := compareLoss(summarize(r.figs[0]), summarize(r.figs[1])); err != nil {
				t.Errorf("%s: %v", r.sc.name, err)
			}
		}
		// lvsd's median two-master time not grossly above keepalived's:
		// twice keepalived's plus 2.5 advert intervals plus a quarter of
		// the fault's length (random loss makes one run's figures vary)
		l, k := summarize(r.figs[0]).dual, summarize(r.figs[1]).dual
		if fault := r.figs[1][0].fault; l > 2*k+5*chaosAdvert/2+fault/4 {
			t.Errorf("%s: two masters for %v with lvsd, %v with keepalived (medians)", r.sc.name, l.Round(time.Millisecond), k.Round(time.Millisecond))
		}
	}
}

func leftoverRuns(s chaosSummary) string {
	if s.leftover == 0 {
		return "no"
	}
	return fmt.Sprintf("%d runs", s.leftover)
}

func convSummary(s chaosSummary) string {
	if s.neverConverged == s.runs {
		return "never"
	}
	if s.neverConverged > 0 {
		return fmt.Sprintf("%.2f*", s.converged.Seconds())
	}
	return fmt.Sprintf("%.2f", s.converged.Seconds())
}
