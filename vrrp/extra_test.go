package vrrp

import (
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/vrrp/packet"
	"go.uber.org/goleak"
)

// TestUnicastFaultNoPeer: an instance with unicast_fault_no_peer and no
// peer starts in FAULT and stays there: it never sends an advert, never
// installs its VIPs, and does not fall back to multicast.
func TestUnicastFaultNoPeer(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		c := baseCfg(1, 200)
		c.UnicastFaultNoPeer = true
		a := startNode(t, h, c)
		settle(30 * time.Second)
		wantState(t, "no peer", a, StateFault)
		if s := h.sends(nodeIP(1)); len(s) != 0 {
			t.Errorf("a faulted instance sent %d adverts", len(s))
		}
		if a.addrs.has(vip) {
			t.Error("VIP installed by a faulted instance")
		}
		// Releasing a tracker fault does not release the configuration fault.
		a.inst.SetFault(true)
		a.inst.SetFault(false)
		settle(10 * time.Second)
		wantState(t, "after SetFault(false)", a, StateFault)
		a.stop(t)

		// With a peer the option changes nothing.
		h = newHub()
		c = baseCfg(1, 200)
		c.UnicastFaultNoPeer = true
		c.Peers = []packet.Peer{{Addr: nodeIP(2)}}
		b := startNode(t, h, c)
		settle(5 * time.Second)
		wantState(t, "with a peer", b, StateMaster)
		b.stop(t)
	})
}

// TestHigherPrioSendAdvertInstance: with higher_prio_send_advert the
// master that a higher priority preempts sends one advert of its own at
// the moment it steps down; without, it sends nothing then.
func TestHigherPrioSendAdvertInstance(t *testing.T) {
	for _, send := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[send], func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				h := newHub()
				ca := baseCfg(1, 100)
				ca.HigherPrioSendAdvert = send
				a := startNode(t, h, ca)
				settle(5 * time.Second)
				wantState(t, "a alone", a, StateMaster)
				b := startNode(t, h, baseCfg(2, 200))
				// b ignores a's lower priority and takes over after its
				// Master_Down_Interval; a hears b's first advert then.
				settle(mdi200 + time.Millisecond)
				wantState(t, "a preempted", a, StateBackup)
				tb := b.becameMaster(t)
				var atStep int
				for _, s := range h.sends(nodeIP(1)) {
					if s.at.Equal(tb) {
						atStep++
					}
				}
				if want := map[bool]int{false: 0, true: 1}[send]; atStep != want {
					t.Errorf("a sent %d adverts when it stepped down, want %d", atStep, want)
				}
				a.stop(t)
				b.stop(t)
			})
		})
	}
}

// TestDownTimerAdvertsInstance: a backup with down_timer_adverts 1 takes
// over one advert interval (plus skew) after the master's last advert.
func TestDownTimerAdvertsInstance(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, baseCfg(1, 200))
		settle(5 * time.Second)
		wantState(t, "a", a, StateMaster)
		cb := baseCfg(2, 100)
		cb.DownTimerAdverts = 1
		b := startNode(t, h, cb)
		settle(3 * time.Second)
		wantState(t, "b backup", b, StateBackup)
		a.conn.cut.Store(true) // a's adverts stop reaching b
		last := h.lastSend(nodeIP(1)).at
		settle(5 * time.Second)
		wantState(t, "b took over", b, StateMaster)
		if got, want := b.becameMaster(t).Sub(last), time.Second+skew100; got != want {
			t.Errorf("b took over %v after a's last advert, want %v", got, want)
		}
		a.stop(t)
		b.stop(t)
	})
}

// TestGARPExtraIf: garp_extra_if announces ExtraIfAddrs once every
// interval while master, the first one an interval after becoming master,
// and stops when the instance leaves master.
func TestGARPExtraIf(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		extra := netip.MustParseAddr("192.168.7.1")
		h := newHub()
		c := baseCfg(1, 100)
		c.ExtraIfInterval = 10 * time.Second
		c.ExtraIfAddrs = []netip.Addr{extra}
		c.GARPMasterDelay = -1 // no second burst: only the extra announcements after the first
		a := startNode(t, h, c)
		settle(5 * time.Second)
		wantState(t, "a", a, StateMaster)
		tm := a.becameMaster(t)
		settle(time.Until(tm.Add(35 * time.Second)))
		extraAt := func() []time.Duration {
			a.ann.mu.Lock()
			defer a.ann.mu.Unlock()
			var out []time.Duration
			for k, as := range a.ann.addrs {
				if len(as) == 1 && as[0] == extra {
					out = append(out, a.ann.times[k].Sub(tm))
				}
			}
			return out
		}
		want := []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}
		if d := cmp.Diff(want, extraAt()); d != "" {
			t.Errorf("extra-interface announcements after becoming master (-want +got):\n%s", d)
		}
		// A higher priority takes over: no more extra announcements.
		b := startNode(t, h, baseCfg(2, 200))
		settle(mdi200 + time.Millisecond)
		wantState(t, "a preempted", a, StateBackup)
		n := len(extraAt())
		settle(40 * time.Second)
		if got := len(extraAt()); got != n {
			t.Errorf("%d extra announcements as backup", got-n)
		}
		a.stop(t)
		b.stop(t)
	})
}

// TestOldUnicastChecksum: with old_unicast_checksum a unicast VRRPv3/IPv4
// instance checksums its adverts against 224.0.0.18 (keepalived before
// 2.0.8), which a peer without it drops as bad_checksum, and it accepts
// both checksums.
func TestOldUnicastChecksum(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		cfg := func(i, peer int, prio uint8, old bool) Config {
			c := baseCfg(i, prio)
			c.Version, c.AuthType, c.AuthPass = 3, packet.AuthNone, ""
			c.Peers = []packet.Peer{{Addr: nodeIP(peer)}}
			c.OldUnicastChecksum = old
			return c
		}
		a := startNode(t, h, cfg(1, 2, 200, true))
		settle(5 * time.Second)
		wantState(t, "a", a, StateMaster)
		s := h.lastSend(nodeIP(1))
		var adv packet.Advert
		if r := packet.Decode(s.payload, nodeIP(1), packet.Group4, &adv); r != packet.DropNone {
			t.Errorf("a's advert against 224.0.0.18: %v, want valid", r)
		}
		if r := packet.Decode(s.payload, nodeIP(1), nodeIP(2), &adv); r != packet.DropBadChecksum {
			t.Errorf("a's advert against the peer's address: %v, want bad_checksum", r)
		}
		// A peer without the option drops them and takes over.
		b := startNode(t, h, cfg(2, 1, 100, false))
		settle(5 * time.Second)
		if n := b.inst.Stats().Drops[packet.DropBadChecksum]; n == 0 {
			t.Error("a peer without old_unicast_checksum accepted old checksums")
		}
		wantState(t, "b without the option", b, StateMaster)
		b.stop(t)
		// A peer with it accepts them.
		c := startNode(t, h, cfg(2, 1, 100, true))
		settle(10 * time.Second)
		wantState(t, "c with the option", c, StateBackup)
		if n := c.inst.Stats().Drops[packet.DropBadChecksum]; n != 0 {
			t.Errorf("c dropped %d adverts as bad_checksum", n)
		}
		a.stop(t)
		c.stop(t)
	})
}

// TestOnLate: Options.OnLate hears how late a timer fired.
func TestOnLate(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		var lates []time.Duration
		n := newNodeOpts(t, h, baseCfg(1, 100), Options{OnLate: func(d time.Duration) { lates = append(lates, d) }})
		n.run()
		settle(5 * time.Second)
		wantState(t, "master", n, StateMaster)
		// In a synctest bubble timers fire on time: OnLate is never called.
		if len(lates) != 0 {
			t.Errorf("OnLate called %v with timers on time", lates)
		}
		n.inst.lk.Lock()
		now := n.inst.m.Deadline().Add(300 * time.Millisecond)
		n.inst.checkLate(now)
		n.inst.lk.Unlock()
		if len(lates) != 1 || lates[0] != 300*time.Millisecond {
			t.Errorf("OnLate got %v, want [300ms]", lates)
		}
		n.stop(t)
	})
}
