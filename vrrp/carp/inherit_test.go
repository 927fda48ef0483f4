package carp

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestInstanceHandOver: an upgrade in place of both nodes. The abandoned
// master sends no leaving advert and runs no Leave; its successor, started
// with Inherit MASTER and the counter, advertises at once and runs no up
// script, so the backup never takes over. The backup's successor
// (Inherit BACKUP) runs no down script and still takes over exactly one
// master-down time after the master's last advert.
func TestInstanceHandOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startNode(t, h, Config{Name: "a", Src: n1})
		time.Sleep(3500 * time.Millisecond)
		b := startNode(t, h, Config{Name: "b", Src: n2, AdvSkew: 100})
		time.Sleep(5 * time.Second)
		synctest.Wait()

		// The master, right after its advert at 8 s.
		a.port.setCut(true) // the old process's socket: closed with it
		a.inst.Abandon()
		a.stop()
		st := a.inst.Stats()
		if st.State != Master {
			t.Fatalf("abandoned master's state %v, want MASTER", st.State)
		}
		if slices.Contains(a.events, "leave") {
			t.Errorf("abandoned master left: %v", a.events)
		}
		time.Sleep(300 * time.Millisecond) // the new process starts
		handed := time.Now()
		a2 := startNodeWith(t, h, Config{Name: "a", Src: n1}, func(o *Options) {
			o.Inherit, o.InheritCounter = Master, st.Counter
		})
		synctest.Wait()
		if got := a2.inst.Stats(); got.State != Master || got.Sent != 1 || got.Counter != st.Counter+1 {
			t.Errorf("successor at once: %+v, want MASTER, 1 advert, counter %d", got, st.Counter+1)
		}
		if len(a2.events) != 0 {
			t.Errorf("successor's events %v, want none", a2.events)
		}

		// The backup, handed over too.
		b.port.setCut(true)
		b.inst.Abandon()
		b.stop()
		bst := b.inst.Stats()
		b2 := startNodeWith(t, h, Config{Name: "b", Src: n2, AdvSkew: 100}, func(o *Options) {
			o.Inherit, o.InheritCounter = bst.State, bst.Counter
		})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !b.master.IsZero() || !b2.master.IsZero() {
			t.Fatalf("the backup took over during the hand-over (b %v, b2 %v; handed at %v)", b.master, b2.master, handed)
		}
		if a2.inst.State() != Master || b2.inst.State() != Backup || len(b2.events) != 0 {
			t.Fatalf("after the hand-over: a2 %v, b2 %v %v", a2.inst.State(), b2.inst.State(), b2.events)
		}
		if got := a2.inst.Stats().Sent; got != 6 {
			t.Errorf("successor master sent %d adverts in 5 s, want 6 (one at once, then every second)", got)
		}

		// b2 still watches the master: it takes over one master-down time
		// after a2's last advert.
		a2.port.setCut(true)
		last := handed.Add(5 * time.Second)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if b2.inst.State() != Master {
			t.Fatalf("b2 did not take over: %v", b2.inst.State())
		}
		if got, want := b2.master.Sub(last), 3*time.Second+390625*time.Microsecond; got != want {
			t.Errorf("b2 took over %v after a2's last advert, want %v", got, want)
		}
		a2.stop()
		b2.stop()
	})
}

// TestMachineResume: a resumed MASTER asks for its advert and nothing
// else; a resumed BACKUP for nothing, its master-down timer armed.
func TestMachineResume(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMachine(MachineConfig{AdvBase: 1, AdvSkew: 0})
	if got := m.Resume(now, Master); got != (Actions{To: Master, Advert: true}) || m.Next() != now.Add(time.Second) {
		t.Errorf("MASTER: %+v, next %v", got, m.Next())
	}
	m = NewMachine(MachineConfig{AdvBase: 1, AdvSkew: 100})
	if got := m.Resume(now, Backup); got != (Actions{To: Backup}) || m.Next() != now.Add(m.MasterDown()) {
		t.Errorf("BACKUP: %+v, next %v", got, m.Next())
	}
	m = NewMachine(MachineConfig{AdvBase: 1})
	if got := m.Resume(now, Init); got != (Actions{To: Backup, Down: true}) {
		t.Errorf("INIT: %+v, want Start's", got)
	}
}
