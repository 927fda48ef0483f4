package integration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Failover benchmarks, lvsd and keepalived side by side in the same lab with
// the same settings (`make bench`). One iteration is one failover: at a
// random phase of the advert cycle the master's link goes down; the figure
// is the time from the master's last advert (as the client saw it) to the
// VIP's arrival on the backup (a netlink event in the backup's namespace),
// next to the backup's Master_Down_Interval.

type failoverSetting struct {
	name    string
	version int
	advert  string
	adv     time.Duration
	mdi     time.Duration // Master_Down_Interval of the priority-100 backup
}

var failoverSettings = []failoverSetting{
	{"v2-1s", 2, "1", time.Second, 3*time.Second + 156*time.Second/256},
	{"v3-0.1s", 3, "0.1", 100 * time.Millisecond, 300*time.Millisecond + 156*100*time.Millisecond/256},
}

func BenchmarkVRRPFailover(b *testing.B) {
	for _, set := range failoverSettings {
		for _, impl := range []string{"lvsd", "keepalived"} {
			b.Run(set.name+"/"+impl, func(b *testing.B) { benchFailover(b, impl, set) })
		}
	}
}

// addrEvents reports when addr is added in the node's namespace.
func addrEvents(b testing.TB, n *netlab.Node, addr netip.Addr) <-chan time.Time {
	h, err := netns.GetFromName(n.NS)
	if err != nil {
		b.Fatal(err)
	}
	updates := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{Namespace: &h}); err != nil {
		b.Fatal(err)
	}
	out := make(chan time.Time, 64)
	go func() {
		for u := range updates {
			at := time.Now()
			if ip, ok := netip.AddrFromSlice(u.LinkAddress.IP); ok && u.NewAddr && ip.Unmap() == addr {
				select {
				case out <- at:
				default:
				}
			}
		}
	}()
	b.Cleanup(func() { close(done); h.Close() })
	return out
}

func startImpl(b *testing.B, impl string, n *netlab.Node, in instance) *daemon {
	if impl == "lvsd" {
		return startLvsd(b, n, lvsdConf(in))
	}
	return startKeepalived(b, n, keepalivedConf(n.Name, in))
}

func benchFailover(b *testing.B, impl string, set failoverSetting) {
	if impl == "keepalived" {
		testenv.NeedBinary(b, "keepalived")
	}
	lab := netlab.New(b, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	ip4 := sniff(b, cl, ethIPv4)
	added := addrEvents(b, n2, vip4)
	in := instance{Version: set.version, Advert: set.advert}
	in2 := in
	in2.Priority = 100
	startImpl(b, impl, n2, in2)
	in1 := in
	in1.Priority, in1.Master = 200, true
	startImpl(b, impl, n1, in1)
	advert := isAdvert(51, n1.IP)

	var deltas []time.Duration
	for b.Loop() {
		b.StopTimer()
		waitOwner(b, vip4, n1, 30*time.Second, 5*set.adv, n1, n2)
		for len(added) > 0 {
			<-added
		}
		time.Sleep(time.Duration(rand.Int64N(int64(set.adv))))
		down := time.Now()
		b.StartTimer()
		n1.LinkDown()
		var at time.Time
		select {
		case at = <-added:
		case <-time.After(4*set.mdi + 2*time.Second):
			b.Fatalf("%s on n2 did not take the VIP", impl)
		}
		b.StopTimer()
		frames := ip4.since(down.Add(-3*set.adv), advert)
		var last time.Time
		for _, f := range frames {
			if f.at.Before(at) {
				last = f.at
			}
		}
		if last.IsZero() {
			b.Fatal("no advert from the master seen before the failover")
		}
		d := at.Sub(last)
		deltas = append(deltas, d)
		b.Logf("%s %s: VIP on the backup %.4f s after the master's last advert (Master_Down_Interval %.4f s, %+.1f ms)",
			impl, set.name, d.Seconds(), set.mdi.Seconds(), float64(d-set.mdi)/1e6)
		n1.LinkUp()
		b.StartTimer()
	}
	b.StopTimer()
	if len(deltas) == 0 {
		return
	}
	slices.Sort(deltas)
	var sum time.Duration
	for _, d := range deltas {
		sum += d
	}
	mean := sum / time.Duration(len(deltas))
	b.ReportMetric(mean.Seconds(), "s-to-VIP")
	b.ReportMetric(float64(mean-set.mdi)/1e6, "ms-over-MDI")
	b.ReportMetric(float64(deltas[len(deltas)-1]-deltas[0])/1e6, "ms-spread")
	b.Logf("%s %s: %d failovers, mean %.4f s, min %.4f s, max %.4f s, Master_Down_Interval %.4f s",
		impl, set.name, len(deltas), mean.Seconds(), deltas[0].Seconds(), deltas[len(deltas)-1].Seconds(), set.mdi.Seconds())
}

// BenchmarkVRRPGracefulStop: SIGTERM of the master; the time from its
// priority-0 advert to the VIP on the backup, next to the skew time.
func BenchmarkVRRPGracefulStop(b *testing.B) {
	for _, set := range failoverSettings {
		for _, impl := range []string{"lvsd", "keepalived"} {
			b.Run(set.name+"/"+impl, func(b *testing.B) { benchGraceful(b, impl, set) })
		}
	}
}

func benchGraceful(b *testing.B, impl string, set failoverSetting) {
	if impl == "keepalived" {
		testenv.NeedBinary(b, "keepalived")
	}
	lab := netlab.New(b, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	ip4 := sniff(b, cl, ethIPv4)
	added := addrEvents(b, n2, vip4)
	in := instance{Version: set.version, Advert: set.advert}
	in2 := in
	in2.Priority = 100
	startImpl(b, impl, n2, in2)
	in1 := in
	in1.Priority, in1.Master = 200, true
	skew := set.adv * 156 / 256 // (256 - 100) / 256 * interval
	prio0 := func(f []byte) bool {
		return isAdvert(51, n1.IP)(f) && f[14+int(f[14]&0x0f)*4+2] == 0
	}
	var deltas []time.Duration
	for b.Loop() {
		b.StopTimer()
		m := startImpl(b, impl, n1, in1)
		waitOwner(b, vip4, n1, 30*time.Second, 5*set.adv, n1, n2)
		for len(added) > 0 {
			<-added
		}
		time.Sleep(time.Duration(rand.Int64N(int64(set.adv))))
		stop := time.Now()
		b.StartTimer()
		_ = m.proc.Signal(syscall.SIGTERM)
		var at time.Time
		select {
		case at = <-added:
		case <-time.After(4*set.mdi + 2*time.Second):
			b.Fatalf("%s on n2 did not take the VIP", impl)
		}
		b.StopTimer()
		if impl == "keepalived" {
			killAllIn(b, n1) // the VRRP child may linger
		}
		_ = m.proc.Wait(10 * time.Second)
		p0 := ip4.since(stop, prio0)
		if len(p0) == 0 {
			b.Fatal("no priority-0 advert seen")
		}
		d := at.Sub(p0[0].at)
		deltas = append(deltas, d)
		b.Logf("%s %s: VIP on the backup %.4f s after the priority-0 advert (skew time %.4f s, %+.1f ms)",
			impl, set.name, d.Seconds(), skew.Seconds(), float64(d-skew)/1e6)
		b.StartTimer()
	}
	b.StopTimer()
	if len(deltas) == 0 {
		return
	}
	var sum time.Duration
	for _, d := range deltas {
		sum += d
	}
	mean := sum / time.Duration(len(deltas))
	b.ReportMetric(mean.Seconds(), "s-to-VIP")
	b.ReportMetric(float64(mean-skew)/1e6, "ms-over-skew")
}

// procStat returns a process's CPU time (summed over its threads, from
// schedstat: nanoseconds, not clock ticks) and its RSS.
func procStat(pid int) (cpu time.Duration, rssKB int, err error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread exited
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			cpu += time.Duration(ns)
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			rssKB, _ = strconv.Atoi(strings.Fields(l)[1])
		}
	}
	return cpu, rssKB, nil
}

// BenchmarkVRRPCPU: CPU per advert sent (master node) and received (backup
// node), and RSS, with 1, 50 and 250 VRRPv2 instances at advert_int 1 s.
// One iteration is a 10 s measurement window; the least disturbed window is
// reported (use -benchtime 3x).
//
// After the sub-benchmarks it prints the ratio table lvsd/keepalived for
// every instance count where both ran in this run: CPU per advert sent and
// received, and RSS of each node (keepalived: parent + VRRP child summed).
func BenchmarkVRRPCPU(b *testing.B) {
	results := map[cpuKey]cpuResult{}
	counts := []int{1, 50, 250}
	for _, n := range counts {
		// lvsd-nostate: without the state file (restart without outage),
		// whose heartbeat touches the file once per advert interval
		for _, impl := range []string{"lvsd", "lvsd-nostate", "keepalived"} {
			b.Run(fmt.Sprintf("%d/%s", n, impl), func(b *testing.B) {
				if r, ok := benchCPU(b, impl, n); ok {
					results[cpuKey{n, impl}] = r
				}
			})
		}
	}
	// on stdout: a parent benchmark's b.Log is shown only on failure or with -v
	fmt.Print(vrrpRatioTable(results, counts))
}

type cpuKey struct {
	n    int
	impl string
}

// cpuResult is one sub-benchmark's best window and its final RSS.
type cpuResult struct {
	sent, recv         float64 // µs of CPU per advert
	rssMaster, rssBk   int     // kB, summed over the node's processes
	anonMaster, anonBk int     // kB of RssAnon, summed likewise
}

// vrrpRatioTable formats lvsd (with and without the state file) against
// keepalived, as lvsd/keepalived ratios, for every count both measured.
func vrrpRatioTable(res map[cpuKey]cpuResult, counts []int) string {
	var sb strings.Builder
	sb.WriteString("\nVRRP cost, lvsd/keepalived (same run, same adverts, same schedstat method):\n")
	sb.WriteString("| instances | lvsd | figure | lvsd | keepalived | ratio |\n|---|---|---|---|---|---|\n")
	for _, n := range counts {
		k, ok := res[cpuKey{n, "keepalived"}]
		if !ok {
			continue
		}
		for _, impl := range []string{"lvsd", "lvsd-nostate"} {
			l, ok := res[cpuKey{n, impl}]
			if !ok {
				continue
			}
			row := func(fig string, lv, kv float64, unit string) {
				ratio := "—"
				if kv > 0 {
					ratio = fmt.Sprintf("%.2f", lv/kv)
				}
				fmt.Fprintf(&sb, "| %d | %s | %s | %.1f %s | %.1f %s | %s |\n", n, impl, fig, lv, unit, kv, unit, ratio)
			}
			row("CPU per advert sent (master)", l.sent, k.sent, "µs")
			row("CPU per advert received (backup)", l.recv, k.recv, "µs")
			row("RSS master node", float64(l.rssMaster)/1024, float64(k.rssMaster)/1024, "MB")
			row("RSS backup node", float64(l.rssBk)/1024, float64(k.rssBk)/1024, "MB")
			row("anonymous RSS master node", float64(l.anonMaster)/1024, float64(k.anonMaster)/1024, "MB")
			row("anonymous RSS backup node", float64(l.anonBk)/1024, float64(k.anonBk)/1024, "MB")
		}
	}
	return sb.String()
}

func sumKB(kb []int) int {
	t := 0
	for _, v := range kb {
		t += v
	}
	return t
}

// nsUsage sums CPU time and RSS over every process of the node's namespace
// (lvsd: one process; keepalived: parent and VRRP child).
// anonKB is RssAnon summed: the heap and stacks without the mapped binary.
func nsUsage(b testing.TB, n *netlab.Node) (cpu time.Duration, rssKB []int, anonKB int) {
	out, err := execOut("ip", "netns", "pids", n.NS)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range strings.Fields(out) {
		pid, _ := strconv.Atoi(f)
		if pid == os.Getpid() || pid == 0 {
			continue
		}
		c, r, err := procStat(pid)
		if err != nil {
			continue
		}
		cpu += c
		rssKB = append(rssKB, r)
		anonKB += rssAnonKB(pid)
	}
	return cpu, rssKB, anonKB
}

// rssAnonKB is the RssAnon line of /proc/PID/status (0 when unreadable).
func rssAnonKB(pid int) int {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(st), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "RssAnon:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

func benchCPU(b *testing.B, impl string, count int) (cpuResult, bool) {
	if impl == "keepalived" {
		testenv.NeedBinary(b, "keepalived")
	}
	lab := netlab.New(b, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	mk := func(prio int) []instance {
		var ins []instance
		for i := 1; i <= count; i++ {
			ins = append(ins, instance{Name: fmt.Sprintf("VI_%d", i), VRID: i, Priority: prio, Master: prio == 200,
				VIPs: []string{fmt.Sprintf("10.100.%d.%d/32 dev eth0", i/200, i%200+1)}})
		}
		return ins
	}
	switch impl {
	case "lvsd":
		startLvsd(b, n2, lvsdConf(mk(100)...))
		startLvsd(b, n1, lvsdConf(mk(200)...))
	case "lvsd-nostate":
		startLvsd(b, n2, lvsdConf(mk(100)...), "--state-file", "none")
		startLvsd(b, n1, lvsdConf(mk(200)...), "--state-file", "none")
	default:
		startKeepalived(b, n2, keepalivedConf("n2", mk(100)...))
		startKeepalived(b, n1, keepalivedConf("n1", mk(200)...))
	}
	// every instance of n1 master
	// keepalived 2.2.7 takes over a minute to take over 250 instances on a
	// loaded 2-core machine (147 of 250 after 60 s once)
	if !netlab.WaitFor(180*time.Second, func() bool {
		out, _ := execOut("ip", "-n", n1.NS, "-o", "-4", "addr", "show", "dev", "eth0")
		return strings.Count(out, "10.100.") == count
	}) {
		b.Fatal("n1 did not become master of every instance")
	}
	time.Sleep(6 * time.Second) // let the gratuitous ARP bursts pass
	const window = 10 * time.Second
	// The machine is shared: every window is measured and the least
	// disturbed one (lowest CPU) is reported.
	best := struct{ sent, recv, pm, pb float64 }{math.Inf(1), math.Inf(1), 0, 0}
	var rss1, rss2 []int
	var anon1, anon2 int
	for b.Loop() {
		c1, _, _ := nsUsage(b, n1)
		c2, _, _ := nsUsage(b, n2)
		start := time.Now()
		time.Sleep(window)
		e1, r1, a1 := nsUsage(b, n1)
		e2, r2, a2 := nsUsage(b, n2)
		el := time.Since(start)
		adverts := float64(count) * el.Seconds() // one per instance per second
		sent := float64(e1-c1) / 1e3 / adverts
		recv := float64(e2-c2) / 1e3 / adverts
		b.Logf("%s, %d instances, one window: master %.1f µs/advert sent, backup %.1f µs/advert received", impl, count, sent, recv)
		if sent < best.sent {
			best.sent, best.pm = sent, 100*float64(e1-c1)/float64(el)
		}
		if recv < best.recv {
			best.recv, best.pb = recv, 100*float64(e2-c2)/float64(el)
		}
		rss1, rss2 = r1, r2
		anon1, anon2 = a1, a2
	}
	b.ReportMetric(best.sent, "µs/advert-sent")
	b.ReportMetric(best.recv, "µs/advert-recv")
	b.ReportMetric(best.pm, "%core-master")
	b.ReportMetric(best.pb, "%core-backup")
	b.ReportMetric(float64(sumKB(rss2)), "kB-RSS-backup")
	b.Logf("%s, %d instances (best window): master %.1f µs/advert sent (%.2f%% of a core, RSS kB %v), backup %.1f µs/advert received (%.2f%% of a core, RSS kB %v)",
		impl, count, best.sent, best.pm, rss1, best.recv, best.pb, rss2)
	if math.IsInf(best.sent, 1) {
		return cpuResult{}, false
	}
	return cpuResult{sent: best.sent, recv: best.recv, rssMaster: sumKB(rss1), rssBk: sumKB(rss2),
		anonMaster: anon1, anonBk: anon2}, true
}
