package bfd

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSessions1000: two Managers in this process, 1,000 sessions
// between them over real UDP sockets on loopback (127.10.x.y <->
// 127.20.x.y), all Up; each op is one second of steady state. Reported:
// CPU per session (one side: the process's CPU / 2 / sessions) as a
// fraction of a core in ppm, packets per second each way.
func BenchmarkSessions1000(b *testing.B) {
	for _, iv := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("tx=%v", iv), func(b *testing.B) { benchSessions(b, 1000, iv) })
	}
}

func benchSessions(b *testing.B, n int, iv time.Duration) {
	ua, err := ListenUDPPorts(24784, 34784)
	if err != nil {
		b.Fatal(err)
	}
	ub, err := ListenUDPPorts(34784, 24784)
	if err != nil {
		b.Fatal(err)
	}
	a, bm := NewManager(ua, nil, nil), NewManager(ub, nil, nil)
	cfg := Config{MinRx: iv, MinTx: iv, IdleTx: time.Second, Multiplier: 3}
	var pa, pb []Peer
	for i := range n {
		x, y := byte(i/250), byte(i%250+1)
		la := netip.AddrFrom4([4]byte{127, 10, x, y})
		lb := netip.AddrFrom4([4]byte{127, 20, x, y})
		name := fmt.Sprintf("s%d", i)
		pa = append(pa, Peer{Name: name, Neighbor: lb, Source: la, Config: cfg, TTL: 255})
		pb = append(pb, Peer{Name: name, Neighbor: la, Source: lb, Config: cfg, TTL: 255})
	}
	if err := a.Set(pa); err != nil {
		b.Fatal(err)
	}
	if err := bm.Set(pb); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(ctx) })
	wg.Go(func() { bm.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		up := 0
		for _, s := range a.Sessions() {
			if s.State == Up {
				up++
			}
		}
		if up == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sessions Up after 30s, drops %v", up, n, a.Drops())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // Poll sequences done
	sent := func() (s uint64) {
		for _, x := range a.Sessions() {
			s += x.Sent
		}
		return s
	}
	changes := func() (c uint64) {
		for _, x := range a.Sessions() {
			c += x.Changes
		}
		return c
	}
	c0, s0, ch0, t0 := cpuTime(), sent(), changes(), time.Now()
	b.ResetTimer()
	for range b.N {
		time.Sleep(time.Second)
	}
	b.StopTimer()
	wall := time.Since(t0)
	cpu := cpuTime() - c0
	b.ReportMetric(float64(cpu)/float64(wall)/2/float64(n)*1e6, "ppm-core/session")
	b.ReportMetric(float64(sent()-s0)/wall.Seconds(), "pkts/s")
	b.ReportMetric(float64(changes()-ch0), "flaps")
}
