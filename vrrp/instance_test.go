package vrrp

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/packet"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const (
	mdi100  = 3609375 * time.Microsecond // v2, priority 100
	mdi200  = 3218750 * time.Microsecond // v2, priority 200
	skew100 = 609375 * time.Microsecond
)

// settle lets the bubble run for d and waits until every goroutine is blocked.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func wantState(t *testing.T, name string, n *node, s State) {
	t.Helper()
	if got := n.inst.State(); got != s {
		t.Fatalf("%s: state %v, want %v", name, got, s)
	}
}

func TestElectionFailoverAndGracefulStop(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		t0 := time.Now()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(10 * time.Second)

		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		// a took over at its own Master_Down_Interval, having heard nobody.
		if got := a.becameMaster(t).Sub(t0); got != mdi200 {
			t.Errorf("a became master after %v, want %v", got, mdi200)
		}
		if !a.addrs.has(vip) || b.addrs.has(vip) {
			t.Errorf("VIP: a %v b %v", a.addrs.has(vip), b.addrs.has(vip))
		}
		// keepalived's order: advert, VIPs, then a burst of 5 GARPs, and 5 more 5 s later.
		tm := t0.Add(mdi200)
		if n := a.ann.countIn(tm, tm); n != 5 {
			t.Errorf("%d announcements at takeover, want 5", n)
		}
		if n := a.ann.countIn(tm.Add(5*time.Second), tm.Add(5*time.Second)); n != 5 {
			t.Errorf("%d announcements 5 s after takeover, want 5", n)
		}
		if first := h.sends(nodeIP(1))[0]; !first.at.Equal(tm) || first.prio != 200 {
			t.Errorf("first advert at %v prio %d", first.at.Sub(t0), first.prio)
		}
		if adds := a.addrs.ops("add"); len(adds) != 1 || !adds[0].at.Equal(tm) {
			t.Errorf("AddVIPs calls %+v", adds)
		}
		// One advert per second since.
		if n := len(h.sends(nodeIP(1))); n != 7 {
			t.Errorf("a sent %d adverts in 10 s, want 7", n)
		}
		if s := b.inst.Stats(); s.AdvertsReceived != 7 || s.Master != nodeIP(1) || s.MasterPriority != 200 || !s.LastTransition.Equal(t0) {
			t.Errorf("b stats: received %d, master %v/%d, last transition %v", s.AdvertsReceived, s.Master, s.MasterPriority, s.LastTransition.Sub(t0))
		}

		// Kill a at a random phase of the advert cycle (its packets vanish).
		settle(370 * time.Millisecond)
		a.conn.cut.Store(true)
		last := h.lastSend(nodeIP(1)).at
		settle(5 * time.Second)
		wantState(t, "b after failover", b, StateMaster)
		if got := b.becameMaster(t).Sub(last); got != mdi100 {
			t.Errorf("failover %v after the master's last advert, want %v", got, mdi100)
		}
		if tr := b.transitions(); tr[len(tr)-1].Cause != fsm.CauseMasterDown {
			t.Errorf("cause %v", tr[len(tr)-1].Cause)
		}
		a.stop(t)
		b.stop(t)
	})
}

func TestGracefulStopTakeoverAfterSkew(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(6*time.Second + 250*time.Millisecond)
		wantState(t, "a", a, StateMaster)

		stopAt := time.Now()
		a.stop(t)
		wantState(t, "a stopped", a, StateStop)
		last := h.lastSend(nodeIP(1))
		if last.prio != 0 || !last.at.Equal(stopAt) {
			t.Errorf("last advert of a: prio %d at %v", last.prio, last.at.Sub(stopAt))
		}
		if a.addrs.has(vip) {
			t.Errorf("a kept its VIP after stop")
		}
		if s := a.inst.Stats(); s.PriorityZeroSent != 1 {
			t.Errorf("priority-0 adverts sent: %d", s.PriorityZeroSent)
		}
		tr := a.transitions()
		if l := tr[len(tr)-1]; l.From != StateMaster || l.To != StateStop || l.Cause != fsm.CauseShutdown {
			t.Errorf("a's last transition %+v", l)
		}
		settle(2 * time.Second)
		wantState(t, "b", b, StateMaster)
		if got := b.becameMaster(t).Sub(stopAt); got != skew100 {
			t.Errorf("takeover %v after priority 0, want Skew_Time %v", got, skew100)
		}
		if b.inst.Stats().PriorityZeroReceived != 1 {
			t.Errorf("b: priority-0 received %d", b.inst.Stats().PriorityZeroReceived)
		}
		b.stop(t)
	})
}

func TestPreemptAndNoPreempt(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, nopreempt := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			h := newHub()
			b := startNode(t, h, baseCfg(2, 100))
			settle(5 * time.Second)
			wantState(t, "b alone", b, StateMaster)

			cfg := baseCfg(1, 200)
			cfg.NoPreempt = nopreempt
			start := time.Now()
			a := startNode(t, h, cfg)
			settle(20 * time.Second)
			if nopreempt {
				wantState(t, "a nopreempt", a, StateBackup)
				wantState(t, "b keeps", b, StateMaster)
			} else {
				wantState(t, "a preempts", a, StateMaster)
				wantState(t, "b yields", b, StateBackup)
				// a ignores the lower priority: its start timer runs out.
				if got := a.becameMaster(t).Sub(start); got != mdi200 {
					t.Errorf("preempted after %v, want %v", got, mdi200)
				}
				tr := b.transitions()
				if l := tr[len(tr)-1]; l.To != StateBackup || l.Cause != fsm.CauseHigherPriority || !l.Time.Equal(start.Add(mdi200)) {
					t.Errorf("b's last transition %+v", l)
				}
				if b.addrs.has(vip) {
					t.Errorf("b kept the VIP")
				}
			}
			a.stop(t)
			b.stop(t)
		})
	}
}

func TestPreemptDelay(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		b := startNode(t, h, baseCfg(2, 100))
		settle(5 * time.Second)
		cfg := baseCfg(1, 200)
		cfg.PreemptDelay = 5 * time.Second
		start := time.Now()
		a := startNode(t, h, cfg)
		settle(20 * time.Second)
		wantState(t, "a", a, StateMaster)
		// The first advert of b that a hears starts the delay; adverts heard
		// before it ends are accepted; the last one re-arms Master_Down_Interval.
		var first time.Time
		for _, p := range h.sends(nodeIP(2)) {
			if !p.at.Before(start) {
				first = p.at
				break
			}
		}
		want := first.Add(4*time.Second + mdi200)
		if got := a.becameMaster(t); !got.Equal(want) {
			t.Errorf("took over at +%v, want +%v", got.Sub(start), want.Sub(start))
		}
		a.stop(t)
		b.stop(t)
	})
}

func TestEqualPriorityHigherAddressWins(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 100))
		b := startNode(t, h, baseCfg(2, 100))
		settle(10 * time.Second)
		wantState(t, "a (lower address)", a, StateBackup)
		wantState(t, "b (higher address)", b, StateMaster)
		tr := a.transitions()
		if l := tr[len(tr)-1]; l.From != StateMaster || l.Cause != fsm.CauseEqualPriorityHigherAddr {
			t.Errorf("a's last transition %+v", l)
		}
		if a.addrs.has(vip) || !b.addrs.has(vip) {
			t.Errorf("VIP on a %v, b %v", a.addrs.has(vip), b.addrs.has(vip))
		}
		a.stop(t)
		b.stop(t)
	})
}

func TestUnicastPeers(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		ca := baseCfg(1, 200)
		ca.Peers = []packet.Peer{{Addr: nodeIP(2)}}
		cb := baseCfg(2, 100)
		cb.Peers = []packet.Peer{{Addr: nodeIP(1), MinTTL: 250, MaxTTL: 255}}
		// A stranger with the same VRID and password that nobody lists.
		cc := baseCfg(3, 250)
		cc.Peers = []packet.Peer{{Addr: nodeIP(1)}, {Addr: nodeIP(2)}}
		a := startNode(t, h, ca)
		b := startNode(t, h, cb)
		c := startNode(t, h, cc)
		settle(10 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		for _, p := range h.sends(nodeIP(1)) {
			if p.dst != nodeIP(2) {
				t.Fatalf("a sent to %v", p.dst)
			}
		}
		if n := b.inst.Stats().Drops[packet.DropNotPeer]; n == 0 {
			t.Errorf("b did not drop the stranger's adverts")
		}
		if n := a.inst.Stats().Drops[packet.DropNotPeer]; n == 0 {
			t.Errorf("a did not drop the stranger's adverts")
		}
		// a's adverts now arrive with TTL 64: outside b's window.
		a.conn.ttl.Store(64)
		settle(5 * time.Second)
		wantState(t, "b with TTL out of window", b, StateMaster)
		if n := b.inst.Stats().Drops[packet.DropTTLOutOfWindow]; n < 3 {
			t.Errorf("ttl_out_of_window drops: %d", n)
		}
		a.stop(t)
		b.stop(t)
		c.stop(t)
	})
}

func TestWrongPasswordCounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		cb := baseCfg(2, 100)
		cb.AuthPass = "wrong"
		b := startNode(t, h, cb)
		settle(10 * time.Second)
		// Neither accepts the other: both are master (split brain, as keepalived).
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateMaster)
		sa, sb := a.inst.Stats(), b.inst.Stats()
		if sb.Drops[packet.DropAuthPassMismatch] != 7 || sb.AdvertsReceived != 0 {
			t.Errorf("b: auth_pass_mismatch %d, accepted %d", sb.Drops[packet.DropAuthPassMismatch], sb.AdvertsReceived)
		}
		if sa.Drops[packet.DropAuthPassMismatch] == 0 {
			t.Errorf("a: no auth_pass_mismatch")
		}
		if sa.DropsTotal() != sa.Drops[packet.DropAuthPassMismatch] {
			t.Errorf("a: other drops %+v", sa.Drops)
		}
		a.stop(t)
		b.stop(t)
	})
}

func TestVIPRestoredWhileMaster(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		settle(10*time.Second + 300*time.Millisecond)
		wantState(t, "a", a, StateMaster)
		removed := time.Now()
		a.addrs.removeByHand(vip)
		settle(time.Second)
		if !a.addrs.has(vip) {
			t.Fatal("VIP not restored within one advert interval")
		}
		adds := a.addrs.ops("add")
		if l := adds[len(adds)-1]; l.at.Sub(removed) > time.Second || len(l.vips) != 1 || l.vips[0].Prefix != vip {
			t.Errorf("restore call %+v", l)
		}
		if s := a.inst.Stats(); s.VIPsRestored != 1 {
			t.Errorf("VIPsRestored %d", s.VIPsRestored)
		}
		// The restored address is announced again.
		if n := a.ann.countIn(removed, time.Now()); n != 5 {
			t.Errorf("%d announcements after restore", n)
		}
		a.stop(t)
	})
}

func TestPriorityAndFaultHooks(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(10*time.Second + 500*time.Millisecond)
		wantState(t, "a", a, StateMaster)

		// Trackers lower a's priority: its adverts carry 50 and b preempts.
		a.inst.SetPriority(50)
		settle(time.Second)
		if p := h.lastSend(nodeIP(1)).prio; p != 50 {
			t.Errorf("a advertises %d, want 50", p)
		}
		settle(5 * time.Second)
		wantState(t, "b preempts", b, StateMaster)
		wantState(t, "a yields", a, StateBackup)

		// Trackers can drive the priority to 0 or below: clamped to 1.
		a.inst.SetPriority(-30)
		settle(time.Second)
		if p := h.lastSend(nodeIP(1)).prio; p != 1 && a.inst.State() == StateMaster {
			t.Errorf("a advertises %d, want 1", p)
		}
		if got := a.inst.Stats().Priority; got != 1 {
			t.Errorf("clamped priority %d", got)
		}
		// Back to base: a preempts again.
		a.inst.SetPriority(200)
		settle(10 * time.Second)
		wantState(t, "a back", a, StateMaster)
		if got := a.inst.Stats().Priority; got != 200 {
			t.Errorf("priority %d", got)
		}

		// FAULT on the master: priority 0, VIPs gone, b takes over after its skew.
		at := time.Now()
		a.inst.SetFault(true)
		synctest.Wait()
		wantState(t, "a fault", a, StateFault)
		if l := h.lastSend(nodeIP(1)); l.prio != 0 || !l.at.Equal(at) {
			t.Errorf("fault advert prio %d at %v", l.prio, l.at.Sub(at))
		}
		if a.addrs.has(vip) {
			t.Error("VIP kept in FAULT")
		}
		settle(5 * time.Second)
		if got := b.becameMaster(t).Sub(at); got != skew100 {
			t.Errorf("b took over %v after the fault, want %v", got, skew100)
		}
		a.inst.SetFault(false)
		settle(10 * time.Second)
		wantState(t, "a after fault", a, StateMaster)
		a.stop(t)
		b.stop(t)
	})
}

func TestStartInFaultAndCleanup(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		n := &node{conn: h.conn(nodeIP(1)), addrs: newFakeAddrs(), ann: &fakeAnn{}, done: make(chan error, 1)}
		// A VIP left behind by a crashed daemon.
		n.addrs.installed[vip] = true
		inst, err := New(baseCfg(1, 100), n.conn, n.addrs, n.ann, Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		inst.SetFault(true)
		ctx, cancel := contextWithCancel()
		go func() { n.done <- inst.Run(ctx) }()
		settle(10 * time.Second)
		if inst.State() != StateFault {
			t.Fatalf("state %v", inst.State())
		}
		if n.addrs.has(vip) {
			t.Error("leftover VIP not removed at start")
		}
		if len(h.sends(nodeIP(1))) != 0 {
			t.Error("adverts sent in FAULT")
		}
		if err := inst.Run(ctx); err == nil {
			t.Error("second Run accepted")
		}
		cancel()
		<-n.done
	})
}

func TestBadPacketsCounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		b := startNode(t, h, baseCfg(2, 100))
		src := nodeIP(9)
		good := func(mut func(*packet.Advert)) []byte {
			a := packet.Advert{Version: 2, VRID: 51, Priority: 200, AuthType: packet.AuthPass, AuthData: packet.PassData("s3cr3t"), Interval: 1, Addrs: []netip.Addr{vip.Addr()}}
			if mut != nil {
				mut(&a)
			}
			buf := make([]byte, packet.MaxLen)
			n, err := a.MarshalTo(buf, src, packet.Group4, 0)
			if err != nil {
				t.Fatal(err)
			}
			return buf[:n]
		}
		meta := RecvMeta{Src: src, Dst: packet.Group4, TTL: 255}
		ttl64 := meta
		ttl64.TTL = 64
		corrupt := good(nil)
		corrupt[9] ^= 0xff
		for _, p := range []rxPkt{
			{nil, meta},
			{[]byte{0x21, 51}, meta},
			{corrupt, meta},
			{good(nil), ttl64},
			{good(func(a *packet.Advert) { a.VRID = 52 }), meta},
			{good(func(a *packet.Advert) { a.Interval = 2 }), meta},
			{good(func(a *packet.Advert) { a.Addrs = nil }), meta},
			{good(func(a *packet.Advert) { a.AuthType = packet.AuthNone; a.AuthData = [8]byte{} }), meta},
		} {
			b.conn.deliver(p.b, p.meta)
		}
		settle(time.Second)
		s := b.inst.Stats()
		want := map[packet.DropReason]uint64{
			packet.DropShortPacket: 2, packet.DropBadChecksum: 1, packet.DropBadTTL: 1, packet.DropUnknownVRID: 1,
			packet.DropIntervalMismatch: 1, packet.DropAddrCountMismatch: 1, packet.DropAuthTypeMismatch: 1,
		}
		for r := packet.DropReason(0); r < packet.NumDropReasons; r++ {
			if s.Drops[r] != want[r] {
				t.Errorf("drops[%v] = %d, want %d", r, s.Drops[r], want[r])
			}
		}
		if s.AdvertsReceived != 0 {
			t.Errorf("accepted %d", s.AdvertsReceived)
		}
		// A good one is accepted and holds b in backup.
		b.conn.deliver(good(nil), meta)
		settle(3 * time.Second)
		wantState(t, "b", b, StateBackup)
		settle(time.Second)
		wantState(t, "b after timeout", b, StateMaster)
		b.stop(t)
	})
}

func TestV3ChecksumVariantsInterop(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		ca := baseCfg(1, 200)
		ca.Version, ca.AuthType, ca.AuthPass = 3, packet.AuthNone, ""
		ca.AdvertInterval = 100 * time.Millisecond
		ca.ChecksumVariant = packet.ChecksumNoPseudoHeader
		cb := ca
		cb.SrcAddr, cb.Priority, cb.ChecksumVariant = nodeIP(2), 100, packet.ChecksumPseudoHeader
		cb.AdvertInterval = time.Second // learns the master's 0.1 s
		a := startNode(t, h, ca)
		b := startNode(t, h, cb)
		settle(3 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		if s := b.inst.Stats(); s.ChecksumNoPseudoHeaderReceived == 0 || s.ChecksumNoPseudoHeaderReceived != s.AdvertsReceived {
			t.Errorf("b: %d no-pseudo-header of %d", s.ChecksumNoPseudoHeaderReceived, s.AdvertsReceived)
		}
		a.conn.cut.Store(true)
		last := h.lastSend(nodeIP(1)).at
		settle(time.Second)
		// Master_Down_Interval from the learnt 0.1 s interval: 0.3609375 s.
		if got := b.becameMaster(t).Sub(last); got != 360937500*time.Nanosecond {
			t.Errorf("v3 failover after %v", got)
		}
		a.stop(t)
		b.stop(t)
	})
}

func TestStateMasterNonOwnerStartsBackup(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		cfg := baseCfg(1, 200)
		cfg.StateMaster = true
		t0 := time.Now()
		a := startNode(t, h, cfg)
		synctest.Wait()
		wantState(t, "at start", a, StateBackup)
		settle(5 * time.Second)
		if got := a.becameMaster(t).Sub(t0); got != mdi200 {
			t.Errorf("state MASTER took over after %v, want %v", got, mdi200)
		}
		a.stop(t)
		o := startNode(t, h, baseCfg(3, 255))
		synctest.Wait()
		wantState(t, "owner", o, StateMaster)
		o.stop(t)
	})
}

func TestNewValidates(t *testing.T) {
	c := newHub().conn(nodeIP(1))
	for name, cfg := range map[string]Config{
		"no vrid":     {SrcAddr: nodeIP(1)},
		"no src":      {VRID: 1},
		"v2 ipv6":     {VRID: 1, Version: 2, SrcAddr: netip.MustParseAddr("fe80::1")},
		"v2 interval": {VRID: 1, SrcAddr: nodeIP(1), AdvertInterval: 1500 * time.Millisecond},
		"v3 auth":     {VRID: 1, Version: 3, SrcAddr: nodeIP(1), AuthType: packet.AuthPass, AuthPass: "x"},
		"pass empty":  {VRID: 1, SrcAddr: nodeIP(1), AuthType: packet.AuthPass},
		"ah empty":    {VRID: 1, SrcAddr: nodeIP(1), AuthType: packet.AuthAH},
		"vip family":  {VRID: 1, SrcAddr: nodeIP(1), VIPs: []VIP{{Prefix: netip.MustParsePrefix("fd00::1/64")}}},
		"peer family": {VRID: 1, SrcAddr: nodeIP(1), Peers: []packet.Peer{{Addr: netip.MustParseAddr("fd00::1")}}},
		"ttl window":  {VRID: 1, SrcAddr: nodeIP(1), Peers: []packet.Peer{{Addr: nodeIP(2), MinTTL: 200, MaxTTL: 100}}},
		"group":       {VRID: 1, SrcAddr: nodeIP(1), McastGroup: nodeIP(2)},
	} {
		if _, err := New(cfg, c, newFakeAddrs(), &fakeAnn{}, Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Config{VRID: 1, SrcAddr: nodeIP(1)}, nil, newFakeAddrs(), &fakeAnn{}, Options{}); err == nil {
		t.Error("nil conn accepted")
	}
	i, err := New(Config{VRID: 1, SrcAddr: netip.MustParseAddr("fe80::1")}, c, newFakeAddrs(), &fakeAnn{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := i.Config()
	if got.Version != 3 || got.Priority != 100 || got.AdvertInterval != time.Second || got.GARPMasterRepeat != 5 || got.GARPMasterDelay != 5*time.Second {
		t.Errorf("defaults: %+v", got)
	}
	if i.mcastDst != packet.Group6 {
		t.Errorf("IPv6 group %v", i.mcastDst)
	}
}

func TestAddrErrorsCounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		n := &node{conn: h.conn(nodeIP(1)), addrs: newFakeAddrs(), ann: &fakeAnn{}, done: make(chan error, 1)}
		n.addrs.failAdd = errFake
		inst, err := New(baseCfg(1, 255), n.conn, n.addrs, n.ann, Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextWithCancel()
		go func() { n.done <- inst.Run(ctx) }()
		settle(3500 * time.Millisecond)
		// The owner is master and keeps advertising; the failed install is
		// counted, and retried by the per-interval VIP check.
		if inst.State() != StateMaster {
			t.Fatalf("state %v", inst.State())
		}
		s := inst.Stats()
		if s.AddrErrors != 4 || s.VIPsRestored != 0 {
			t.Errorf("addr errors %d (want 1 install + 3 restores), restored %d", s.AddrErrors, s.VIPsRestored)
		}
		n.addrs.mu.Lock()
		n.addrs.failAdd = nil
		n.addrs.mu.Unlock()
		settle(time.Second)
		if !n.addrs.has(vip) || inst.Stats().VIPsRestored != 1 {
			t.Errorf("VIP not installed once the failure cleared")
		}
		cancel()
		<-n.done
	})
}

func TestAnnouncementsRoutesAndExcluded(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		excl := netip.MustParsePrefix("192.0.2.10/32")
		route := netip.MustParsePrefix("198.51.100.0/24")
		cfg := baseCfg(1, 200)
		cfg.VIPs = append(cfg.VIPs, VIP{Prefix: excl, Excluded: true})
		cfg.Routes = []Route{{Dst: route, Via: nodeIP(254)}}
		rule := Rule{Family: 4, From: excl, Table: 100, Priority: 100}
		cfg.Rules = []Rule{rule}
		cfg.GARPMasterDelay = 2 * time.Second
		cfg.GARPMasterRepeat = 3
		cfg.GARPMasterRefresh = 10 * time.Second
		cfg.GARPLowerPrioRepeat = 2
		t0 := time.Now()
		a := startNode(t, h, cfg)
		settle(30 * time.Second)
		tm := t0.Add(mdi200)
		for _, c := range []struct {
			at   time.Time
			want int
		}{
			{tm, 3},                       // garp_master_repeat
			{tm.Add(2 * time.Second), 3},  // after garp_master_delay
			{tm.Add(10 * time.Second), 1}, // garp_master_refresh (refresh_repeat 1)
			{tm.Add(20 * time.Second), 1}, // and again
			{tm.Add(5 * time.Second), 0},  // nothing in between
		} {
			if n := a.ann.countIn(c.at, c.at); n != c.want {
				t.Errorf("announcements at +%v: %d, want %d", c.at.Sub(tm), n, c.want)
			}
		}
		// The excluded VIP is installed and announced but not advertised.
		if !a.addrs.has(excl) || !a.addrs.routes[route] || !a.addrs.rules[rule] {
			t.Errorf("excluded VIP %v, route %v, rule %v", a.addrs.has(excl), a.addrs.routes[route], a.addrs.rules[rule])
		}
		a.ann.mu.Lock()
		if got := a.ann.addrs[0]; len(got) != 2 || got[1] != excl.Addr() {
			t.Errorf("announced %v", got)
		}
		a.ann.mu.Unlock()
		var adv packet.Advert
		p := h.lastSend(nodeIP(1))
		if r := packet.Decode(p.payload, nodeIP(1), packet.Group4, &adv); r != packet.DropNone || len(adv.Addrs) != 1 || adv.Addrs[0] != vip.Addr() {
			t.Errorf("advert addresses %v (%v)", adv.Addrs, r)
		}

		// A lower-priority router that thinks it is master: a answers at
		// once, announces garp_lower_prio_repeat times and reports it.
		low := baseCfg(2, 100)
		low.VIPs = cfg.VIPs
		b := newNode(t, h, low)
		sentBefore := len(h.sends(nodeIP(1)))
		now := time.Now()
		adv2 := packet.Advert{Version: 2, VRID: 51, Priority: 100, AuthType: packet.AuthPass, AuthData: packet.PassData("s3cr3t"), Interval: 1, Addrs: []netip.Addr{vip.Addr()}}
		buf := make([]byte, packet.MaxLen)
		n, _ := adv2.MarshalTo(buf, nodeIP(2), packet.Group4, 0)
		b.conn.WriteTo(buf[:n], packet.Group4)
		synctest.Wait()
		if got := len(h.sends(nodeIP(1))) - sentBefore; got != 1 {
			t.Errorf("a answered with %d adverts", got)
		}
		if n := a.ann.countIn(now, now); n != 2 {
			t.Errorf("%d announcements after the lower-priority advert, want 2", n)
		}
		// and again after garp_lower_prio_delay (default: garp_master_delay).
		settle(2 * time.Second)
		if n := a.ann.countIn(now.Add(2*time.Second), now.Add(2*time.Second)); n != 2 {
			t.Errorf("%d announcements garp_lower_prio_delay after the lower-priority advert, want 2", n)
		}
		a.mu.Lock()
		if a.lower != 1 {
			t.Errorf("OnMasterRxLowerPri called %d times", a.lower)
		}
		a.mu.Unlock()

		a.stop(t)
		if a.addrs.has(excl) || a.addrs.has(vip) || a.addrs.routes[route] || a.addrs.rules[rule] {
			t.Error("addresses, routes or rules left after stop")
		}
		// Rules come after the addresses and go before them (the first removal
		// clears what a previous run may have left).
		var ops []string
		a.addrs.mu.Lock()
		for _, c := range a.addrs.calls {
			ops = append(ops, c.op)
		}
		a.addrs.mu.Unlock()
		if want := "del_rules del_routes del add add_routes add_rules del_rules del_routes del"; strings.Join(ops, " ") != want {
			t.Errorf("address manager calls %q, want %q", strings.Join(ops, " "), want)
		}
		// Nothing announced after stop.
		if n := a.ann.countIn(time.Now().Add(time.Nanosecond), time.Now().Add(time.Hour)); n != 0 {
			t.Errorf("announcements after stop: %d", n)
		}
		settle(time.Minute)
	})
}

func TestIPv6Instance(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		v6vip := netip.MustParsePrefix("fd00:99::100/64")
		mk := func(last byte, prio uint8) Config {
			return Config{Name: "VI_6", VRID: 54, Priority: prio, AdvertInterval: 100 * time.Millisecond,
				SrcAddr: netip.AddrFrom16([16]byte{0xfe, 0x80, 15: last}), VIPs: []VIP{{Prefix: v6vip, NoDAD: true}}}
		}
		a := startNode(t, h, mk(1, 200))
		b := startNode(t, h, mk(2, 100))
		settle(2 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		p := h.lastSend(mk(1, 0).SrcAddr)
		if p.dst != packet.Group6 || p.payload[0] != 0x31 || len(p.payload) != 24 {
			t.Errorf("IPv6 advert to %v: % x", p.dst, p.payload)
		}
		a.conn.cut.Store(true)
		last := h.lastSend(mk(1, 0).SrcAddr).at
		settle(time.Second)
		if got := b.becameMaster(t).Sub(last); got != 360937500*time.Nanosecond {
			t.Errorf("failover after %v", got)
		}
		a.stop(t)
		b.stop(t)
	})
}

// errConn fails every read until closed.
type errConn struct {
	*fakeConn
	reads int
}

func (e *errConn) ReadFrom(b []byte) (int, RecvMeta, error) {
	select {
	case <-e.closed:
		return 0, RecvMeta{}, errFake
	default:
	}
	e.reads++
	return 0, RecvMeta{}, errFake
}

func TestReadErrorsCountedNoSpin(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		c := &errConn{fakeConn: newHub().conn(nodeIP(1))}
		inst, err := New(baseCfg(1, 100), c, newFakeAddrs(), &fakeAnn{}, Options{Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextWithCancel()
		done := make(chan error)
		go func() { done <- inst.Run(ctx) }()
		settle(time.Second)
		// One read per 10 ms back-off, not a spin.
		if n := inst.Stats().ReadErrors; n < 50 || n > 101 {
			t.Errorf("%d read errors in 1 s", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
