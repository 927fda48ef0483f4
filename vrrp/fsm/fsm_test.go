package fsm

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestArithmetic(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		version  uint8
		prio     uint8
		interval time.Duration
		skew     time.Duration
		mdi      time.Duration
	}{
		// RFC 3768: Skew_Time = (256-Priority)/256 s, independent of the interval.
		{2, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{2, 200, time.Second, 218750 * time.Microsecond, 3218750 * time.Microsecond},
		{2, 254, time.Second, 7812500 * time.Nanosecond, 3007812500 * time.Nanosecond},
		{2, 255, time.Second, 3906250 * time.Nanosecond, 3003906250 * time.Nanosecond},
		{2, 1, time.Second, 996093750 * time.Nanosecond, 3996093750 * time.Nanosecond},
		{2, 100, 2 * time.Second, 609375 * time.Microsecond, 6609375 * time.Microsecond},
		// RFC 5798: Skew_Time = ((256-Priority) * Master_Adver_Interval) / 256.
		{3, 100, 100 * ms, 60937500 * time.Nanosecond, 360937500 * time.Nanosecond},
		{3, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{3, 200, 100 * ms, 21875 * time.Microsecond, 321875 * time.Microsecond},
		{3, 150, 10 * ms, 4140625 * time.Nanosecond, 34140625 * time.Nanosecond},
		{3, 100, 2 * time.Second, 1218750 * time.Microsecond, 7218750 * time.Microsecond},
	} {
		if got := SkewTime(c.version, c.prio, c.interval); got != c.skew {
			t.Errorf("SkewTime(v%d, %d, %v) = %v, want %v", c.version, c.prio, c.interval, got, c.skew)
		}
		if got := MasterDownInterval(c.version, c.prio, c.interval); got != c.mdi {
			t.Errorf("MasterDownInterval(v%d, %d, %v) = %v, want %v", c.version, c.prio, c.interval, got, c.mdi)
		}
	}
}

var (
	t0    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	addr1 = netip.MustParseAddr("10.99.0.1")
	addr2 = netip.MustParseAddr("10.99.0.2")
	addr3 = netip.MustParseAddr("10.99.0.3")
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func newM(t *testing.T, cfg Config) *Machine {
	t.Helper()
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	if cfg.AdvertInterval == 0 {
		cfg.AdvertInterval = time.Second
	}
	if !cfg.LocalAddr.IsValid() {
		cfg.LocalAddr = addr2
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func acts(a ...Action) []Action { return a }

var (
	becomeMaster = func(prio uint8, from State, cause Cause) []Action {
		return acts(
			Action{Kind: SendAdvert, Priority: prio},
			Action{Kind: AddVIPs},
			Action{Kind: Announce, Announce: AnnounceMaster},
			Action{Kind: Transition, From: from, To: Master, Cause: cause, Priority: prio},
		)
	}
	sendAdvert = func(prio uint8) []Action { return acts(Action{Kind: SendAdvert, Priority: prio}) }
)

func check(t *testing.T, step string, got, want []Action) {
	t.Helper()
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("%s: actions (-want +got):\n%s", step, d)
	}
}

func checkDeadline(t *testing.T, step string, m *Machine, want time.Time) {
	t.Helper()
	if got := m.Deadline(); !got.Equal(want) {
		t.Errorf("%s: deadline %v, want %v (off by %v)", step, got.Sub(t0), want.Sub(t0), got.Sub(want))
	}
}

func TestStartBackupThenMasterDown(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	check(t, "start", m.Start(t0, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Init, To: Backup, Cause: CauseStart, Priority: 100},
	))
	checkDeadline(t, "start", m, at(3609375*time.Microsecond))
	// Early timer calls do nothing.
	check(t, "early timer", m.Timer(at(3609374*time.Microsecond), nil), nil)
	check(t, "master down", m.Timer(at(3609375*time.Microsecond), nil), becomeMaster(100, Backup, CauseMasterDown))
	checkDeadline(t, "master", m, at(4609375*time.Microsecond))
	// Adverts every interval, without drift.
	check(t, "advert", m.Timer(at(4609375*time.Microsecond), nil), sendAdvert(100))
	checkDeadline(t, "advert", m, at(5609375*time.Microsecond))
}

func TestOwnerStartsMaster(t *testing.T) {
	m := newM(t, Config{Priority: 255})
	check(t, "start", m.Start(t0, nil), becomeMaster(255, Init, CauseOwner))
	checkDeadline(t, "start", m, at(time.Second))
	// An owner's priority is never adjusted.
	m.SetPriority(t0, 10, nil)
	if m.Priority() != 255 {
		t.Errorf("owner priority adjusted to %d", m.Priority())
	}
}

func TestBackupAcceptsHigherAndResets(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Start(t0, nil)
	check(t, "advert", m.Advert(at(time.Second), Advert{Priority: 200, Interval: time.Second, Src: addr1}, nil), nil)
	checkDeadline(t, "reset", m, at(time.Second+3609375*time.Microsecond))
	if a, p := m.Master(); a != addr1 || p != 200 {
		t.Errorf("Master() = %v %d", a, p)
	}
	// Equal priority is accepted too (RFC: greater than or equal).
	m.Advert(at(2*time.Second), Advert{Priority: 100, Src: addr3}, nil)
	checkDeadline(t, "equal", m, at(2*time.Second+3609375*time.Microsecond))
}

func TestPriorityZeroSkew(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Start(t0, nil)
	m.Advert(at(time.Second), Advert{Priority: 200, Src: addr1}, nil)
	check(t, "prio 0", m.Advert(at(1500*time.Millisecond), Advert{Priority: 0, Src: addr1}, nil), nil)
	checkDeadline(t, "prio 0", m, at(1500*time.Millisecond+609375*time.Microsecond))
	check(t, "takeover", m.Timer(m.Deadline(), nil), becomeMaster(100, Backup, CausePriorityZero))
}

func TestV3LearnsMasterInterval(t *testing.T) {
	m := newM(t, Config{Version: 3, Priority: 100, AdvertInterval: time.Second})
	m.Start(t0, nil)
	checkDeadline(t, "start", m, at(3609375*time.Microsecond))
	m.Advert(t0, Advert{Priority: 200, Interval: 100 * time.Millisecond, Src: addr1}, nil)
	if m.MasterAdverInterval() != 100*time.Millisecond {
		t.Errorf("Master_Adver_Interval %v", m.MasterAdverInterval())
	}
	checkDeadline(t, "learnt", m, at(360937500*time.Nanosecond))
	// Priority 0 uses the learnt interval for the skew.
	m.Advert(at(100*time.Millisecond), Advert{Priority: 0, Interval: 100 * time.Millisecond, Src: addr1}, nil)
	checkDeadline(t, "prio 0", m, at(100*time.Millisecond+60937500*time.Nanosecond))
	m.Timer(m.Deadline(), nil)
	// As master we advertise at our own interval.
	checkDeadline(t, "master", m, at(100*time.Millisecond+60937500*time.Nanosecond+time.Second))

	// VRRPv2 never learns.
	m2 := newM(t, Config{Version: 2, Priority: 100})
	m2.Start(t0, nil)
	m2.Advert(t0, Advert{Priority: 200, Interval: 2 * time.Second, Src: addr1}, nil)
	checkDeadline(t, "v2", m2, at(3609375*time.Microsecond))
}

func TestPreemptLowerPriorityMaster(t *testing.T) {
	m := newM(t, Config{Priority: 200})
	m.Start(t0, nil)
	// A lower-priority master's adverts are ignored: the timer armed at
	// start runs out and we take over.
	m.Advert(at(time.Second), Advert{Priority: 100, Src: addr1}, nil)
	checkDeadline(t, "ignored", m, at(3218750*time.Microsecond))
	m.Advert(at(2*time.Second), Advert{Priority: 100, Src: addr1}, nil)
	check(t, "preempt", m.Timer(at(3218750*time.Microsecond), nil), becomeMaster(200, Backup, CausePreempt))
}

func TestNoPreempt(t *testing.T) {
	m := newM(t, Config{Priority: 200, NoPreempt: true})
	m.Start(t0, nil)
	for i := 1; i <= 100; i++ {
		now := at(time.Duration(i) * time.Second)
		check(t, "lower advert", m.Timer(now, m.Advert(now, Advert{Priority: 100, Src: addr1}, nil)), nil)
	}
	if m.State() != Backup {
		t.Fatalf("nopreempt: state %v", m.State())
	}
	// When that master stops, we take over normally.
	check(t, "down", m.Timer(at(100*time.Second+3218750*time.Microsecond), nil), becomeMaster(200, Backup, CauseMasterDown))
}

func TestPreemptDelay(t *testing.T) {
	m := newM(t, Config{Priority: 200, PreemptDelay: 10 * time.Second})
	m.Start(t0, nil)
	var took time.Time
	for ms := 1000; ms <= 30000; ms += 1000 {
		now := at(time.Duration(ms) * time.Millisecond)
		if !m.Deadline().IsZero() && !now.Before(m.Deadline()) {
			m.Timer(m.Deadline(), nil)
			if m.State() == Master {
				took = m.Deadline().Add(-time.Second)
				break
			}
		}
		m.Advert(now, Advert{Priority: 100, Src: addr1}, nil)
	}
	// The delay starts at the first lower advert (1 s) and ends at 11 s; the
	// advert at 11 s is ignored, so the timer armed at 10 s fires at
	// 10 s + Master_Down_Interval.
	if want := at(10*time.Second + 3218750*time.Microsecond); !took.Equal(want) {
		t.Errorf("took over at %v, want %v", took.Sub(t0), want.Sub(t0))
	}
	// A higher-priority master resets the delay.
	m2 := newM(t, Config{Priority: 200, PreemptDelay: 10 * time.Second})
	m2.Start(t0, nil)
	m2.Advert(at(time.Second), Advert{Priority: 100, Src: addr1}, nil)
	m2.Advert(at(2*time.Second), Advert{Priority: 250, Src: addr3}, nil)
	if !m2.preemptAt.IsZero() {
		t.Errorf("preempt delay not reset by a higher priority")
	}
}

func TestMasterHearsHigher(t *testing.T) {
	m := newM(t, Config{Version: 3, Priority: 100, AdvertInterval: time.Second})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	now := at(5 * time.Second)
	check(t, "higher", m.Advert(now, Advert{Priority: 150, Interval: 100 * time.Millisecond, Src: addr1}, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Backup, Cause: CauseHigherPriority, Priority: 100},
	))
	checkDeadline(t, "backup", m, now.Add(360937500*time.Nanosecond))
}

func TestEqualPriority(t *testing.T) {
	// We are 10.99.0.2. Equal priority from .3 (higher) wins; from .1 (lower) loses.
	m := newM(t, Config{Priority: 100})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	now := at(4 * time.Second)
	check(t, "equal lower addr", m.Advert(now, Advert{Priority: 100, Src: addr1}, nil), acts(
		Action{Kind: SendAdvert, Priority: 100},
		Action{Kind: Announce, Announce: AnnounceLowerPrio},
		Action{Kind: RxLowerPriority, Src: addr1, Priority: 100},
	))
	if m.State() != Master {
		t.Fatal("lost mastership to a lower address")
	}
	check(t, "own address", m.Advert(now, Advert{Priority: 100, Src: addr2}, nil), nil)
	check(t, "equal higher addr", m.Advert(now, Advert{Priority: 100, Src: addr3}, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Backup, Cause: CauseEqualPriorityHigherAddr, Priority: 100},
	))
}

func TestMasterHearsLowerAndZero(t *testing.T) {
	m := newM(t, Config{Priority: 200})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	deadline := m.Deadline()
	now := deadline.Add(-300 * time.Millisecond)
	check(t, "lower", m.Advert(now, Advert{Priority: 100, Src: addr3}, nil), acts(
		Action{Kind: SendAdvert, Priority: 200},
		Action{Kind: Announce, Announce: AnnounceLowerPrio},
		Action{Kind: RxLowerPriority, Src: addr3, Priority: 100},
	))
	checkDeadline(t, "lower keeps timer", m, deadline)
	check(t, "zero", m.Advert(now, Advert{Priority: 0, Src: addr3}, nil), sendAdvert(200))
	checkDeadline(t, "zero resets timer", m, now.Add(time.Second))

	q := newM(t, Config{Priority: 200, LowerPrioNoAdvert: true})
	q.Start(t0, nil)
	q.Timer(q.Deadline(), nil)
	check(t, "lower_prio_no_advert", q.Advert(now, Advert{Priority: 100, Src: addr3}, nil), acts(
		Action{Kind: Announce, Announce: AnnounceLowerPrio},
		Action{Kind: RxLowerPriority, Src: addr3, Priority: 100},
	))
}

func TestShutdown(t *testing.T) {
	m := newM(t, Config{Priority: 255})
	m.Start(t0, nil)
	check(t, "stop master", m.Shutdown(at(time.Second), nil), acts(
		Action{Kind: SendAdvert, Priority: 0},
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Stop, Cause: CauseShutdown, Priority: 255},
	))
	checkDeadline(t, "stopped", m, time.Time{})
	check(t, "again", m.Shutdown(at(time.Second), nil), nil)
	check(t, "advert after stop", m.Advert(at(time.Second), Advert{Priority: 1, Src: addr1}, nil), nil)

	b := newM(t, Config{Priority: 100})
	b.Start(t0, nil)
	check(t, "stop backup", b.Shutdown(at(time.Second), nil), acts(
		Action{Kind: Transition, From: Backup, To: Stop, Cause: CauseShutdown, Priority: 100},
	))
}

func TestFault(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Start(t0, nil)
	m.Timer(m.Deadline(), nil)
	now := at(10 * time.Second)
	check(t, "fault master", m.SetFault(now, true, nil), acts(
		Action{Kind: SendAdvert, Priority: 0},
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Fault, Cause: CauseFault, Priority: 100},
	))
	checkDeadline(t, "fault", m, time.Time{})
	check(t, "advert in fault", m.Advert(now, Advert{Priority: 200, Src: addr1}, nil), nil)
	check(t, "fault again", m.SetFault(now, true, nil), nil)
	check(t, "clear", m.SetFault(at(20*time.Second), false, nil), acts(
		Action{Kind: Transition, From: Fault, To: Backup, Cause: CauseFaultCleared, Priority: 100},
	))
	checkDeadline(t, "backup after fault", m, at(20*time.Second+3609375*time.Microsecond))

	// Fault set before start: start in Fault.
	f := newM(t, Config{Priority: 100})
	f.SetFault(t0, true, nil)
	check(t, "start in fault", f.Start(t0, nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Init, To: Fault, Cause: CauseFault, Priority: 100},
	))
	// The owner leaves Fault as master.
	o := newM(t, Config{Priority: 255})
	o.SetFault(t0, true, nil)
	o.Start(t0, nil)
	check(t, "owner clear", o.SetFault(at(time.Second), false, nil), becomeMaster(255, Fault, CauseFaultCleared))
}

func TestSetPriority(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.Start(t0, nil)
	// 100 -> 200: the skew shrinks by 100/256 s, so does the deadline.
	m.SetPriority(at(time.Second), 200, nil)
	checkDeadline(t, "backup", m, at(3218750*time.Microsecond))
	m.SetPriority(at(time.Second), 1000, nil)
	if m.Priority() != 254 {
		t.Errorf("clamp high: %d", m.Priority())
	}
	m.SetPriority(at(time.Second), -5, nil)
	if m.Priority() != 1 {
		t.Errorf("clamp low: %d", m.Priority())
	}
	m.SetPriority(at(time.Second), 150, nil)
	m.Timer(m.Deadline(), nil)
	check(t, "master advertises new priority", m.Timer(m.Deadline(), nil), sendAdvert(150))
	m.SetPriority(at(time.Minute), 120, nil)
	check(t, "changed again", m.Timer(m.Deadline(), nil), sendAdvert(120))
}

func TestNewErrors(t *testing.T) {
	for _, c := range []Config{
		{Version: 1, Priority: 100, AdvertInterval: time.Second},
		{Version: 2, Priority: 0, AdvertInterval: time.Second},
		{Version: 3, Priority: 100},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestStrings(t *testing.T) {
	for s, want := range map[State]string{Init: "INIT", Backup: "BACKUP", Master: "MASTER", Fault: "FAULT", Stop: "STOP", 9: "UNKNOWN"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
	for c := CauseNone; c <= CauseShutdown; c++ {
		if c.String() == "unknown" || c.String() == "" {
			t.Errorf("cause %d unnamed", c)
		}
	}
	for k := SendAdvert; k <= RxLowerPriority; k++ {
		if k.String() == "unknown" {
			t.Errorf("action %d unnamed", k)
		}
	}
}

// TestTwoMachines runs two machines against each other through a perfect
// wire: election, failover at Master_Down_Interval, graceful stop.
func TestTwoMachines(t *testing.T) {
	a := newM(t, Config{Priority: 200, LocalAddr: addr1})
	b := newM(t, Config{Priority: 100, LocalAddr: addr2})
	now := t0
	deliver := func(from *Machine, fromAddr netip.Addr, to *Machine, acts []Action) {
		for _, x := range acts {
			if x.Kind == SendAdvert && to != nil {
				to.Advert(now, Advert{Priority: x.Priority, Interval: time.Second, Src: fromAddr}, nil)
			}
		}
	}
	deliver(a, addr1, b, a.Start(now, nil))
	deliver(b, addr2, a, b.Start(now, nil))
	// Step through events in time order for 20 s.
	for now.Before(at(20 * time.Second)) {
		da, db := a.Deadline(), b.Deadline()
		if da.IsZero() || (!db.IsZero() && db.Before(da)) {
			now = db
			deliver(b, addr2, a, b.Timer(now, nil))
		} else {
			now = da
			deliver(a, addr1, b, a.Timer(now, nil))
		}
	}
	if a.State() != Master || b.State() != Backup {
		t.Fatalf("after election: a %v b %v", a.State(), b.State())
	}
	// a dies silently right after an advert: b takes over exactly
	// Master_Down_Interval after a's last advert.
	last := a.Deadline().Add(-time.Second)
	if got, want := b.Deadline().Sub(last), 3609375*time.Microsecond; got != want {
		t.Errorf("failover after %v, want %v", got, want)
	}
	// Graceful stop instead: b takes over Skew_Time later.
	now = last.Add(200 * time.Millisecond)
	deliver(a, addr1, b, a.Shutdown(now, nil))
	if got, want := b.Deadline().Sub(now), 609375*time.Microsecond; got != want {
		t.Errorf("takeover after stop in %v, want %v", got, want)
	}
}

func TestSyncGroupHooks(t *testing.T) {
	m := newM(t, Config{Priority: 100})
	m.SetGated(true)
	m.Start(t0, nil)
	// The timer expires but a gated member waits for its group.
	check(t, "gated expiry", m.Timer(at(mdiV2(100)), nil), nil)
	if !m.WantsMaster() || m.State() != Backup {
		t.Fatalf("WantsMaster %v state %v", m.WantsMaster(), m.State())
	}
	checkDeadline(t, "waiting", m, time.Time{})
	// A master appears: no longer wants master.
	m.Advert(at(4*time.Second), Advert{Priority: 200, Src: addr1}, nil)
	if m.WantsMaster() {
		t.Error("still wants master after accepting a master")
	}
	check(t, "sync master refused", m.SyncMaster(at(4*time.Second), nil), nil)
	m.Timer(m.Deadline(), nil)
	check(t, "sync master", m.SyncMaster(at(9*time.Second), nil), becomeMaster(100, Backup, CauseMasterDown))
	check(t, "sync backup", m.SyncBackup(at(10*time.Second), nil), acts(
		Action{Kind: RemoveVIPs},
		Action{Kind: Transition, From: Master, To: Backup, Cause: CauseSyncGroup, Priority: 100},
	))
	checkDeadline(t, "sync backup", m, at(10*time.Second+mdiV2(100)))
	check(t, "sync backup again", m.SyncBackup(at(10*time.Second), nil), nil)

	// Group fault and own fault combine.
	check(t, "sync fault", m.SetSyncFault(at(11*time.Second), true, nil), acts(
		Action{Kind: Transition, From: Backup, To: Fault, Cause: CauseSyncGroup, Priority: 100},
	))
	check(t, "own fault too", m.SetFault(at(12*time.Second), true, nil), nil)
	check(t, "sync fault cleared, own remains", m.SetSyncFault(at(13*time.Second), false, nil), nil)
	if m.State() != Fault {
		t.Fatal("left fault with own fault set")
	}
	check(t, "own fault cleared", m.SetFault(at(14*time.Second), false, nil), acts(
		Action{Kind: Transition, From: Fault, To: Backup, Cause: CauseFaultCleared, Priority: 100},
	))
}

func mdiV2(prio uint8) time.Duration { return MasterDownInterval(2, prio, time.Second) }
