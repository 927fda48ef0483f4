package fsm

import (
	"testing"
	"time"
)

// TestDownTimerAdverts: keepalived's down_timer_adverts N makes
// Master_Down_Interval N*Master_Adver_Interval + Skew_Time, wherever a
// backup arms its master-down timer (start, an accepted advert, a master
// stepping down), and the VRRPv3 learnt interval is multiplied too.
func TestDownTimerAdverts(t *testing.T) {
	skew100 := 609375 * time.Microsecond // (256-100)/256 s
	for _, c := range []struct {
		name    string
		adverts int
		version uint8
		// after start, after an accepted advert at 1 s (v3: learnt 500 ms)
		start, rx time.Duration
	}{
		{"default is 3", 0, 2, 3*time.Second + skew100, time.Second + 3*time.Second + skew100},
		{"explicit 3", 3, 2, 3*time.Second + skew100, time.Second + 3*time.Second + skew100},
		{"1 advert", 1, 2, time.Second + skew100, time.Second + time.Second + skew100},
		{"10 adverts", 10, 2, 10*time.Second + skew100, time.Second + 10*time.Second + skew100},
		{"100 adverts", 100, 2, 100*time.Second + skew100, time.Second + 100*time.Second + skew100},
		// VRRPv3: Skew_Time scales with the learnt interval, the count multiplies it.
		{"v3 5 adverts", 5, 3, 5*time.Second + skew100, time.Second + 5*500*time.Millisecond + skew100/2},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newM(t, Config{Version: c.version, Priority: 100, DownTimerAdverts: c.adverts})
			m.Start(t0, nil)
			checkDeadline(t, "start", m, at(c.start))
			m.Advert(at(time.Second), Advert{Priority: 200, Interval: 500 * time.Millisecond, Src: addr1}, nil)
			checkDeadline(t, "accepted advert", m, at(c.rx))
			// The takeover happens at that deadline, not before.
			check(t, "early", m.Timer(at(c.rx-1), nil), nil)
			check(t, "master down", m.Timer(at(c.rx), nil), becomeMaster(100, Backup, CauseMasterDown))
		})
	}
	if got, want := MasterDownIntervalN(7, 2, 100, time.Second), 7*time.Second+skew100; got != want {
		t.Errorf("MasterDownIntervalN(7) = %v, want %v", got, want)
	}
	for _, bad := range []int{-1, 101} {
		if _, err := New(Config{Version: 2, Priority: 100, AdvertInterval: time.Second, DownTimerAdverts: bad}); err == nil {
			t.Errorf("New accepted down timer adverts %d", bad)
		}
	}
}

// TestDownTimerAdvertsStepDown: a master that hears a higher priority arms
// the master-down timer with down_timer_adverts too.
func TestDownTimerAdvertsStepDown(t *testing.T) {
	m := newM(t, Config{Priority: 100, DownTimerAdverts: 1})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	now := at(5 * time.Second)
	m.Advert(now, Advert{Priority: 150, Src: addr1}, nil)
	checkDeadline(t, "backup", m, now.Add(time.Second+609375*time.Microsecond))
}

// TestHigherPrioSendAdvert: with higher_prio_send_advert a master sends
// one advert with its own priority before stepping down (higher priority,
// and equal priority from a higher address); without it, none.
func TestHigherPrioSendAdvert(t *testing.T) {
	for _, c := range []struct {
		name  string
		send  bool
		adv   Advert
		cause Cause
	}{
		{"higher, off", false, Advert{Priority: 150, Src: addr1}, CauseHigherPriority},
		{"higher, on", true, Advert{Priority: 150, Src: addr1}, CauseHigherPriority},
		{"equal higher address, on", true, Advert{Priority: 100, Src: addr3}, CauseEqualPriorityHigherAddr},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newM(t, Config{Priority: 100, HigherPrioSendAdvert: c.send})
			m.Start(t0, nil)
			m.Timer(m.Deadline(), nil)
			var want []Action
			if c.send {
				want = append(want, Action{Kind: SendAdvert, Priority: 100})
			}
			want = append(want,
				Action{Kind: RemoveVIPs},
				Action{Kind: Transition, From: Master, To: Backup, Cause: c.cause, Priority: 100})
			check(t, "step down", m.Advert(at(5*time.Second), c.adv, nil), want)
		})
	}
	// A lower priority is answered as without the option (RFC 9568), once.
	m := newM(t, Config{Priority: 100, HigherPrioSendAdvert: true})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	check(t, "lower", m.Advert(at(5*time.Second), Advert{Priority: 50, Src: addr1}, nil), acts(
		Action{Kind: SendAdvert, Priority: 100},
		Action{Kind: Announce, Announce: AnnounceLowerPrio},
		Action{Kind: RxLowerPriority, Src: addr1, Priority: 50},
	))
}
