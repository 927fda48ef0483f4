package vrrp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/packet"
)

// discardConn accepts writes and never delivers anything.
type discardConn struct{ n int }

func (d *discardConn) WriteTo(p []byte, dst netip.Addr) error   { d.n++; return nil }
func (d *discardConn) ReadFrom(b []byte) (int, RecvMeta, error) { select {} }
func (d *discardConn) Close() error                             { return nil }

func benchInstance(tb testing.TB, cfg Config) *Instance {
	tb.Helper()
	i, err := New(cfg, &discardConn{}, newFakeAddrs(), &fakeAnn{}, Options{Logger: discardLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	i.initRun(context.Background())
	return i
}

// masterSteadyState returns a master instance and a function that runs one
// advert interval of it: the timer fires, the advert is sent, the VIPs are checked.
func masterSteadyState(tb testing.TB) func() {
	cfg := baseCfg(1, 255)
	cfg.VIPs = append(cfg.VIPs, VIP{Prefix: netip.MustParsePrefix("10.99.0.101/24")}, VIP{Prefix: netip.MustParsePrefix("10.99.0.102/24")})
	i := benchInstance(tb, cfg)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	i.apply(now, i.m.Start(now, i.acts[:0]))
	if i.m.State() != fsm.Master {
		tb.Fatal("not master")
	}
	return func() {
		now = i.m.Deadline()
		i.onTimer(now)
	}
}

// backupSteadyState returns a backup instance and a function that receives,
// validates and processes one advert of the master.
func backupSteadyState(tb testing.TB) func() {
	i := benchInstance(tb, baseCfg(2, 100))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	i.apply(now, i.m.Start(now, i.acts[:0]))
	a := packet.Advert{Version: 2, VRID: 51, Priority: 200, AuthType: packet.AuthPass, AuthData: packet.PassData("s3cr3t"), Interval: 1, Addrs: []netip.Addr{vip.Addr()}}
	payload := make([]byte, packet.MaxLen)
	n, err := a.MarshalTo(payload, nodeIP(1), packet.Group4, 0)
	if err != nil {
		tb.Fatal(err)
	}
	payload = payload[:n]
	meta := RecvMeta{Src: nodeIP(1), Dst: packet.Group4, TTL: 255, IfIndex: 1}
	adv := packet.Advert{Addrs: make([]netip.Addr, 0, 1)}
	return func() {
		now = now.Add(time.Second)
		if r := i.accept(payload, meta, &adv); r != packet.DropNone {
			tb.Fatal(r)
		}
		i.count(&adv)
		i.onAdvert(rxAdvert{adv: fsm.Advert{Priority: adv.Priority, Interval: adv.IntervalDuration(), Src: meta.Src}, at: now})
	}
}

func BenchmarkAdvertSend(b *testing.B) {
	step := masterSteadyState(b)
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

func BenchmarkAdvertReceive(b *testing.B) {
	step := backupSteadyState(b)
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// TestSteadyStateZeroAllocs pins the allocation-free advert paths.
func TestSteadyStateZeroAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(200, masterSteadyState(t)); n != 0 {
		t.Errorf("master: %v allocations per advert interval", n)
	}
	if n := testing.AllocsPerRun(200, backupSteadyState(t)); n != 0 {
		t.Errorf("backup: %v allocations per received advert", n)
	}
}
