package bfd

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

// link runs two sessions against each other on a simulated clock,
// delivering packets instantly while up[i] lets i's packets through.
type link struct {
	s    [2]*Session
	pass [2]bool
	now  time.Time
	sent [2]int
	log  []Packet
}

func newLink(a, b Config) *link {
	return &link{s: [2]*Session{NewSession(a, 0x11, t0), NewSession(b, 0x22, t0)},
		pass: [2]bool{true, true}, now: t0}
}

// run advances the clock to until, handling every event on the way.
func (l *link) run(until time.Time) {
	for {
		next := time.Time{}
		for _, s := range l.s {
			if n := s.Next(); !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
		if next.IsZero() || next.After(until) {
			l.now = until
			return
		}
		l.now = next
		for i, s := range l.s {
			s.Expire(l.now)
			if at := s.SendAt(); !at.IsZero() && !at.After(l.now) {
				p := s.Packet()
				s.Sent(l.now)
				l.sent[i]++
				l.log = append(l.log, p)
				if l.pass[i] {
					l.s[1-i].Receive(p, l.now)
				}
			}
		}
	}
}

func TestHandshakeAndTimers(t *testing.T) {
	a := Config{MinRx: 50 * time.Millisecond, MinTx: 50 * time.Millisecond, IdleTx: time.Second, Multiplier: 3}
	b := Config{MinRx: 100 * time.Millisecond, MinTx: 20 * time.Millisecond, IdleTx: time.Second, Multiplier: 5}
	l := newLink(a, b)
	l.run(t0.Add(10 * time.Millisecond))
	if l.s[0].State != Up || l.s[1].State != Up {
		t.Fatalf("states %v %v, want Up Up", l.s[0].State, l.s[1].State)
	}
	l.run(t0.Add(2 * time.Second))
	for i, s := range l.s {
		if s.polling {
			t.Errorf("%d: poll still outstanding", i)
		}
	}
	// A sends at max(50ms, B's min_rx 100ms); B at max(20ms, 50ms).
	if got := l.s[0].TxInterval(); got != 100*time.Millisecond {
		t.Errorf("A tx %v", got)
	}
	if got := l.s[1].TxInterval(); got != 50*time.Millisecond {
		t.Errorf("B tx %v", got)
	}
	// A detects with B's multiplier 5 x max(A's rx 50ms, B's tx 20ms).
	if got := l.s[0].DetectTime(); got != 250*time.Millisecond {
		t.Errorf("A detect %v", got)
	}
	if got := l.s[1].DetectTime(); got != 300*time.Millisecond {
		t.Errorf("B detect %v", got)
	}
	// about 2s/100ms..2s/75ms packets from A after coming up.
	if l.sent[0] < 18 || l.sent[0] > 30 {
		t.Errorf("A sent %d packets in 2s", l.sent[0])
	}
}

func TestDetectionExpiry(t *testing.T) {
	c := Config{MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 5}
	l := newLink(c, c)
	l.run(t0.Add(time.Second))
	if l.s[0].State != Up {
		t.Fatal("not up")
	}
	last := l.s[0].lastRx
	l.pass[1] = false // B's packets lost
	l.run(t0.Add(2 * time.Second))
	a := l.s[0]
	if a.State != Down || a.Diag != DiagExpired {
		t.Fatalf("A %v diag %v", a.State, a.Diag)
	}
	// The fall happened exactly at last rx + 5 x 10ms: A's own tx at the
	// expiry is stamped with the Down state.
	if a.RemoteDiscr != 0 {
		t.Error("remote discriminator kept")
	}
	_ = last
	// B hears A Down and follows with neighbor_down.
	if b := l.s[1]; b.State == Up {
		t.Errorf("B still up")
	}
	// Restored: back Up.
	l.pass[1] = true
	l.run(t0.Add(5 * time.Second))
	if l.s[0].State != Up || l.s[1].State != Up {
		t.Fatalf("after restore %v %v", l.s[0].State, l.s[1].State)
	}
}

func TestExpireAtExact(t *testing.T) {
	c := Config{MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 3}
	s := NewSession(c, 1, t0)
	s.Receive(Packet{Version: 1, State: Down, DetectMult: 4, MyDiscr: 2, DesiredMinTx: 20000, RequiredMinRx: 10000}, t0)
	s.Receive(Packet{Version: 1, State: Init, DetectMult: 4, MyDiscr: 2, YourDiscr: 1, DesiredMinTx: 20000, RequiredMinRx: 10000}, t0)
	if s.State != Up {
		t.Fatal(s.State)
	}
	want := t0.Add(80 * time.Millisecond) // 4 x max(10ms, 20ms)
	if got := s.ExpireAt(); !got.Equal(want) {
		t.Fatalf("ExpireAt %v want %v", got.Sub(t0), want.Sub(t0))
	}
	if s.Expire(want.Add(-time.Nanosecond)) {
		t.Fatal("expired early")
	}
	if !s.Expire(want) || s.State != Down || s.Diag != DiagExpired {
		t.Fatalf("%v %v", s.State, s.Diag)
	}
}

func TestReceiveTransitions(t *testing.T) {
	tests := []struct {
		local, remote, want State
		diag                Diag
	}{
		{Down, Down, Init, DiagNone},
		{Down, Init, Up, DiagNone},
		{Down, Up, Down, DiagNone},
		{Down, AdminDown, Down, DiagNone},
		{Init, Down, Init, DiagNone},
		{Init, Init, Up, DiagNone},
		{Init, Up, Up, DiagNone},
		{Init, AdminDown, Down, DiagNeighborDown},
		{Up, Down, Down, DiagNeighborDown},
		{Up, Init, Up, DiagNone},
		{Up, Up, Up, DiagNone},
		{Up, AdminDown, Down, DiagNeighborDown},
		{AdminDown, Up, AdminDown, DiagAdminDown},
	}
	for _, tt := range tests {
		s := NewSession(Defaults, 1, t0)
		s.State = tt.local
		if tt.local == AdminDown {
			s.Diag = DiagAdminDown
		}
		your := uint32(1)
		p := Packet{Version: 1, State: tt.remote, DetectMult: 3, MyDiscr: 2, YourDiscr: your, DesiredMinTx: 1000000, RequiredMinRx: 1000000}
		s.Receive(p, t0)
		if s.State != tt.want || s.Diag != tt.diag {
			t.Errorf("%v + rx %v: %v diag %v, want %v diag %v", tt.local, tt.remote, s.State, s.Diag, tt.want, tt.diag)
		}
	}
}

func TestWrongDiscriminator(t *testing.T) {
	s := NewSession(Defaults, 1, t0)
	if d := s.Receive(Packet{Version: 1, State: Init, DetectMult: 3, MyDiscr: 2, YourDiscr: 5}, t0); d != DropDiscr {
		t.Fatal(d)
	}
	if s.State != Down || s.RemoteDiscr != 0 {
		t.Fatal("state changed")
	}
}

func TestIdleTxUntilUp(t *testing.T) {
	s := NewSession(Defaults, 1, t0)
	if p := s.Packet(); p.DesiredMinTx != 1000000 || p.RequiredMinRx != 10000 || p.State != Down || p.Poll {
		t.Fatalf("down packet %+v", p)
	}
	s.Receive(Packet{Version: 1, State: Init, DetectMult: 3, MyDiscr: 2, YourDiscr: 1, DesiredMinTx: 10000, RequiredMinRx: 10000}, t0)
	p := s.Packet()
	if s.State != Up || p.DesiredMinTx != 10000 || !p.Poll {
		t.Fatalf("up packet %+v", p)
	}
	// Tx decreased: used at once.
	if s.TxInterval() != 10*time.Millisecond {
		t.Fatal(s.TxInterval())
	}
	s.Sent(t0)
	s.Receive(Packet{Version: 1, State: Up, Final: true, DetectMult: 3, MyDiscr: 2, YourDiscr: 1, DesiredMinTx: 10000, RequiredMinRx: 10000}, t0)
	if s.Packet().Poll {
		t.Fatal("poll after final")
	}
}

func TestPollFinalOnReconfigure(t *testing.T) {
	c := Config{MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 3}
	l := newLink(c, c)
	l.run(t0.Add(time.Second))
	a := l.s[0]
	slower := c
	slower.MinTx = 200 * time.Millisecond
	slower.MinRx = 5 * time.Millisecond
	a.Reconfigure(slower, l.now)
	if !a.Packet().Poll {
		t.Fatal("no poll")
	}
	// Until the Final: old tx (10ms, the increase waits) and old rx for
	// detection (10ms, the decrease waits).
	if a.txInUse != 10*time.Millisecond || a.rxInUse != 10*time.Millisecond {
		t.Fatalf("in use tx %v rx %v", a.txInUse, a.rxInUse)
	}
	l.log = nil
	l.run(l.now.Add(time.Second))
	if a.polling || a.txInUse != 200*time.Millisecond || a.rxInUse != 5*time.Millisecond {
		t.Fatalf("after final polling=%v tx %v rx %v", a.polling, a.txInUse, a.rxInUse)
	}
	sawFinal := false
	for _, p := range l.log {
		if p.MyDiscr == l.s[1].LocalDiscr && p.Final {
			sawFinal = true
		}
	}
	if !sawFinal || l.s[0].State != Up || l.s[1].State != Up {
		t.Fatalf("final %v states %v %v", sawFinal, l.s[0].State, l.s[1].State)
	}
	// B now detects with 3 x max(10ms, 200ms).
	if got := l.s[1].DetectTime(); got != 600*time.Millisecond {
		t.Fatal(got)
	}
}

func TestPassive(t *testing.T) {
	p := Defaults
	p.Passive = true
	l := newLink(p, p)
	l.run(t0.Add(5 * time.Second))
	if l.sent[0]+l.sent[1] != 0 {
		t.Fatalf("two passive sessions sent %v", l.sent)
	}
	l = newLink(p, Defaults)
	l.run(t0.Add(5 * time.Second))
	if l.s[0].State != Up || l.s[1].State != Up {
		t.Fatalf("passive+active %v %v", l.s[0].State, l.s[1].State)
	}
}

func TestAdminDown(t *testing.T) {
	l := newLink(Defaults, Defaults)
	l.run(t0.Add(time.Second))
	l.s[0].SetAdminDown(true, l.now)
	l.run(l.now.Add(time.Second))
	if l.s[0].State != AdminDown || l.s[1].State != Down || l.s[1].Diag != DiagNeighborDown {
		t.Fatalf("%v %v %v", l.s[0].State, l.s[1].State, l.s[1].Diag)
	}
	l.s[0].SetAdminDown(false, l.now)
	l.run(l.now.Add(3 * time.Second))
	if l.s[0].State != Up || l.s[1].State != Up {
		t.Fatalf("%v %v", l.s[0].State, l.s[1].State)
	}
}

func TestJitter(t *testing.T) {
	s := NewSession(Defaults, 99, t0)
	for range 1000 {
		s.Sent(t0)
		d := s.nextTx.Sub(t0)
		if d < 750*time.Millisecond || d >= time.Second {
			t.Fatalf("interval %v", d)
		}
	}
	one := Defaults
	one.Multiplier = 1
	s = NewSession(one, 99, t0)
	for range 1000 {
		s.Sent(t0)
		if d := s.nextTx.Sub(t0); d < 750*time.Millisecond || d >= 900*time.Millisecond {
			t.Fatalf("mult 1 interval %v", d)
		}
	}
}
