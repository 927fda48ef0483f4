package ipvs

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingClient counts every request that reaches the kernel.
type countingClient struct {
	Client
	n atomic.Int64
}

func (c *countingClient) inc() { c.n.Add(1) }
func (c *countingClient) Services() ([]ServiceStats, error) {
	c.inc()
	return c.Client.Services()
}
func (c *countingClient) AddService(s Service) error    { c.inc(); return c.Client.AddService(s) }
func (c *countingClient) UpdateService(s Service) error { c.inc(); return c.Client.UpdateService(s) }
func (c *countingClient) DeleteService(k ServiceKey) error {
	c.inc()
	return c.Client.DeleteService(k)
}
func (c *countingClient) Destinations(k ServiceKey) ([]DestinationStats, error) {
	c.inc()
	return c.Client.Destinations(k)
}
func (c *countingClient) AddDestination(k ServiceKey, d Destination) error {
	c.inc()
	return c.Client.AddDestination(k, d)
}
func (c *countingClient) UpdateDestination(k ServiceKey, d Destination) error {
	c.inc()
	return c.Client.UpdateDestination(k, d)
}
func (c *countingClient) DeleteDestination(k ServiceKey, d DestKey) error {
	c.inc()
	return c.Client.DeleteDestination(k, d)
}

// bigTable is nsvc TCP services 10.0.x.y:80 (wlc) with ndest NAT
// destinations each on 10.1.0.1-ndest:8080.
func bigTable(nsvc, ndest int) Table {
	t := Table{}
	for i := range nsvc {
		vs := VirtualService{Service: Service{ServiceKey: ServiceKey{Protocol: TCP,
			Addr: netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}), Port: 80}, Scheduler: "wlc"}}
		for j := range ndest {
			vs.Destinations = append(vs.Destinations, Destination{DestKey: DestKey{
				Addr: netip.AddrFrom4([4]byte{10, 1, 0, byte(j + 1)}), Port: 8080}, Forward: NAT, Weight: 1})
		}
		t.Add(vs)
	}
	return t
}

// ipvsadmRules renders a table in ipvsadm -R's input format.
func ipvsadmRules(t Table) string {
	var b strings.Builder
	for _, k := range sortedTableKeys(t) {
		vs := t[k]
		fmt.Fprintf(&b, "-A -t %s -s %s\n", netip.AddrPortFrom(k.Addr, k.Port), vs.Scheduler)
		for _, d := range vs.Destinations {
			fmt.Fprintf(&b, "-a -t %s -r %s -m -w %d\n", netip.AddrPortFrom(k.Addr, k.Port), d.DestKey, d.Weight)
		}
	}
	return b.String()
}

// A reload that changes one weight in a 1,000 x 10 table costs exactly one
// netlink request.
func TestKernelOneWeightOneRequest(t *testing.T) {
	c, _ := kernelNS(t)
	cc := &countingClient{Client: c}
	m := NewManager(cc, nil)
	ctx := context.Background()
	desired := bigTable(1000, 10)
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	if n := cc.n.Load(); n != 1+1000+1000*10 {
		t.Errorf("apply from empty: %d requests, want %d (1 dump, 1,000 service adds, 10,000 destination adds)", n, 1+1000+10000)
	}
	cc.n.Store(0)
	k := sortedTableKeys(desired)[500]
	vs := desired[k]
	vs.Destinations = append([]Destination(nil), vs.Destinations...)
	vs.Destinations[3].Weight = 5
	desired[k] = vs
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	if n := cc.n.Load(); n != 1 {
		t.Errorf("one weight changed: %d requests, want 1", n)
	}
	ds, err := c.Destinations(k)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if w := map[bool]uint32{true: 5, false: 1}[d.DestKey == vs.Destinations[3].DestKey]; d.Weight != w {
			t.Errorf("%s weight %d, want %d", d.DestKey, d.Weight, w)
		}
	}
}

// BenchmarkKernelApply compares applying 1,000 services x 10 destinations to
// an empty table with the Manager against ipvsadm -R restoring the same
// table. Every iteration runs in a fresh network namespace: IPVS keeps
// deleted destinations on a per-namespace trash list for minutes, and adds
// after a flush of 10,000 of them are slower, which would bias against
// whichever runs second. Run in the VM: make bench-ipvs.
func BenchmarkKernelApply(b *testing.B) {
	desired := bigTable(1000, 10)
	rules := ipvsadmRules(desired)
	b.Run("lvsd", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			c, _ := kernelNS(b)
			m := NewManager(c, nil)
			waitIdle()
			b.StartTimer()
			if err := m.Apply(context.Background(), desired); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ipvsadm-R", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			_, ns := kernelNS(b)
			cmd := exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-R")
			cmd.Stdin = strings.NewReader(rules)
			waitIdle()
			b.StartTimer()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("ipvsadm -R: %v: %s", err, out)
			}
		}
	})
}

// waitIdle waits (at most 30 s) for the machine's CPUs to be less than 5 %
// busy over half a second: namespaces deleted by earlier iterations are
// torn down by the kernel in the background.
func waitIdle() {
	busy := func() (b, t float64) {
		data, _ := os.ReadFile("/proc/stat")
		line, _, _ := strings.Cut(string(data), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseFloat(f, 64)
			t += v
			if i != 3 && i != 4 {
				b += v
			}
		}
		return b, t
	}
	for range 60 {
		b0, t0 := busy()
		time.Sleep(500 * time.Millisecond)
		if b1, t1 := busy(); t1 > t0 && (b1-b0)/(t1-t0) < 0.05 {
			return
		}
	}
}

// BenchmarkKernelReconcile: Run's periodic check of a 1,000 x 10 table
// that nobody changed, in full (a dump per service) and by fingerprint.
func BenchmarkKernelReconcile(b *testing.B) {
	c, _ := kernelNS(b)
	m := NewManager(c, nil)
	ctx := context.Background()
	if err := m.Apply(ctx, bigTable(1000, 10)); err != nil {
		b.Fatal(err)
	}
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := m.reconcileTick(ctx, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fingerprint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := m.reconcileTick(ctx, false); err != nil {
				b.Fatal(err)
			}
		}
		if full, cheap := m.reconcileCounts(); cheap == 0 {
			b.Fatalf("%d full reads, no cheap check", full)
		}
	})
}
