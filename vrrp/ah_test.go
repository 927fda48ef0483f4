package vrrp

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/packet"
)

func ahCfg(i int, prio uint8, pass string) Config {
	c := baseCfg(i, prio)
	c.AuthType, c.AuthPass = packet.AuthAH, pass
	return c
}

// TestAHElection: AH instances elect over whole datagrams; one with
// another auth_pass drops every advert as ah_bad_icv and is master too.
func TestAHElection(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, ahCfg(1, 200, "s3cr3t"))
		b := startNode(t, h, ahCfg(2, 100, "s3cr3t"))
		settle(10 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		if st := b.inst.Stats(); st.DropsTotal() != 0 {
			t.Errorf("b dropped adverts: %v", st.Drops)
		}
		c := startNode(t, h, ahCfg(3, 50, "wrong"))
		settle(10 * time.Second)
		wantState(t, "c", c, StateMaster)
		wantState(t, "b", b, StateBackup)
		if n := c.inst.Stats().Drops[packet.DropAHBadICV]; n < 5 {
			t.Errorf("c: %d ah_bad_icv drops, want at least 5 (%v)", n, c.inst.Stats().Drops)
		}
		if n := b.inst.Stats().Drops[packet.DropAHBadICV]; n < 5 {
			t.Errorf("b: %d ah_bad_icv drops of c's adverts", n)
		}
		c.stop(t)
		b.stop(t)
		a.stop(t)
	})
}

// TestAHReplayAndSync: a datagram heard twice is a replay; a master that
// hears a lower priority continues the sequence above the sender's.
func TestAHReplayAndSync(t *testing.T) {
	cfg := ahCfg(1, 200, "s3cr3t")
	tx, rx := newAHState(&cfg), newAHState(&cfg)
	adv := packet.Advert{Version: 2, VRID: 51, Priority: 100, AuthType: packet.AuthAH, Interval: 1, Addrs: []netip.Addr{vip.Addr()}}
	buf := make([]byte, 200)
	var sent [][]byte
	for k := 0; k < 3; k++ {
		tx.nextAdvert()
		n, err := tx.seal(buf, &adv, nodeIP(2), packet.Group4)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, append([]byte(nil), buf[:n]...))
	}
	for k, p := range sent {
		ah, _, r := rx.open(p)
		if r != packet.DropNone || ah.Seq != uint32(k+1) {
			t.Fatalf("datagram %d: %v seq %d", k, r, ah.Seq)
		}
		if r := rx.accept(ah.Seq, 100, false, 200); r != packet.DropNone {
			t.Fatalf("datagram %d: %v", k, r)
		}
	}
	ah, _, _ := rx.open(sent[1])
	if r := rx.accept(ah.Seq, 100, false, 200); r != packet.DropAHReplay {
		t.Errorf("replayed datagram: %v, want ah_replay", r)
	}
	// master hearing priority 100 < 200 at seq 10: next sent is 12
	if r := rx.accept(10, 100, true, 200); r != packet.DropNone {
		t.Fatal(r)
	}
	rx.nextAdvert()
	if rx.seq != 12 {
		t.Errorf("after sync with a lower priority at seq 10, sent seq %d, want 12", rx.seq)
	}
}

// TestAHCounterReset: a master whose counter starts again from 0 (a
// restart resumed as master) is not heard by its backup (ah_replay), which
// takes over; the master answers the backup's lower-priority advert above
// its sequence number and the backup gives way again.
func TestAHCounterReset(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		a := startNode(t, h, ahCfg(1, 200, "s3cr3t"))
		b := startNode(t, h, ahCfg(2, 100, "s3cr3t"))
		settle(10 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		a.inst.ah.mu.Lock()
		a.inst.ah.replay = packet.AHReplay{}
		a.inst.ah.mu.Unlock()
		settle(10 * time.Second)
		if n := b.inst.Stats().Drops[packet.DropAHReplay]; n == 0 {
			t.Error("b heard no replayed sequence number")
		}
		if b.inst.Stats().BecameMaster == 0 {
			t.Error("b did not take over from the master it could not hear")
		}
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		b.stop(t)
		a.stop(t)
	})
}

// TestAHSuccessorContinuesSequence: an AH master handed over to a
// successor (Options.Inherit, an upgrade) or resumed with the state
// file's estimate (Options.ResumeAHSeq, a restart) continues the
// sequence: its backup hears its first advert (no ah_replay) and never
// takes over. Before, the successor started from 1 and the backup, which
// could not hear it, became master.
func TestAHSuccessorContinuesSequence(t *testing.T) {
	for _, how := range []string{"inherit", "resume"} {
		t.Run(how, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				h := newHub()
				a := startNode(t, h, ahCfg(1, 200, "s3cr3t"))
				b := startNode(t, h, ahCfg(2, 100, "s3cr3t"))
				settle(10 * time.Second)
				wantState(t, "b", b, StateBackup)
				prev := handOver(t, a)
				if prev.AHSeq < 5 {
					t.Fatalf("predecessor's AH sequence %d after 10 s of adverts", prev.AHSeq)
				}
				opts := Options{Inherit: &prev}
				if how == "resume" {
					// The estimate runs ahead of the last number sent.
					opts = Options{Resume: true, ResumeAHSeq: prev.AHSeq + 70}
				}
				a2 := newNodeOpts(t, h, ahCfg(1, 200, "s3cr3t"), opts)
				a2.run()
				settle(10 * time.Second)
				wantState(t, "a2", a2, StateMaster)
				wantState(t, "b", b, StateBackup)
				if st := b.inst.Stats(); st.Drops[packet.DropAHReplay] != 0 || st.BecameMaster != 0 {
					t.Errorf("backup: %d ah_replay drops, became master %d times", st.Drops[packet.DropAHReplay], st.BecameMaster)
				}
				if got := a2.inst.Stats().AHSeq; got <= prev.AHSeq {
					t.Errorf("successor's sequence %d, not above the predecessor's %d", got, prev.AHSeq)
				}
				a2.stop(t)
				b.stop(t)
			})
		})
	}
}
