package fsm

import (
	"testing"
	"time"
)

// TestStartupDelay: before StartupUntil (vrrp_startup_delay) a backup's
// master-down timer runs from StartupUntil, as keepalived 2.2.7's
// vrrp_init_instance_sands arms it; after it, from now. The owner waits for
// the end of the delay as a backup (keepalived's 1 µs timer, deferred).
func TestStartupDelay(t *testing.T) {
	const mdi = 3609375 * time.Microsecond // prio 100, 1 s
	m := newM(t, Config{Priority: 100, StartupUntil: at(10 * time.Second)})
	m.Start(t0, nil)
	checkDeadline(t, "start", m, at(10*time.Second+mdi))
	// an advert during the delay re-arms from the delay's end
	m.Advert(at(5*time.Second), Advert{Priority: 200, Src: addr1}, nil)
	checkDeadline(t, "advert in delay", m, at(10*time.Second+mdi))
	// priority 0 during the delay: the skew from the delay's end
	m.Advert(at(6*time.Second), Advert{Priority: 0, Src: addr1}, nil)
	checkDeadline(t, "prio 0 in delay", m, at(10*time.Second+609375*time.Microsecond))
	// after the delay: from now
	m.Advert(at(11*time.Second), Advert{Priority: 200, Src: addr1}, nil)
	checkDeadline(t, "advert after", m, at(11*time.Second+mdi))
	check(t, "master down", m.Timer(at(11*time.Second+mdi), nil), becomeMaster(100, Backup, CauseMasterDown))

	o := newM(t, Config{Priority: 255, StartupUntil: at(10 * time.Second)})
	check(t, "owner", o.Start(t0, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Init, To: Backup, Cause: CauseStart, Priority: 255},
	))
	checkDeadline(t, "owner", o, at(10*time.Second))
	check(t, "owner after the delay", o.Timer(at(10*time.Second), nil), becomeMaster(255, Backup, CauseOwner))
	p := newM(t, Config{Priority: 255, StartupUntil: at(10 * time.Second)})
	check(t, "owner after the delay", p.Start(at(10*time.Second), nil), becomeMaster(255, Init, CauseOwner))
}
