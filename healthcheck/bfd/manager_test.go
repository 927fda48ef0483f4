package bfd

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type recorder struct {
	mu sync.Mutex
	ev []Event
}

func (r *recorder) add(e Event) { r.mu.Lock(); r.ev = append(r.ev, e); r.mu.Unlock() }
func (r *recorder) last() (Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ev) == 0 {
		return Event{}, 0
	}
	return r.ev[len(r.ev)-1], len(r.ev)
}

func peer(name, nbr string, c Config) Peer {
	return Peer{Name: name, Neighbor: netip.MustParseAddr(nbr), Config: c, TTL: 255}
}

var fast = Config{MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 5}

func TestManagerPair(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		var ra, rb recorder
		a := NewManager(h.conn("192.0.2.1"), ra.add, nil)
		b := NewManager(h.conn("192.0.2.2"), rb.add, nil)
		if err := a.Set([]Peer{peer("to-b", "192.0.2.2", fast)}); err != nil {
			t.Fatal(err)
		}
		if err := b.Set([]Peer{peer("to-a", "192.0.2.1", fast)}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for _, m := range []*Manager{a, b} {
			wg.Go(func() { m.Run(ctx) })
		}
		start := time.Now()
		time.Sleep(50 * time.Millisecond)
		if st, _ := a.State("to-b"); st != Up {
			t.Fatalf("a %v after 50ms", st)
		}
		if e, _ := ra.last(); e.State != Up || e.At.Sub(start) > time.Millisecond {
			t.Fatalf("a event %+v at %v", e, e.At.Sub(start))
		}
		// Steady state: packets every 7.5-10ms each way.
		s0 := a.Sessions()[0]
		time.Sleep(time.Second)
		s1 := a.Sessions()[0]
		if n := s1.Sent - s0.Sent; n < 100 || n > 134 {
			t.Errorf("a sent %d in 1s", n)
		}
		if s1.DetectTime != 50*time.Millisecond || s1.TxInterval != 10*time.Millisecond {
			t.Errorf("detect %v tx %v", s1.DetectTime, s1.TxInterval)
		}
		// b's packets lost: a goes Down after the detection time.
		h.setCut("192.0.2.2", "192.0.2.1", true)
		cutAt := time.Now()
		time.Sleep(200 * time.Millisecond)
		e, _ := ra.last()
		if e.State != Down || e.Diag != DiagExpired {
			t.Fatalf("a after cut %+v", e)
		}
		if d := e.At.Sub(cutAt); d < 40*time.Millisecond || d > 50*time.Millisecond {
			t.Errorf("detected after %v, want 40-50ms (5 x 10ms from the last packet)", d)
		}
		eb, _ := rb.last()
		if eb.State != Down || eb.Diag != DiagNeighborDown {
			t.Errorf("b after cut %+v", eb)
		}
		// restored: Up again within two idle_tx.
		h.setCut("192.0.2.2", "192.0.2.1", false)
		time.Sleep(2 * time.Second)
		if st, _ := a.State("to-b"); st != Up {
			t.Fatalf("a %v after restore", st)
		}
		cancel()
		wg.Wait()
	})
}

func TestManagerDrops(t *testing.T) {
	h := newHub()
	m := NewManager(h.conn("192.0.2.1"), nil, nil)
	p := peer("x", "192.0.2.2", fast)
	p.MaxHops = 0
	if err := m.Set([]Peer{p}); err != nil {
		t.Fatal(err)
	}
	pkt := Packet{Version: 1, State: Down, DetectMult: 3, MyDiscr: 5, DesiredMinTx: 1000000, RequiredMinRx: 10000}
	b := pkt.Append(nil)
	src := netip.MustParseAddrPort("192.0.2.2:49200")
	other := netip.MustParseAddrPort("192.0.2.9:49200")
	now := time.Now()
	cases := []struct {
		b    []byte
		meta Meta
		want Drop
	}{
		{b, Meta{Src: src, TTL: 254}, DropTTL},
		{b, Meta{Src: other, TTL: 255}, DropNoSession},
		{b[:20], Meta{Src: src, TTL: 255}, DropShort},
		{Packet{Version: 1, State: Init, DetectMult: 3, MyDiscr: 5, YourDiscr: 77}.Append(nil), Meta{Src: src, TTL: 255}, DropDiscr},
		{b, Meta{Src: src, TTL: 255}, DropNone},
		{b, Meta{Src: src}, DropNone}, // TTL unknown: not checked
	}
	for i, c := range cases {
		if got := m.Input(c.b, c.meta, now); got != c.want {
			t.Errorf("%d: %v, want %v", i, got, c.want)
		}
	}
	d := m.Drops()
	if d[DropTTL] != 1 || d[DropNoSession] != 1 || d[DropShort] != 1 || d[DropDiscr] != 1 {
		t.Errorf("drops %v", d)
	}
	// max_hops 1 accepts 254, -1 accepts anything.
	p.MaxHops = 1
	m.Set([]Peer{p})
	if got := m.Input(b, Meta{Src: src, TTL: 254}, now); got != DropNone {
		t.Error(got)
	}
	p.MaxHops = -1
	m.Set([]Peer{p})
	if got := m.Input(b, Meta{Src: src, TTL: 1}, now); got != DropNone {
		t.Error(got)
	}
}

func TestManagerReloadKeepsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		var ra recorder
		a := NewManager(h.conn("192.0.2.1"), ra.add, nil)
		b := NewManager(h.conn("192.0.2.2"), nil, nil)
		a.Set([]Peer{peer("to-b", "192.0.2.2", fast)})
		b.Set([]Peer{peer("to-a", "192.0.2.1", fast)})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for _, m := range []*Manager{a, b} {
			wg.Go(func() { m.Run(ctx) })
		}
		time.Sleep(time.Second)
		_, n := ra.last()
		discr := a.Sessions()[0].LocalDiscr
		// Timers changed, same neighbor: kept Up, through a Poll.
		slow := fast
		slow.MinTx = 50 * time.Millisecond
		a.Set([]Peer{peer("to-b", "192.0.2.2", slow), peer("new", "192.0.2.3", fast)})
		time.Sleep(time.Second)
		if st, _ := a.State("to-b"); st != Up {
			t.Fatal(st)
		}
		if _, n2 := ra.last(); n2 != n {
			t.Fatalf("state changed on reload: %d events, had %d", n2, n)
		}
		ss := a.Sessions()
		for _, s := range ss {
			if s.Name == "to-b" && (s.LocalDiscr != discr || s.TxInterval != 50*time.Millisecond) {
				t.Fatalf("%+v", s)
			}
		}
		if len(ss) != 2 {
			t.Fatal(len(ss))
		}
		// Removed.
		a.Set(nil)
		if _, ok := a.State("to-b"); ok {
			t.Fatal("not removed")
		}
		cancel()
		wg.Wait()
	})
}
