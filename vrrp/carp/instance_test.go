package carp

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// hub is a fake Ethernet segment: every frame written by one port is
// delivered to the others (unless the port is cut).
type hub struct {
	mu    sync.Mutex
	ports []*port
}

type port struct {
	h      *hub
	in     chan []byte
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex
	cut    bool // frames from this port are lost (a killed node)
	frames [][]byte
}

func (h *hub) port() *port {
	p := &port{h: h, in: make(chan []byte, 64), closed: make(chan struct{})}
	h.mu.Lock()
	h.ports = append(h.ports, p)
	h.mu.Unlock()
	return p
}

func (p *port) ReadFrame(b []byte) (int, error) {
	select {
	case f := <-p.in:
		return copy(b, f), nil
	case <-p.closed:
		return 0, errors.New("closed")
	}
}

func (p *port) WriteFrame(b []byte) error {
	f := append([]byte(nil), b...)
	p.mu.Lock()
	cut := p.cut
	p.frames = append(p.frames, f)
	p.mu.Unlock()
	if cut {
		return nil
	}
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	for _, q := range p.h.ports {
		if q != p {
			select {
			case q.in <- f:
			default:
			}
		}
	}
	return nil
}

func (p *port) Close() error { p.once.Do(func() { close(p.closed) }); return nil }

func (p *port) setCut(v bool) { p.mu.Lock(); p.cut = v; p.mu.Unlock() }

// node is one running instance with the times of its transitions.
type node struct {
	inst   *Instance
	port   *port
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	events []string
	master time.Time
}

func (n *node) add(e string) { n.mu.Lock(); n.events = append(n.events, e); n.mu.Unlock() }

func startNode(t *testing.T, h *hub, cfg Config) *node {
	t.Helper()
	return startNodeWith(t, h, cfg, nil)
}

// startNodeWith is startNode with opts changed by with (nil: unchanged).
func startNodeWith(t *testing.T, h *hub, cfg Config, with func(*Options)) *node {
	t.Helper()
	n := &node{port: h.port(), done: make(chan struct{})}
	if cfg.Pass == "" {
		cfg.Pass = "s3cr3t"
	}
	cfg.VHID, cfg.VIP = 10, vip
	if cfg.AdvBase == 0 {
		cfg.AdvBase = 1
	}
	cfg.MAC = net.HardwareAddr{2, 0x99, 0, 0, 0, cfg.Src.As4()[3]}
	opts := Options{
		Up:    func(context.Context) { n.add("up") },
		Down:  func(context.Context) { n.add("down") },
		Leave: func(_ context.Context, m bool) { n.add("leave") },
		OnTransition: func(_, to State) {
			n.add("to " + to.String())
			if to == Master {
				n.mu.Lock()
				n.master = time.Now()
				n.mu.Unlock()
			}
		},
	}
	if with != nil {
		with(&opts)
	}
	inst, err := New(cfg, n.port, opts)
	if err != nil {
		t.Fatal(err)
	}
	n.inst = inst
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { defer close(n.done); inst.Run(ctx) }()
	return n
}

func (n *node) stop() { n.cancel(); <-n.done }

func TestInstancePairFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		start := time.Now()
		a := startNode(t, h, Config{Name: "a", Src: n1, AdvSkew: 0})
		time.Sleep(500 * time.Millisecond)
		b := startNode(t, h, Config{Name: "b", Src: n2, AdvSkew: 100})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if a.inst.State() != Master || b.inst.State() != Backup {
			t.Fatalf("a %v b %v", a.inst.State(), b.inst.State())
		}
		if got := a.master.Sub(start); got != 3*time.Second {
			t.Errorf("a became master after %v, want 3s", got)
		}
		if s := b.inst.Stats(); s.Received < 7 || s.Drops[DropBadAuth] != 0 {
			t.Errorf("b stats %+v", s)
		}
		// Kill a (its frames are lost): b takes over exactly
		// 3 x advbase + advskew/256 after a's last advert.
		a.port.setCut(true)
		cut := time.Now()
		// a advertises every second from its takeover at start+3s.
		last := start.Add(3*time.Second + cut.Sub(start.Add(3*time.Second)).Truncate(time.Second))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if b.inst.State() != Master {
			t.Fatalf("b did not take over: %v", b.inst.State())
		}
		want := 3*time.Second + 390625*time.Microsecond
		if got := b.master.Sub(last); got != want {
			t.Errorf("b took over %v after a's last advert, want %v", got, want)
		}
		a.stop()
		b.stop()
		if got := b.events; len(got) != 6 || got[0] != "down" || got[1] != "to BACKUP" || got[2] != "up" || got[3] != "to MASTER" || got[4] != "to INIT" || got[5] != "leave" {
			t.Errorf("b events %v", got)
		}
	})
}

func TestInstanceGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startNode(t, h, Config{Name: "a", Src: n1})
		time.Sleep(3500 * time.Millisecond)
		b := startNode(t, h, Config{Name: "b", Src: n2, AdvSkew: 100})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		stopped := time.Now()
		a.stop()
		synctest.Wait()
		// The leaving advert (255/255) makes the backup master at once.
		if b.inst.State() != Master || !b.master.Equal(stopped) {
			t.Fatalf("b %v at %v, a stopped at %v", b.inst.State(), b.master, stopped)
		}
		b.stop()
	})
}

func TestInstanceWrongPassword(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startNode(t, h, Config{Name: "a", Src: n1})
		b := startNode(t, h, Config{Name: "b", Src: n2, Pass: "wrong"})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// Neither accepts the other: both masters, drops counted.
		if a.inst.State() != Master || b.inst.State() != Master {
			t.Fatalf("a %v b %v", a.inst.State(), b.inst.State())
		}
		if s := b.inst.Stats(); s.Drops[DropBadAuth] == 0 || s.Received != 0 {
			t.Errorf("b stats %+v", s)
		}
		a.stop()
		b.stop()
	})
}
