package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// The director benchmarks time `lvsd run`'s start and reloads on the host,
// over ipvs.Fake (the daemon's IPVS boundary), with the table that
// `make bench-director` measures in the VM: 1,000 virtual servers x 10
// real servers. Profile them with
//
//	go test -run '^$' -bench Director -benchtime 5x -cpuprofile cpu.out -memprofile mem.out ./cmd/lvsd/internal/daemon/
//
// Each start reports its stages (ms) and the heap the running daemon keeps
// after it (live-MB, after a GC), and the heap size at which its next
// collection starts (goal-MB: the steady GOGC's bound on the heap's
// growth, memory.go), and the process's anonymous memory after 64 MB of
// garbage more (churn-anon-MB: where RSS settles, fake kernel included).
// cpu-ms is the process's CPU (user +
// system, every goroutine, the collector's too) per operation: on a loaded
// shared host it is the figure to compare, not ns/op.

// directorConf renders integration/directorbench's generated table (its
// table.lvsd, which lives in that package's tests): vs virtual servers
// (TCP port 80, wrr, NAT, delay_loop 1) with rs real servers each (port
// 8080, weight 1); check is "" (none), "tcp" or "http". With bumped, real
// server 3 of virtual server vs/2 has weight 5 (the one-weight reload).
// The real servers are on 127.2.j.x (loopback) so that checks, if any, stay
// on the host.
func directorConf(vs, rs int, check string, bumped bool) string {
	var b strings.Builder
	b.WriteString("[global]\nrouter_id = \"bench\"\n")
	for i := range vs {
		fmt.Fprintf(&b, "\n[[virtual_server]]\nip = \"%s\"\nport = 80\ndelay_loop = 1\nlb_algo = \"wrr\"\nlb_kind = \"NAT\"\nprotocol = \"TCP\"\n",
			netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}))
		for j := range rs {
			w := 1
			if bumped && i == vs/2 && j == 3 {
				w = 5
			}
			fmt.Fprintf(&b, "\n[[virtual_server.real_server]]\nip = \"%s\"\nport = 8080\nweight = %d\n",
				netip.AddrFrom4([4]byte{127, 2, byte(j), byte(i%250 + 1)}), w)
			switch check {
			case "tcp":
				b.WriteString("[[virtual_server.real_server.tcp_check]]\nconnect_timeout = 3\n")
			case "http":
				b.WriteString("[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/health\", status_code = [200] }]\nconnect_timeout = 3\n")
			}
		}
	}
	return b.String()
}

// directorStart is `lvsd run`'s start as cmd/lvsd's runDaemon and ops.run
// do it, up to the table fully applied: read, parse, host checks,
// preflight, newDaemon, start. It returns the
// started daemon and adds each stage's duration to stages.
func directorStart(tb testing.TB, file string, f *ipvs.Fake, stages map[string]time.Duration) *daemon {
	tb.Helper()
	log := slog.New(slog.DiscardHandler)
	t := time.Now()
	lap := func(name string) {
		now := time.Now()
		stages[name] += now.Sub(t)
		t = now
	}
	BeginLoad() // as runDaemon; ops.run's releaseMemory ends it
	src, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Parse(file, src)
	if err != nil {
		tb.Fatal(err)
	}
	lap("parse")
	if err := CheckHost(log, cfg, src); err != nil {
		tb.Fatal(err)
	}
	lap("checkhost")
	if err := Preflight(cfg); err != nil {
		tb.Fatal(err)
	}
	lap("preflight")
	d := newDaemon(cfg, log)
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	lap("start")
	return d
}

// destinations counts the fake kernel's destinations.
func destinations(f *ipvs.Fake) int {
	n := 0
	for _, vs := range f.Table() {
		n += len(vs.Destinations)
	}
	return n
}

// cpuTime is the process's CPU time so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports cpu, the CPU time of n operations, as cpu-ms per
// operation.
func reportCPU(b *testing.B, cpu time.Duration, n int) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(max(n, 1)), "cpu-ms")
}

// heapGoalBytes is the heap size at which the next collection starts.
func heapGoalBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// churnSink keeps churnedAnon's garbage from being optimised away.
var churnSink []byte

// churnedAnon is the process's anonymous memory (smaps_rollup) after the
// running daemon's heap has seen 64 MB of short-lived garbage in 4 KB
// pieces, as hours of reconciles, checks and status requests make: where
// the heap's steady GOGC (memory.go) lets RSS settle. 0 if unreadable.
func churnedAnon() uint64 {
	for range 64 << 20 >> 12 {
		churnSink = make([]byte, 4<<10)
	}
	churnSink = nil
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Anonymous:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

// liveHeap is the heap in use after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func benchmarkDirectorStart(b *testing.B, check string) {
	file := filepath.Join(b.TempDir(), "lvsd.toml")
	if err := os.WriteFile(file, []byte(directorConf(1000, 10, check, false)), 0o644); err != nil {
		b.Fatal(err)
	}
	stages := map[string]time.Duration{}
	var live, goal, anon uint64
	var cpu time.Duration
	n := 0
	for b.Loop() {
		f := ipvs.NewFake()
		c := cpuTime()
		d := directorStart(b, file, f, stages)
		b.StopTimer()
		if got := destinations(f); got != 10000 {
			b.Fatalf("%d destinations after the start, want 10000", got)
		}
		b.StartTimer()
		t := time.Now()
		releaseMemory() // ops.run, once started
		stages["free2"] += time.Since(t)
		cpu += cpuTime() - c
		b.StopTimer()
		f.ResetCalls() // the fake's record of 11,000 requests is not the daemon's
		live += liveHeap()
		goal += heapGoalBytes()
		anon += churnedAnon()
		n++
		if err := d.stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		d = nil
		runtime.GC()
		b.StartTimer()
	}
	for name, d := range stages {
		b.ReportMetric(float64(d.Microseconds())/1000/float64(n), name+"-ms")
	}
	b.ReportMetric(float64(live)/float64(n)/1e6, "live-MB")
	b.ReportMetric(float64(goal)/float64(n)/1e6, "goal-MB")
	b.ReportMetric(float64(anon)/float64(n)/1e6, "churn-anon-MB")
	reportCPU(b, cpu, n)
}

// BenchmarkDirectorStart: `lvsd run` of the 1,000 x 10 table without
// checkers, from reading the file to the 10,000 destinations in the (fake)
// kernel, then the heap returned to the OS.
func BenchmarkDirectorStart(b *testing.B) { benchmarkDirectorStart(b, "") }

// BenchmarkDirectorStartTCPCheck: the same with a TCP_CHECK on every real
// server (10,000 checks scheduled; the first ones dial 127.2.0.0/16).
func BenchmarkDirectorStartTCPCheck(b *testing.B) { benchmarkDirectorStart(b, "tcp") }

// startedDirector starts the 1,000 x 10 table and returns its ops (for
// reload), the fake kernel and the file.
func startedDirector(b *testing.B) (*ops, *ipvs.Fake, string) {
	file := filepath.Join(b.TempDir(), "lvsd.toml")
	if err := os.WriteFile(file, []byte(directorConf(1000, 10, "", false)), 0o644); err != nil {
		b.Fatal(err)
	}
	f := ipvs.NewFake()
	d := directorStart(b, file, f, map[string]time.Duration{})
	b.Cleanup(func() { d.stop(context.Background()) })
	o := newOps(file, opsFlags{}, slog.New(slog.DiscardHandler))
	o.d = d
	releaseMemory()
	return o, f, file
}

// BenchmarkDirectorReloadUnchanged: SIGHUP with the same 1,000 x 10 file
// (read, parse, host checks, diff: no IPVS request), heap returned.
func BenchmarkDirectorReloadUnchanged(b *testing.B) {
	o, f, _ := startedDirector(b)
	f.ResetCalls()
	c, n := cpuTime(), 0
	for b.Loop() {
		if err := o.reload(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	time.Sleep(100 * time.Millisecond) // the last reload's apply (a no-op) runs after it returns
	reportCPU(b, cpuTime()-c, n)
	b.StopTimer()
	if calls := f.Calls(); len(calls) != 0 {
		b.Fatalf("unchanged reloads sent %d requests (%v)", len(calls), calls[:min(len(calls), 3)])
	}
	b.ReportMetric(float64(liveHeap())/1e6, "live-MB")
}

// BenchmarkDirectorReloadOneWeight: SIGHUP with one weight changed
// (alternately 5 and 1) until the fake kernel holds it: one request.
func BenchmarkDirectorReloadOneWeight(b *testing.B) {
	o, f, file := startedDirector(b)
	confs := []string{directorConf(1000, 10, "", true), directorConf(1000, 10, "", false)}
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.AddrFrom4([4]byte{10, 0, 2, 1}), Port: 80} // 500
	rs := netip.AddrFrom4([4]byte{127, 2, 3, 1})
	i := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(file, []byte(confs[i%2]), 0o644); err != nil {
			b.Fatal(err)
		}
		want := uint32(5 - 4*(i%2))
		f.ResetCalls()
		b.StartTimer()
		c := cpuTime()
		if err := o.reload(); err != nil {
			b.Fatal(err)
		}
		// Polled through the cheap record of requests: a copy of the
		// whole table every few ms would be much of the CPU measured.
		for deadline := time.Now().Add(5 * time.Second); len(f.Calls()) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		waitTable(b, f, "new weight", func(tab ipvs.Table) bool {
			for _, d := range tab[svc].Destinations {
				if d.Addr == rs {
					return d.Weight == want
				}
			}
			return false
		})
		cpu += cpuTime() - c
		b.StopTimer()
		if calls := f.Calls(); len(calls) != 1 {
			b.Fatalf("one changed weight sent %d requests (%v)", len(calls), calls[:min(len(calls), 3)])
		}
		b.StartTimer()
		i++
	}
	reportCPU(b, cpu, i)
}
