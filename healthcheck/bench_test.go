package healthcheck

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/healthcheck/genhash"
	"golang.org/x/sys/unix"
)

// cpuSplit returns the process's user and system CPU time.
func cpuSplit() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkHTTPGetCheck measures one http_get check (connect, request,
// response, digest) against nginx on loopback. The server is another
// process, so cpu-ns/check is the checker's own CPU (user+system).
func BenchmarkHTTPGetCheck(b *testing.B) {
	n := newNginxB(b)
	c, err := NewHTTPChecker(HTTPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second, URLs: []URLSpec{{Path: "/index.html", Digest: md5hex(page)}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	u0, s0 := cpuSplit()
	start := time.Now()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK() {
			b.Fatal(r.Detail())
		}
	}
	u1, s1 := cpuSplit()
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/check")
	b.ReportMetric(float64(u1-u0)/float64(b.N), "user-ns/check")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checks/s")
}

// BenchmarkScheduler10k checks 10,000 real servers (distinct checks: one
// url each) every second for 5 s through the scheduler against nginx and
// reports the fraction of one core used and the heap per real server.
func BenchmarkScheduler10k(b *testing.B) {
	const servers = 10000
	n := newNginxB(b)
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		specs := make([]RealServerSpec, servers)
		for i := range specs {
			c, err := NewHTTPChecker(HTTPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second, URLs: []URLSpec{{Path: fmt.Sprintf("/index.html?rs=%d", i), Digest: md5hex(page)}}})
			if err != nil {
				b.Fatal(err)
			}
			specs[i] = RealServerSpec{
				Key:    RealServerKey{VirtualServer: "bench", Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Port: 80},
				Weight: 1,
				Checks: []CheckConfig{{Name: "http_get", Checker: c, Policy: Policy{DelayLoop: time.Second, Retry: 1, DelayBeforeRetry: time.Second, Warmup: time.Second}}},
			}
		}
		var mu sync.Mutex
		downs := 0
		workers := 0 // the default
		if w, err := strconv.Atoi(os.Getenv("LVSD_BENCH_WORKERS")); err == nil {
			workers = w
		}
		s := New(Options{Workers: workers, OnUpdate: func(u Update) {
			if !u.Up {
				mu.Lock()
				downs++
				mu.Unlock()
			}
		}})
		s.Set(specs)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(2 * time.Second) // warm-up spreads the first checks
		v0 := s.View()
		u0, s0 := cpuSplit()
		t0 := time.Now()
		time.Sleep(5 * time.Second)
		u1, s1 := cpuSplit()
		cpu, el := u1-u0+s1-s0, time.Since(t0)
		v1 := s.View()
		runtime.ReadMemStats(&m1)
		cancel()
		wg.Wait()
		checks := v1.Results[ReasonOK] - v0.Results[ReasonOK]
		var failed uint64
		for r := ReasonTimeout; r < numReasons; r++ {
			failed += v1.Results[r] - v0.Results[r]
		}
		b.ReportMetric(float64(checks)/el.Seconds(), "checks/s")
		b.ReportMetric(float64(cpu)/float64(el), "cores")
		b.ReportMetric(float64(u1-u0)/float64(el), "user-cores")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(checks), "cpu-ns/check")
		b.ReportMetric(float64(failed), "failed")
		b.ReportMetric(float64(m1.HeapInuse-m0.HeapInuse)/servers, "heap-B/server")
		mu.Lock()
		b.ReportMetric(float64(downs), "downs")
		mu.Unlock()
		runtime.KeepAlive(specs)
	}
}

// BenchmarkSyscallFloor is the reference: the same exchange with plain
// blocking system calls (socket, connect, write, read until EOF, RST close)
// and nothing else. Its cpu-ns/check is what the kernel alone costs per
// check on loopback, where both ends' TCP processing runs in the caller.
func BenchmarkSyscallFloor(b *testing.B) {
	n := newNginxB(b)
	req := genhash.AppendRequest(nil, "/index.html", n.addr(n.httpPort), "", genhash.HTTP10)
	sa := &unix.SockaddrInet4{Port: int(n.httpPort), Addr: [4]byte{127, 0, 0, 1}}
	buf := make([]byte, 4096)
	u0, s0 := cpuSplit()
	for b.Loop() {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			b.Fatal(err)
		}
		unix.Write(fd, req)
		for {
			m, err := unix.Read(fd, buf)
			if m <= 0 || err != nil {
				break
			}
		}
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
		unix.Close(fd)
	}
	u1, s1 := cpuSplit()
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/check")
	b.ReportMetric(float64(u1-u0)/float64(b.N), "user-ns/check")
}

// nopChecker passes at once: it isolates the scheduler's own cost.
type nopChecker struct{ key string }

func (c nopChecker) Key() string                  { return c.key }
func (c nopChecker) Check(context.Context) Result { return Result{Weight: -1, ExitCode: -1} }

// BenchmarkSchedulerOverhead: 10,000 real servers with a check that costs
// nothing, each every second for 3 s: the CPU the scheduler itself needs
// per check (timers, heap, hand-offs to workers, state, counters).
func BenchmarkSchedulerOverhead(b *testing.B) {
	const servers = 10000
	for b.Loop() {
		specs := make([]RealServerSpec, servers)
		for i := range specs {
			specs[i] = RealServerSpec{
				Key:    RealServerKey{VirtualServer: "bench", Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Port: 80},
				Weight: 1,
				Checks: []CheckConfig{{Name: "nop", Checker: nopChecker{strconv.Itoa(i)}, Policy: Policy{DelayLoop: time.Second, Warmup: time.Second}}},
			}
		}
		s := New(Options{})
		s.Set(specs)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond)
		v0 := s.View()
		u0, s0 := cpuSplit()
		t0 := time.Now()
		time.Sleep(3 * time.Second)
		u1, s1 := cpuSplit()
		el := time.Since(t0)
		v1 := s.View()
		cancel()
		wg.Wait()
		checks := v1.Results[ReasonOK] - v0.Results[ReasonOK]
		b.ReportMetric(float64(checks)/el.Seconds(), "checks/s")
		b.ReportMetric(float64(u1-u0+s1-s0)/float64(el), "cores")
		b.ReportMetric(float64(u1-u0+s1-s0)/float64(checks), "cpu-ns/check")
	}
}

// BenchmarkTCPCheck measures one tcp_check (connect, close) against nginx
// on loopback: the checker's own CPU (user+system) and allocations.
func BenchmarkTCPCheck(b *testing.B) {
	n := newNginxB(b)
	c, err := NewTCPChecker(TCPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	u0, s0 := cpuSplit()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK() {
			b.Fatal(r.Detail())
		}
	}
	u1, s1 := cpuSplit()
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/check")
	b.ReportMetric(float64(u1-u0)/float64(b.N), "user-ns/check")
}

// BenchmarkSchedulerTCP200: bench-director's check scenario on the host,
// 200 real servers with a tcp_check every second against nginx on
// loopback, through the scheduler for 3 s: the process's CPU per check
// (scheduler, hand-offs, connect and close; nginx's side is another
// process). Run it with -cpu 1,2 to see what the Go runtime's threads cost.
func BenchmarkSchedulerTCP200(b *testing.B) {
	const servers = 200
	n := newNginxB(b)
	for b.Loop() {
		specs := make([]RealServerSpec, servers)
		for i := range specs {
			// distinct checks of one target: the bind port differs
			c, err := NewTCPChecker(TCPSpec{Target: n.addr(n.httpPort), Timeout: 2 * time.Second,
				Bind: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(i%250 + 1)}), 0)})
			if err != nil {
				b.Fatal(err)
			}
			specs[i] = RealServerSpec{
				Key:    RealServerKey{VirtualServer: "bench", Addr: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Port: 80},
				Weight: 1,
				Checks: []CheckConfig{{Name: "tcp", Checker: c, Policy: Policy{DelayLoop: time.Second, Warmup: time.Second}}},
			}
		}
		measureScheduler(b, specs)
	}
}

// measureScheduler runs specs through a scheduler, lets the first checks
// pass (warmup 1 s), then reports the checks a second and the process's
// CPU per passed check over 3 s (the scheduler benchmarks at 200 real
// servers).
func measureScheduler(b *testing.B, specs []RealServerSpec) {
	b.Helper()
	s := New(Options{})
	s.Set(specs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Run(ctx) }()
	time.Sleep(1500 * time.Millisecond)
	v0 := s.View()
	u0, s0 := cpuSplit()
	t0 := time.Now()
	time.Sleep(3 * time.Second)
	u1, s1 := cpuSplit()
	el := time.Since(t0)
	v1 := s.View()
	cancel()
	wg.Wait()
	checks := v1.Results[ReasonOK] - v0.Results[ReasonOK]
	if checks == 0 {
		b.Fatalf("no check passed: %v", v1.Results)
	}
	b.ReportMetric(float64(checks)/el.Seconds(), "checks/s")
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(checks), "cpu-ns/check")
	b.ReportMetric(float64(u1-u0)/float64(checks), "user-ns/check")
}
