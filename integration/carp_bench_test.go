package integration

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// BenchmarkCARPFailover: failover after a kill, an lvsd CARP pair next to a
// ucarp pair with the same settings (advbase 1; n1 advskew 0 with preempt,
// n2 advskew 1). One iteration: n1 is (re)started and takes the address,
// then at a random phase of its advert cycle its link goes down and it is
// killed -9; the figure is the time from n1's last advert (as a client saw
// it) to the address's arrival on n2, next to the protocol bound
// 3 x advbase + advskew/256 = 3.0039 s. (ucarp checks its master-down timer
// only when its poll wakes, up to one advbase late.)
func BenchmarkCARPFailover(b *testing.B) {
	for _, impl := range []string{"lvsd", "ucarp"} {
		b.Run("advbase1/"+impl, func(b *testing.B) { benchCARPFailover(b, impl) })
	}
}

func startCARPImpl(b *testing.B, impl string, n *netlab.Node, s carpSide) *daemon {
	if impl == "lvsd" {
		d, _ := startLvsdCARP(b, n, s)
		return d
	}
	return startUcarp(b, n, s)
}

func benchCARPFailover(b *testing.B, impl string) {
	testenv.NeedRoot(b)
	testenv.NeedBinary(b, "ucarp")
	lab := netlab.New(b, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	ip4 := sniff(b, cl, ethIPv4)
	added := addrEvents(b, n2, vip4)
	startCARPImpl(b, impl, n2, carpSide{skew: 1})
	bound := 3*time.Second + 3906*time.Microsecond
	advert := isAdvert(10, n1.IP)
	var deltas []time.Duration
	for b.Loop() {
		b.StopTimer()
		m := startCARPImpl(b, impl, n1, carpSide{skew: 0, preempt: true})
		waitOwner(b, vip4, n1, 30*time.Second, 3*time.Second, n1, n2)
		for len(added) > 0 {
			<-added
		}
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
		down := time.Now()
		b.StartTimer()
		m.kill9(b)
		var at time.Time
		select {
		case at = <-added:
		case <-time.After(10 * time.Second):
			b.Fatalf("%s on n2 did not take the address", impl)
		}
		b.StopTimer()
		var last time.Time
		for _, f := range ip4.since(down.Add(-3*time.Second), advert) {
			if f.at.Before(at) {
				last = f.at
			}
		}
		if last.IsZero() {
			b.Fatal("no advert from the master seen before the failover")
		}
		d := at.Sub(last)
		deltas = append(deltas, d)
		b.Logf("%s: address on n2 %.4f s after n1's last advert (bound %.4f s)", impl, d.Seconds(), bound.Seconds())
		_ = m.proc.Wait(5 * time.Second)
		_, _ = n1.Exec(b.Context(), "ip", "addr", "del", vip4.String()+"/24", "dev", "eth0")
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
	b.ReportMetric(float64(mean-bound)/1e6, "ms-over-bound")
	b.Logf("%s: %d failovers, mean %.4f s, min %.4f s, max %.4f s, bound %.4f s",
		impl, len(deltas), mean.Seconds(), deltas[0].Seconds(), deltas[len(deltas)-1].Seconds(), bound.Seconds())
}
