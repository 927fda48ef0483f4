package carp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/vrrp/internal/ratelimit"
)

// Conn sends and receives whole Ethernet frames on the virtual host's
// interface. Run calls WriteFrame from its own goroutine and ReadFrame
// from a reader goroutine; Close must make a blocked ReadFrame return.
type Conn interface {
	ReadFrame(b []byte) (int, error)
	WriteFrame(b []byte) error
	Close() error
}

// Config is one virtual host (one ucarp process).
type Config struct {
	Name    string
	VHID    uint8
	AdvBase uint8
	AdvSkew uint8
	// DeadRatio 0 means DefaultDeadRatio.
	DeadRatio     uint
	Pass          string
	Src           netip.Addr // --srcip
	VIP           netip.Addr // --addr: covered by the HMAC, announced by GARP
	Group         netip.Addr // --mcastip; invalid: Group (224.0.0.18)
	NoMcast       bool       // --nomcast: adverts to Ethernet broadcast
	Preempt       bool
	Neutral       bool
	IgnoreIfState bool
	// MAC is the interface's own address, the sender of gratuitous ARPs.
	MAC net.HardwareAddr
}

// Options are the instance's effects. Up, Down and Leave run on the Run
// goroutine and must not block for long (run scripts asynchronously).
type Options struct {
	// Up runs on becoming MASTER: install the address, run the up script.
	Up func(ctx context.Context)
	// Down runs on becoming BACKUP (also at start unless Neutral): remove
	// the address, run the down script.
	Down func(ctx context.Context)
	// Leave runs once when Run stops; wasMaster tells whether we were
	// MASTER (remove the address; the down script runs with --shutdown).
	Leave func(ctx context.Context, wasMaster bool)
	// Link reports whether the interface is running; polled every second
	// unless IgnoreIfState. Nil: always running.
	Link func() bool
	// OnTransition is called after every state change.
	OnTransition func(from, to State)
	Log          *slog.Logger

	// Inherit, MASTER or BACKUP, is the state a predecessor process handed
	// over (an upgrade in place): Run starts in it quietly (Machine.Resume)
	// and continues the advert counter from InheritCounter. INIT: a normal
	// start.
	Inherit        State
	InheritCounter uint64
}

// Stats are an instance's counters.
type Stats struct {
	State       State
	Sent        uint64
	Received    uint64 // accepted adverts
	Transitions uint64
	// LastTransition is when the state last changed (zero: never).
	LastTransition time.Time
	Drops          [NumDropReasons]uint64
	SendErrors     uint64
	// Counter is the advert counter last sent or adopted (ucarp's
	// replay counter), which a successor continues from.
	Counter uint64
}

// Instance runs one virtual host.
type Instance struct {
	cfg  Config
	conn Conn
	opts Options
	log  *slog.Logger

	// Owned by the Run goroutine.
	m       *Machine
	key     *Key
	counter uint64
	adv     Advert
	buf     [FrameLen]byte
	garp    [GARPLen]byte
	garpN   int

	mu          sync.Mutex // guards state and the counters up to drops
	state       State
	sent        uint64
	received    uint64
	transitions uint64
	lastTrans   time.Time
	sendErrors  uint64
	lastCounter uint64                        // a copy of counter for Stats
	drops       [NumDropReasons]atomic.Uint64 // written by the reader goroutine

	// abandon makes Run return without leaving (Abandon).
	abandon atomic.Bool

	dropLimits [NumDropReasons]ratelimit.Limit // reader goroutine only
	sendLimit  ratelimit.Limit                 // Run goroutine only
}

// New checks cfg and returns an instance that will speak on conn.
func New(cfg Config, conn Conn, opts Options) (*Instance, error) {
	if cfg.VHID == 0 {
		return nil, errors.New("carp: new: vhid must be 1..255")
	}
	if cfg.AdvBase == 0 && cfg.AdvSkew == 0 {
		return nil, errors.New("carp: new: advbase and advskew are both 0")
	}
	if !cfg.Src.Is4() {
		return nil, fmt.Errorf("carp: new: source address %v is not IPv4", cfg.Src)
	}
	if !cfg.Group.IsValid() {
		cfg.Group = Group
	}
	if !cfg.Group.Is4() {
		return nil, fmt.Errorf("carp: new: multicast address %v is not IPv4", cfg.Group)
	}
	key, err := NewKey(cfg.Pass, cfg.VHID, cfg.VIP)
	if err != nil {
		return nil, err
	}
	if len(cfg.MAC) != macLen {
		return nil, fmt.Errorf("carp: new: interface MAC %v is not Ethernet", cfg.MAC)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	i := &Instance{cfg: cfg, conn: conn, opts: opts, key: key,
		log: opts.Log.With("carp_instance", cfg.Name, "vhid", cfg.VHID)}
	i.m = NewMachine(MachineConfig{AdvBase: cfg.AdvBase, AdvSkew: cfg.AdvSkew, DeadRatio: cfg.DeadRatio,
		Preempt: cfg.Preempt, Neutral: cfg.Neutral, IgnoreIfState: cfg.IgnoreIfState, Src: cfg.Src})
	i.adv = NewAdvert(cfg.VHID, cfg.AdvBase, cfg.AdvSkew, cfg.Src, cfg.Group, cfg.NoMcast)
	var c [8]byte
	_, _ = rand.Read(c[:]) // ucarp: a random start
	i.counter = binary.BigEndian.Uint64(c[:])
	if opts.Inherit == Master || opts.Inherit == Backup {
		// The state shows from the start: the status never says INIT for a
		// virtual host the segment sees unchanged.
		i.counter, i.state = opts.InheritCounter, opts.Inherit
	}
	i.lastCounter = i.counter
	n, err := MarshalGARP(i.garp[:], cfg.MAC, cfg.VIP)
	if err != nil {
		return nil, err
	}
	i.garpN = n
	return i, nil
}

// State returns the current state.
func (i *Instance) State() State {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.state
}

// Stats returns a snapshot of the counters.
func (i *Instance) Stats() Stats {
	i.mu.Lock()
	s := Stats{State: i.state, Sent: i.sent, Received: i.received, Transitions: i.transitions,
		LastTransition: i.lastTrans, SendErrors: i.sendErrors, Counter: i.lastCounter}
	i.mu.Unlock()
	for r := range s.Drops {
		s.Drops[r] = i.drops[r].Load()
	}
	return s
}

// Abandon makes Run, once its context is done, return without leaving:
// no last advert, no Leave (the address stays), for a successor process
// that takes the virtual host over (Options.Inherit).
func (i *Instance) Abandon() { i.abandon.Store(true) }

// received is one accepted advertisement, from the reader to Run.
type received struct {
	peer    Peer
	counter uint64
}

// Run runs the virtual host until ctx is done, then leaves: as MASTER it
// sends a last advertisement with advbase and advskew 255 (CARP's "no more
// adverts": ucarp backups take over at once) and calls Leave. Run closes
// the Conn when it returns.
func (i *Instance) Run(ctx context.Context) error {
	rx := make(chan received, 16)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); readErr <- i.read(rx, done) }()
	defer func() { close(done); i.conn.Close(); wg.Wait() }()

	if st := i.opts.Inherit; st == Master || st == Backup {
		i.resume(time.Now(), st)
	} else {
		i.apply(ctx, time.Now(), i.m.Start(time.Now()))
	}
	var link <-chan time.Time
	if i.opts.Link != nil && !i.cfg.IgnoreIfState {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		link = t.C
		i.apply(ctx, time.Now(), i.m.Link(time.Now(), i.opts.Link()))
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if next := i.m.Next(); next.IsZero() {
			timer.Reset(time.Hour)
		} else {
			timer.Reset(time.Until(next))
		}
		select {
		case <-ctx.Done():
			if i.abandon.Load() {
				return nil
			}
			i.leave()
			return nil
		case err := <-readErr:
			i.leave()
			return fmt.Errorf("carp: %s: receive: %w", i.cfg.Name, err)
		case r := <-rx:
			// ucarp adopts the counter of every advert it accepts.
			i.counter = r.counter
			now := time.Now()
			i.mu.Lock()
			i.received++
			i.lastCounter = i.counter
			i.mu.Unlock()
			i.apply(ctx, now, i.m.Receive(now, r.peer))
		case <-timer.C:
			now := time.Now()
			i.apply(ctx, now, i.m.Advance(now))
		case <-link:
			now := time.Now()
			i.apply(ctx, now, i.m.Link(now, i.opts.Link()))
		}
	}
}

// resume starts in st quietly: the Machine asks for no up or down, only
// the MASTER's advert; no transition is recorded (New set the state:
// nothing changed on the segment).
func (i *Instance) resume(now time.Time, st State) {
	act := i.m.Resume(now, st)
	act.Up, act.Down, act.GARP = false, false, false
	if act.Advert {
		i.send(i.cfg.AdvBase, i.cfg.AdvSkew)
	}
	i.log.Info("carp state taken over", "state", st.String())
}

// leave is the graceful stop.
func (i *Instance) leave() {
	ctx := context.Background()
	prev := i.m.State()
	wasMaster := i.m.Stop()
	if wasMaster {
		i.send(255, 255)
	}
	i.setState(prev, Init)
	if i.opts.Leave != nil {
		i.opts.Leave(ctx, wasMaster)
	}
}

// apply performs a Machine's actions.
func (i *Instance) apply(ctx context.Context, now time.Time, act Actions) {
	if act.Down && i.opts.Down != nil {
		i.opts.Down(ctx)
	}
	if act.Advert {
		i.send(i.cfg.AdvBase, i.cfg.AdvSkew)
	}
	if act.Up && i.opts.Up != nil {
		i.opts.Up(ctx)
	}
	if act.GARP {
		if err := i.conn.WriteFrame(i.garp[:i.garpN]); err != nil {
			i.sendFailed(now, "gratuitous ARP", err)
		}
	}
	if act.Changed() {
		var from State
		i.mu.Lock()
		from = i.state
		i.mu.Unlock()
		i.setState(from, act.To)
	}
}

func (i *Instance) setState(from, to State) {
	if from == to {
		return
	}
	i.mu.Lock()
	i.state = to
	i.transitions++
	i.lastTrans = time.Now()
	i.mu.Unlock()
	i.log.Info("carp transition", "from", from.String(), "to", to.String())
	if i.opts.OnTransition != nil {
		i.opts.OnTransition(from, to)
	}
}

// send sends one advertisement with the given timing fields.
func (i *Instance) send(advbase, advskew uint8) {
	if i.counter == ^uint64(0) {
		i.counter = 0
	} else {
		i.counter++
	}
	i.adv.AdvBase, i.adv.AdvSkew = advbase, advskew
	i.adv.ID = uint16(mrand.Uint32())
	i.adv.Counter = i.counter
	i.key.Sign(&i.adv)
	n, _ := i.adv.MarshalFrame(i.buf[:])
	if err := i.conn.WriteFrame(i.buf[:n]); err != nil {
		i.sendFailed(time.Now(), "advertisement", err)
		return
	}
	i.mu.Lock()
	i.sent++
	i.lastCounter = i.counter
	i.mu.Unlock()
}

func (i *Instance) sendFailed(now time.Time, what string, err error) {
	i.mu.Lock()
	i.sendErrors++
	i.mu.Unlock()
	if ok, sup := i.sendLimit.Allow(now, 10*time.Second); ok {
		i.log.Warn("carp send failed", "what", what, "err", err, "suppressed", sup)
	}
}

// read is the reader goroutine: decode, check, count, hand over.
func (i *Instance) read(rx chan<- received, done <-chan struct{}) error {
	key, err := NewKey(i.cfg.Pass, i.cfg.VHID, i.cfg.VIP)
	if err != nil {
		return err
	}
	f := Filter{VHID: i.cfg.VHID, Src: i.cfg.Src, Group: i.cfg.Group, Key: key}
	buf := make([]byte, 2048)
	var a Advert
	for {
		n, err := i.conn.ReadFrame(buf)
		if err != nil {
			return err
		}
		r := DecodeFrame(buf[:n], &a)
		if r == DropNone {
			r = f.Check(&a)
		}
		if r != DropNone {
			i.drops[r].Add(1)
			if r != DropLoopedBack && r != DropNotCARP {
				if ok, sup := i.dropLimits[r].Allow(time.Now(), 10*time.Second); ok {
					i.log.Warn("carp advertisement dropped", "reason", r.String(), "src", a.Src, "suppressed", sup)
				}
			}
			continue
		}
		select {
		case rx <- received{peer: Peer{AdvBase: a.AdvBase, AdvSkew: a.AdvSkew, Src: a.Src}, counter: a.Counter}:
		case <-done:
			return nil
		}
	}
}
