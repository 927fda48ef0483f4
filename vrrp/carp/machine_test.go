package carp

import (
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		base, skew uint8
		want       time.Duration
	}{
		{1, 0, time.Second},
		{1, 100, time.Second + 390625*time.Microsecond},
		{1, 1, time.Second + 3906*time.Microsecond}, // ucarp truncates to the µs
		{255, 255, 255*time.Second + 996093*time.Microsecond},
	} {
		if got := Interval(tc.base, tc.skew); got != tc.want {
			t.Errorf("Interval(%d, %d) = %v, want %v", tc.base, tc.skew, got, tc.want)
		}
	}
	m := NewMachine(MachineConfig{AdvBase: 1, AdvSkew: 128})
	if got, want := m.MasterDown(), 3500*time.Millisecond; got != want {
		t.Errorf("MasterDown = %v, want %v", got, want)
	}
	m = NewMachine(MachineConfig{AdvBase: 2, DeadRatio: 5})
	if got, want := m.MasterDown(), 10*time.Second; got != want {
		t.Errorf("MasterDown deadratio 5 = %v, want %v", got, want)
	}
}

func TestStartupTakeover(t *testing.T) {
	m := NewMachine(MachineConfig{AdvBase: 1, AdvSkew: 0, Src: n1})
	act := m.Start(t0)
	if act != (Actions{To: Backup, Down: true}) {
		t.Fatalf("Start = %+v", act)
	}
	if got := m.Next(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("Next = %v", got)
	}
	if act := m.Advance(t0.Add(2999 * time.Millisecond)); act != (Actions{}) {
		t.Fatalf("early Advance = %+v", act)
	}
	act = m.Advance(t0.Add(3 * time.Second))
	if act != (Actions{To: Master, Up: true, Advert: true, GARP: true}) {
		t.Fatalf("takeover = %+v", act)
	}
	// Adverts every second; the second one after takeover brings the
	// delayed gratuitous ARP, as ucarp does.
	want := []Actions{{Advert: true}, {Advert: true, GARP: true}, {Advert: true}}
	for i, w := range want {
		at := t0.Add(time.Duration(4+i) * time.Second)
		if got := m.Next(); !got.Equal(at) {
			t.Fatalf("advert %d: Next = %v, want %v", i, got, at)
		}
		if got := m.Advance(at); got != w {
			t.Fatalf("advert %d: %+v, want %+v", i, got, w)
		}
	}
}

func TestNeutral(t *testing.T) {
	m := NewMachine(MachineConfig{AdvBase: 1, Neutral: true})
	if act := m.Start(t0); act != (Actions{To: Backup}) {
		t.Fatalf("neutral Start = %+v (no down script expected)", act)
	}
}

func TestBackupHearsMaster(t *testing.T) {
	m := NewMachine(MachineConfig{AdvBase: 1, AdvSkew: 100, Src: n2})
	m.Start(t0)
	// A master at advbase 1 advskew 0 keeps pushing the deadline.
	for i := 1; i <= 10; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		if act := m.Receive(now, Peer{AdvBase: 1, Src: n1}); act != (Actions{}) {
			t.Fatalf("receive %d: %+v", i, act)
		}
		if got, want := m.Next(), now.Add(3*time.Second+390625*time.Microsecond); !got.Equal(want) {
			t.Fatalf("receive %d: Next = %v, want %v", i, got, want)
		}
	}
	// It stops: takeover exactly 3 x advbase + advskew/256 after the last.
	last := t0.Add(10 * time.Second)
	act := m.Advance(last.Add(3*time.Second + 390625*time.Microsecond))
	if !act.Changed() || act.To != Master {
		t.Fatalf("no takeover: %+v", act)
	}
}

func TestPreempt(t *testing.T) {
	for _, preempt := range []bool{false, true} {
		// We are faster (advskew 0) than the master (advskew 100).
		m := NewMachine(MachineConfig{AdvBase: 1, Preempt: preempt, Src: n2})
		m.Start(t0)
		act := m.Receive(t0.Add(time.Second), Peer{AdvBase: 1, AdvSkew: 100, Src: n1})
		if got := act.To == Master; got != preempt {
			t.Errorf("preempt=%v: took over = %v (%+v)", preempt, got, act)
		}
	}
	// A master that advertises slower than we would declare it dead (or is
	// leaving with 255/255) is down at once, preempt or not.
	m := NewMachine(MachineConfig{AdvBase: 1, Src: n2})
	m.Start(t0)
	if act := m.Receive(t0, Peer{AdvBase: 255, AdvSkew: 255, Src: n1}); act.To != Master {
		t.Errorf("leaving master: %+v", act)
	}
}

func TestMasterMeetsMaster(t *testing.T) {
	start := func(cfg MachineConfig) *Machine {
		m := NewMachine(cfg)
		m.Start(t0)
		m.Advance(t0.Add(m.MasterDown()))
		if m.State() != Master {
			t.Fatal("not master")
		}
		return m
	}
	now := t0.Add(3500 * time.Millisecond)
	// Faster peer: step down, advertising once more first.
	m := start(MachineConfig{AdvBase: 1, AdvSkew: 10, Src: n2})
	if act := m.Receive(now, Peer{AdvBase: 1, Src: n1}); act != (Actions{To: Backup, Down: true, Advert: true}) {
		t.Errorf("faster peer: %+v", act)
	}
	// Slower peer: reassert with a gratuitous ARP (and another two adverts later).
	m = start(MachineConfig{AdvBase: 1, Src: n2})
	if act := m.Receive(now, Peer{AdvBase: 1, AdvSkew: 10, Src: n1}); act != (Actions{GARP: true}) {
		t.Errorf("slower peer: %+v", act)
	}
	// Same rate: ucarp's address comparison (last octet first on
	// little-endian hosts) decides. 10.99.0.1 < 10.99.0.2.
	m = start(MachineConfig{AdvBase: 1, Src: n2})
	if act := m.Receive(now, Peer{AdvBase: 1, Src: n1}); act.To != Backup {
		t.Errorf("same rate, lower peer address: %+v", act)
	}
	m = start(MachineConfig{AdvBase: 1, Src: n1})
	if act := m.Receive(now, Peer{AdvBase: 1, Src: n2}); act != (Actions{GARP: true}) {
		t.Errorf("same rate, higher peer address: %+v", act)
	}
	// 1.0.0.2 vs 2.0.0.1: ucarp compares the last octet first.
	if !addrLess(netip.MustParseAddr("2.0.0.1"), netip.MustParseAddr("1.0.0.2")) {
		t.Error("addrLess does not compare as ucarp on little-endian")
	}
}

func TestLink(t *testing.T) {
	m := NewMachine(MachineConfig{AdvBase: 1, Src: n1})
	m.Start(t0)
	m.Advance(t0.Add(3 * time.Second))
	act := m.Link(t0.Add(4*time.Second), false)
	if act != (Actions{To: Backup, Down: true}) {
		t.Fatalf("link down: %+v", act)
	}
	if !m.Next().IsZero() {
		t.Fatal("timers run while the link is down")
	}
	if act := m.Advance(t0.Add(time.Hour)); act != (Actions{}) {
		t.Fatalf("advance while down: %+v", act)
	}
	m.Link(t0.Add(10*time.Second), true)
	if got := m.Next(); !got.Equal(t0.Add(13 * time.Second)) {
		t.Fatalf("after link up: Next = %v", got)
	}
	// --ignoreifstate: the link does not matter.
	m = NewMachine(MachineConfig{AdvBase: 1, IgnoreIfState: true})
	m.Start(t0)
	m.Advance(t0.Add(3 * time.Second))
	if act := m.Link(t0.Add(4*time.Second), false); act != (Actions{}) || m.State() != Master {
		t.Fatalf("ignoreifstate: %+v %v", act, m.State())
	}
}

func TestStop(t *testing.T) {
	m := NewMachine(MachineConfig{AdvBase: 1})
	m.Start(t0)
	if m.Stop() {
		t.Error("backup reported master at stop")
	}
	m = NewMachine(MachineConfig{AdvBase: 1})
	m.Start(t0)
	m.Advance(t0.Add(3 * time.Second))
	if !m.Stop() {
		t.Error("master not reported at stop")
	}
}
