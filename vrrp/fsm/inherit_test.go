package fsm

import (
	"testing"
	"time"
)

// TestInherit: a machine taking over a predecessor's MASTER or BACKUP state
// emits no Transition and no Announce; anything else is Start.
func TestInherit(t *testing.T) {
	mdi := at(3609375 * time.Microsecond) // 3 s + (256-100)/256 s
	for _, c := range []struct {
		name  string
		cfg   Config
		setup func(m *Machine)
		st    State
		want  []Action
		state State
		dl    time.Time
	}{
		{"master: advert now, addresses kept, nothing else", Config{}, func(*Machine) {}, Master,
			acts(Action{Kind: SendAdvert, Priority: 100}, Action{Kind: AddVIPs}), Master, at(time.Second)},
		{"backup: master-down armed from now", Config{}, func(*Machine) {}, Backup,
			acts(Action{Kind: RemoveVIPs}), Backup, mdi},
		{"v3 backup: own interval", Config{Version: 3, AdvertInterval: 2 * time.Second}, func(*Machine) {}, Backup,
			acts(Action{Kind: RemoveVIPs}), Backup, at(6*time.Second + 2*time.Second*156/256)},
		{"sync group master: quiet too", Config{}, func(m *Machine) { m.SetGated(true) }, Master,
			acts(Action{Kind: SendAdvert, Priority: 100}, Action{Kind: AddVIPs}), Master, at(time.Second)},
		{"address owner master", Config{Priority: 255}, func(*Machine) {}, Master,
			acts(Action{Kind: SendAdvert, Priority: 255}, Action{Kind: AddVIPs}), Master, at(time.Second)},
		{"fault set: starts in fault", Config{}, func(m *Machine) { m.SetFault(t0, true, nil) }, Master, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Fault, Cause: CauseFault, Priority: 100},
		), Fault, time.Time{}},
		{"predecessor in fault: Start", Config{}, func(*Machine) {}, Fault, acts(
			Action{Kind: RemoveVIPs},
			Action{Kind: Transition, From: Init, To: Backup, Cause: CauseStart, Priority: 100},
		), Backup, mdi},
		{"already started: nothing", Config{}, func(m *Machine) { m.Start(t0, nil) }, Master, nil, Backup, mdi},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg.Priority == 0 {
				cfg.Priority = 100
			}
			m := newM(t, cfg)
			c.setup(m)
			check(t, "inherit", m.Inherit(t0, c.st, nil), c.want)
			if m.State() != c.state {
				t.Errorf("state %v, want %v", m.State(), c.state)
			}
			checkDeadline(t, "inherit", m, c.dl)
		})
	}
}

// TestInheritThenRFC: after a quiet take-over the machine follows the RFC:
// a master sends periodic adverts without any deferred announcement,
// answers a lower priority and steps down at a higher one; a backup becomes
// master at Master_Down_Interval with the usual announcement.
func TestInheritThenRFC(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Inherit(t0, Master, nil)
	check(t, "periodic advert, no announcement", m.Timer(at(time.Second), nil), sendAdvert(100))
	got := m.Advert(at(1100*time.Millisecond), Advert{Priority: 50, Src: addr3}, nil)
	check(t, "lower answered", got, acts(
		Action{Kind: SendAdvert, Priority: 100},
		Action{Kind: Announce, Announce: AnnounceLowerPrio},
		Action{Kind: RxLowerPriority, Src: addr3, Priority: 50},
	))
	check(t, "higher: step down", m.Advert(at(1200*time.Millisecond), Advert{Priority: 200, Src: addr3}, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Backup, Cause: CauseHigherPriority, Priority: 100},
	))

	b := newM(t, Config{Priority: 100})
	b.Inherit(t0, Backup, nil)
	check(t, "master advert accepted", b.Advert(at(time.Second), Advert{Priority: 200, Src: addr3}, nil), nil)
	down := at(time.Second + 3609375*time.Microsecond)
	check(t, "before master down", b.Timer(down.Add(-time.Millisecond), nil), nil)
	check(t, "master down", b.Timer(down, nil), acts(
		Action{Kind: SendAdvert, Priority: 100},
		Action{Kind: AddVIPs},
		Action{Kind: Announce, Announce: AnnounceMaster},
		Action{Kind: Transition, From: Backup, To: Master, Cause: CauseMasterDown, Priority: 100},
	))
}
