package fsm

import (
	"testing"
	"time"
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
		{"resumes as master", func(*Machine) {}, becomeMaster(100, Init, CauseResume), Master, at(time.Second)},
		{"fault set: starts in fault", func(m *Machine) { m.SetFault(t0, true, nil) }, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Fault, Cause: CauseFault, Priority: 100},
		), Fault, time.Time{}},
		{"sync group member: starts as backup", func(m *Machine) { m.SetGated(true) }, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Backup, Cause: CauseStart, Priority: 100},
		), Backup, at(3609375 * time.Microsecond)},
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
	// Adverts continue on the interval.
	check(t, "advert", m.Timer(at(time.Second), nil), sendAdvert(100))
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
