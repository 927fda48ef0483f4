package vrrp

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/packet"
)

// injectAdvert sends, from src on the hub, the advert cfg's instance would
// send with priority prio (a stranger believing it is master).
func injectAdvert(t *testing.T, c *fakeConn, cfg Config, prio uint8) {
	t.Helper()
	interval, err := packet.EncodeInterval(cfg.Version, cfg.AdvertInterval)
	if err != nil {
		t.Fatal(err)
	}
	adv := packet.Advert{Version: cfg.Version, Type: packet.TypeAdvertisement, VRID: cfg.VRID, Priority: prio,
		AuthType: cfg.AuthType, AuthData: packet.PassData(cfg.AuthPass), Interval: interval}
	for _, v := range cfg.VIPs {
		adv.Addrs = append(adv.Addrs, v.Prefix.Addr())
	}
	b := make([]byte, packet.MaxLen)
	n, err := adv.MarshalTo(b, c.addr, packet.Group4, cfg.ChecksumVariant)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteTo(b[:n], packet.Group4); err != nil {
		t.Fatal(err)
	}
}

// TestResumeThenHigherAdvertStepsDownAtOnce: a master resumes next to a
// running higher-priority master. Its first advert, sent at once, is
// answered at once by that master (RFC 9568), and the resumed instance is
// a backup in the same instant, its VIP removed: it does not wait for the
// other's next periodic advert. Having never announced the VIP (the
// announcement of a resume waits for the first periodic advert), it has
// not pulled the master's traffic to itself.
func TestResumeThenHigherAdvertStepsDownAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		hi := startNode(t, h, baseCfg(3, 250))
		settle(5500 * time.Millisecond) // mid-interval: hi's next advert is 0.5 s away
		wantState(t, "high", hi, StateMaster)

		a := newNodeOpts(t, h, baseCfg(1, 200), Options{Resume: true})
		if err := a.addrs.AddVIPs(t.Context(), []VIP{{Prefix: vip}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		a.run()
		synctest.Wait()
		wantState(t, "resumed, then stepped down", a, StateBackup)
		tr := a.transitions()
		if len(tr) != 2 || tr[0].Cause != fsm.CauseResume || tr[1].To != StateBackup ||
			tr[1].Cause != fsm.CauseHigherPriority || !tr[1].Time.Equal(start) {
			t.Errorf("transitions %+v, want INIT->MASTER (resume) then MASTER->BACKUP (higher_priority) at once", tr)
		}
		if a.addrs.has(vip) || len(a.addrs.ops("del")) != 1 {
			t.Errorf("VIP not removed once on stepping down: dels %+v", a.addrs.ops("del"))
		}
		if s := h.sends(nodeIP(3)); len(s) == 0 || !s[len(s)-1].at.Equal(start) || s[len(s)-1].prio != 250 {
			t.Errorf("higher master did not answer at once: last send %+v", h.lastSend(nodeIP(3)))
		}
		if s := h.sends(nodeIP(1)); len(s) != 1 {
			t.Errorf("resumed instance sent %d adverts, want 1", len(s))
		}
		settle(10 * time.Second)
		if n := a.ann.countIn(start, time.Now()); n != 0 {
			t.Errorf("resumed instance announced the VIP %d times before stepping down (pulls the master's traffic)", n)
		}
		wantState(t, "a stays backup", a, StateBackup)
		wantState(t, "high stays master", hi, StateMaster)
		if n := hi.inst.Stats().ReleasedMaster; n != 0 {
			t.Errorf("high released mastership %d times", n)
		}
		a.stop(t)
		hi.stop(t)
	})
}

// TestResumeThenLowerAdvertAnswered: a resumed master that hears a
// lower-priority advert (a stranger that believes it is master) stays
// master, keeps its VIP and answers at once with its own advert (RFC 9568),
// not at its next interval. Its gratuitous ARPs come with its first
// periodic advert (fsm.Machine.Resume).
func TestResumeThenLowerAdvertAnswered(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		var lower []uint8
		cfg := baseCfg(1, 200)
		a := newNodeOpts(t, h, cfg, Options{Resume: true, OnMasterRxLowerPri: func(_ string, _ netip.Addr, p uint8) {
			lower = append(lower, p) // instance goroutine only
		}})
		if err := a.addrs.AddVIPs(t.Context(), []VIP{{Prefix: vip}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		a.run()
		synctest.Wait()
		wantState(t, "resumed", a, StateMaster)
		if n := a.ann.countIn(start, start); n != 0 {
			t.Errorf("%d announcements at resume, want them deferred to the first periodic advert", n)
		}

		stranger := h.conn(nodeIP(3))
		time.Sleep(300 * time.Millisecond)
		rx := time.Now()
		injectAdvert(t, stranger, a.inst.Config(), 100)
		synctest.Wait()
		s := h.sends(nodeIP(1))
		if len(s) != 2 || !s[1].at.Equal(rx) || s[1].prio != 200 {
			t.Fatalf("want the resume advert and an answer at once with priority 200, got %+v", s)
		}
		wantState(t, "stays master", a, StateMaster)
		if !a.addrs.has(vip) || len(a.addrs.ops("del")) != 0 {
			t.Errorf("VIP removed: %+v", a.addrs.ops("del"))
		}
		if tr := a.transitions(); len(tr) != 1 {
			t.Errorf("transitions %+v, want only the resume", tr)
		}
		settle(2 * time.Second)
		wantState(t, "still master", a, StateMaster)
		// The lower-priority advert is countered with garp_lower_prio_repeat
		// (default: garp_master_repeat, 5) at once; the resume's own
		// announcement (5) comes with the first periodic advert, one
		// interval after resuming.
		first := start.Add(time.Second)
		if n := a.ann.countIn(rx, rx); n != 5 {
			t.Errorf("%d announcements on hearing the lower priority, want 5", n)
		}
		if n, all := a.ann.countIn(first, first), a.ann.countIn(start, time.Now()); n != 5 || all != 10 {
			t.Errorf("announcements: %d at +1s, %d in all; want 5 and 10", n, all)
		}
		a.stop(t)
		if len(lower) != 1 || lower[0] != 100 {
			t.Errorf("notify_master_rx_lower_pri calls %v, want [100]", lower)
		}
	})
}
