package fsm

import (
	"net/netip"
	"testing"
	"time"
)

// resumed is what Resume does for priority 100: an advert now, the
// addresses kept (AddVIPs finds them), no announcement yet.
var resumed = acts(
	Action{Kind: SendAdvert, Priority: 100},
	Action{Kind: AddVIPs},
	Action{Kind: Transition, From: Init, To: Master, Cause: CauseResume, Priority: 100},
)

// TestResume: a restarted master resumes at once (advert now, addresses
// kept, no RemoveVIPs, no Master_Down_Interval), then behaves as any master.
func TestResume(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(m *Machine)
		want  []Action
		state State
		dl    time.Time
	}{
		{"resumes as master", func(*Machine) {}, resumed, Master, at(time.Second)},
		{"fault set: starts in fault", func(m *Machine) { m.SetFault(t0, true, nil) }, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Fault, Cause: CauseFault, Priority: 100},
		), Fault, time.Time{}},
		{"sync group member: resumes too", func(m *Machine) { m.SetGated(true) }, resumed, Master, at(time.Second)},
		{"sync group member in sync fault: starts in fault", func(m *Machine) { m.SetGated(true); m.SetSyncFault(t0, true, nil) }, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Fault, Cause: CauseFault, Priority: 100},
		), Fault, time.Time{}},
		{"already started: nothing", func(m *Machine) { m.Start(t0, nil) }, nil, Backup, at(3609375 * time.Microsecond)},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newM(t, Config{Priority: 100})
			c.setup(m)
			check(t, "resume", m.Resume(t0, nil), c.want)
			if m.State() != c.state {
				t.Errorf("state %v, want %v", m.State(), c.state)
			}
			checkDeadline(t, "resume", m, c.dl)
		})
	}
}

func TestResumeThenHigherPriorityMaster(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Resume(t0, nil)
	// Adverts continue on the interval; the first one comes with the
	// announcement, the next ones without.
	check(t, "first advert", m.Timer(at(time.Second), nil), acts(
		Action{Kind: SendAdvert, Priority: 100},
		Action{Kind: Announce, Announce: AnnounceMaster},
	))
	check(t, "advert", m.Timer(at(1200*time.Millisecond), nil), nil)
	check(t, "advert", m.Timer(at(2*time.Second), nil), sendAdvert(100))
	// A higher-priority master is heard: step down at once.
	check(t, "higher", m.Advert(at(1500*time.Millisecond), Advert{Priority: 200, Src: addr2}, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Backup, Cause: CauseHigherPriority, Priority: 100},
	))
	// A lower-priority one that took over while we were away is answered.
	m2 := newM(t, Config{Priority: 200})
	m2.Resume(t0, nil)
	got := m2.Advert(at(10*time.Millisecond), Advert{Priority: 100, Src: addr2}, nil)
	if len(got) == 0 || got[0].Kind != SendAdvert || got[0].Priority != 200 {
		t.Errorf("lower-priority master not answered: %+v", got)
	}
	if m2.State() != Master {
		t.Errorf("state %v, want MASTER", m2.State())
	}
	if CauseResume.String() != "resume" {
		t.Errorf("CauseResume.String() = %q", CauseResume.String())
	}
}

// TestResumeThenAdvert: what a resumed master does with the first advert it
// hears 10 ms after resuming (our priority 100, our address 10.99.0.2). A
// higher priority, or the same priority from a higher address, makes it a
// backup at once (addresses removed, Master_Down_Interval armed: no wait
// for a timer); a lower one is answered at once with our own advert
// (RFC 9568) and it stays master.
func TestResumeThenAdvert(t *testing.T) {
	rx := at(10 * time.Millisecond)
	answer := func(src netip.Addr, prio uint8) []Action {
		return acts(
			Action{Kind: SendAdvert, Priority: 100},
			Action{Kind: Announce, Announce: AnnounceLowerPrio},
			Action{Kind: RxLowerPriority, Src: src, Priority: prio},
		)
	}
	stepDown := func(cause Cause) []Action {
		return acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Master, To: Backup, Cause: cause, Priority: 100},
		)
	}
	for _, c := range []struct {
		name  string
		cfg   Config
		adv   Advert
		want  []Action
		state State
		dl    time.Time
	}{
		{"higher priority: backup at once", Config{}, Advert{Priority: 200, Src: addr3},
			stepDown(CauseHigherPriority), Backup, rx.Add(3609375 * time.Microsecond)},
		{"higher priority from a lower address: backup at once", Config{}, Advert{Priority: 101, Src: addr1},
			stepDown(CauseHigherPriority), Backup, rx.Add(3609375 * time.Microsecond)},
		{"equal priority, higher address: backup at once", Config{}, Advert{Priority: 100, Src: addr3},
			stepDown(CauseEqualPriorityHigherAddr), Backup, rx.Add(3609375 * time.Microsecond)},
		{"v3 higher priority: backup, sender's interval learnt", Config{Version: 3}, Advert{Priority: 200, Interval: 2 * time.Second, Src: addr3},
			stepDown(CauseHigherPriority), Backup, rx.Add(7218750 * time.Microsecond)},
		{"lower priority: answered, stays master", Config{}, Advert{Priority: 50, Src: addr3},
			answer(addr3, 50), Master, at(time.Second)},
		{"equal priority, lower address: answered, stays master", Config{}, Advert{Priority: 100, Src: addr1},
			answer(addr1, 100), Master, at(time.Second)},
		{"lower priority with lower_prio_no_advert: no answer", Config{LowerPrioNoAdvert: true}, Advert{Priority: 50, Src: addr3},
			acts(Action{Kind: Announce, Announce: AnnounceLowerPrio}, Action{Kind: RxLowerPriority, Src: addr3, Priority: 50}), Master, at(time.Second)},
		{"priority 0: asserts at once", Config{}, Advert{Priority: 0, Src: addr3},
			acts(Action{Kind: SendAdvert, Priority: 100}), Master, rx.Add(time.Second)},
		{"own advert looped back: ignored", Config{}, Advert{Priority: 100, Src: addr2},
			nil, Master, at(time.Second)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Priority = 100
			m := newM(t, cfg)
			check(t, "resume", m.Resume(t0, nil), resumed)
			check(t, "advert", m.Advert(rx, c.adv, nil), c.want)
			if m.State() != c.state {
				t.Errorf("state %v, want %v", m.State(), c.state)
			}
			checkDeadline(t, "advert", m, c.dl)
			if c.state == Backup {
				if a, p := m.Master(); a != c.adv.Src || p != c.adv.Priority {
					t.Errorf("master %v/%d, want %v/%d", a, p, c.adv.Src, c.adv.Priority)
				}
				// Its adverts stop, and no announcement follows: the next
				// timer is the master-down one.
				check(t, "timer at the advert interval", m.Timer(at(time.Second), nil), nil)
				return
			}
			// Still master: the first periodic advert carries the
			// deferred announcement.
			check(t, "first periodic advert", m.Timer(c.dl, nil), acts(
				Action{Kind: SendAdvert, Priority: 100},
				Action{Kind: Announce, Announce: AnnounceMaster},
			))
		})
	}
}
