package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/healthcheck/bfd"
	"github.com/lvsd/lvsd/vrrp/track"
)

// bfdPart is `lvsd run`'s BFD sessions ([[bfd_instance]]): one bfd.Manager
// over UDP port 3784. Each session change goes to the health checks
// (bfd_check, through states) and to the VRRP trackers (track_bfd, through
// the tracking set attached last). A reload keeps the sessions whose
// neighbor, source and ttl did not change.
type bfdPart struct {
	d      *daemon
	states *healthcheck.BFDStates

	mu     sync.Mutex // guards the fields below
	m      *bfd.Manager
	conn   bfd.Conn
	set    *track.Set // the VRRP tracking set fed (nil: none)
	up     map[string]bfd.Event
	cancel context.CancelFunc
	done   chan struct{}
	// bgpNbrs: the [[bgp.neighbor]] addresses whose bfd names each
	// session; bgpOps runs their tear-downs and set-ups in order.
	bgpNbrs map[string][]netip.Addr
	bgpOps  chan func()
}

// listenBFD opens the kernel sockets (a variable: tests fake it).
var listenBFD = func() (bfd.Conn, error) { return bfd.ListenUDP(bfd.Port) }

func newBFDPart(d *daemon) *bfdPart {
	return &bfdPart{d: d, states: healthcheck.NewBFDStates(), up: map[string]bfd.Event{}}
}

// peers is the sessions of cfg.
func bfdPeers(cfg *config.Config) []bfd.Peer {
	var out []bfd.Peer
	for _, b := range cfg.BFDInstances {
		out = append(out, bfd.Peer{Name: b.Name, Neighbor: b.NeighborIP, Source: b.SourceIP,
			Config: bfd.Config{MinRx: b.MinRx, MinTx: b.MinTx, IdleTx: b.IdleTx, Multiplier: uint8(b.Multiplier), Passive: b.Passive},
			TTL:    b.TTL, MaxHops: b.MaxHops})
	}
	return out
}

func (p *bfdPart) start(ctx context.Context) error {
	if len(p.d.cfg.BFDInstances) == 0 {
		return nil
	}
	return p.run(p.d.cfg)
}

// setBGP records which BGP neighbors follow which session.
func (p *bfdPart) setBGP(cfg *config.Config) {
	m := map[string][]netip.Addr{}
	if cfg.BGP != nil {
		for _, n := range cfg.BGP.Neighbors {
			if n.BFD != "" {
				m[n.BFD] = append(m[n.BFD], n.Address)
			}
		}
	}
	p.mu.Lock()
	p.bgpNbrs = m
	p.mu.Unlock()
}

func (p *bfdPart) run(cfg *config.Config) error {
	p.setBGP(cfg)
	conn, err := listenBFD()
	if err != nil {
		return fmt.Errorf("bfd: %w", err)
	}
	log := p.d.log.With("part", "bfd")
	m := bfd.NewManager(conn, p.event, log)
	if err := m.Set(bfdPeers(cfg)); err != nil {
		conn.Close()
		return fmt.Errorf("bfd: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	ops := make(chan func(), 256)
	p.mu.Lock()
	p.bgpOps = ops // before the first event
	p.mu.Unlock()
	go func() {
		for op := range ops {
			op()
		}
	}()
	go func() {
		defer close(done)
		defer close(ops) // after the last event
		if err := m.Run(runCtx); err != nil {
			log.Error("bfd stopped", "err", err)
			p.d.failed(err)
		}
	}()
	p.mu.Lock()
	p.m, p.conn, p.cancel, p.done = m, conn, cancel, done
	p.mu.Unlock()
	log.Info("bfd sessions running", "sessions", len(cfg.BFDInstances))
	return nil
}

// event forwards a session change to bfd_check and track_bfd.
func (p *bfdPart) event(e bfd.Event) {
	up := e.State == bfd.Up
	detail := e.State.String() + " " + e.Diag.String()
	p.states.Set(e.Name, up, detail)
	p.mu.Lock()
	prev := p.up[e.Name]
	p.up[e.Name] = e
	set := p.set
	nbrs := p.bgpNbrs[e.Name]
	ops := p.bgpOps
	p.mu.Unlock()
	// A BGP neighbor with bfd: torn down when the session leaves Up, set
	// up again when it is back Up.
	if len(nbrs) > 0 && (up || prev.State == bfd.Up) {
		select {
		case ops <- func() { p.bgpNeighbors(nbrs, !up) }:
		default:
			p.d.log.Error("bfd: BGP neighbor queue full, change dropped", "session", e.Name)
		}
	}
	if set != nil {
		if t := set.BFD(e.Name); t != nil {
			t.SetUp(up, detail)
		}
	}
}

func (p *bfdPart) bgpNeighbors(addrs []netip.Addr, down bool) {
	b := p.d.bgp
	if b == nil {
		return
	}
	b.mu.Lock()
	ann := b.ann
	b.mu.Unlock()
	if ann == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range addrs {
		if err := ann.SetNeighborDown(ctx, a, down); err != nil {
			p.d.log.Error("bfd: BGP neighbor", "neighbor", a, "err", err)
		}
	}
}

// attach makes set the VRRP tracking set fed from now on, seeded with
// every session's current state.
func (p *bfdPart) attach(set *track.Set) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.set = set
	cur := make([]bfd.Event, 0, len(p.up))
	for _, e := range p.up {
		cur = append(cur, e)
	}
	p.mu.Unlock()
	for _, e := range cur {
		if t := set.BFD(e.Name); t != nil {
			t.SetUp(e.State == bfd.Up, e.State.String()+" "+e.Diag.String())
		}
	}
}

func (p *bfdPart) stop(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done, p.m = nil, nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bfd: %w", ctx.Err())
	}
}

// reload applies a new configuration's sessions: unchanged ones stay Up
// (timer changes go through a Poll sequence), removed ones close.
func (p *bfdPart) reload(cfg *config.Config) error {
	p.setBGP(cfg)
	p.mu.Lock()
	m := p.m
	p.mu.Unlock()
	switch {
	case m != nil:
		err := m.Set(bfdPeers(cfg))
		p.mu.Lock()
		keep := map[string]bool{}
		for _, b := range cfg.BFDInstances {
			keep[b.Name] = true
		}
		for name := range p.up {
			if !keep[name] {
				delete(p.up, name)
			}
		}
		p.mu.Unlock()
		if err != nil {
			return fmt.Errorf("bfd: %w", err)
		}
	case len(cfg.BFDInstances) > 0:
		return p.run(cfg)
	}
	return nil
}

// checkStates is what bfd_check reads (nil without a BFD part).
func (p *bfdPart) checkStates() *healthcheck.BFDStates {
	if p == nil {
		return nil
	}
	return p.states
}

// sessions is the status snapshot, sorted by name (nil: no BFD).
func (p *bfdPart) sessions() ([]bfd.Status, [bfd.NumDrops]uint64) {
	if p == nil {
		return nil, [bfd.NumDrops]uint64{}
	}
	p.mu.Lock()
	m := p.m
	p.mu.Unlock()
	if m == nil {
		return nil, [bfd.NumDrops]uint64{}
	}
	ss := m.Sessions()
	sort.Slice(ss, func(i, j int) bool { return ss[i].Name < ss[j].Name })
	return ss, m.Drops()
}

// status is the sessions and drops for lvsd status and /metrics.
func (p *bfdPart) status() ([]control.BFDSession, map[string]uint64) {
	ss, drops := p.sessions()
	if ss == nil {
		return nil, nil
	}
	out := make([]control.BFDSession, 0, len(ss))
	for _, s := range ss {
		out = append(out, control.BFDSession{Name: s.Name, Neighbor: s.Neighbor.String(), State: s.State.String(),
			RemoteState: s.RemoteState.String(), Diag: s.Diag.String(), LocalDiscr: s.LocalDiscr, RemoteDiscr: s.RemoteDiscr,
			TxIntervalMS: float64(s.TxInterval.Microseconds()) / 1000, DetectMS: float64(s.DetectTime.Microseconds()) / 1000,
			Sent: s.Sent, Received: s.Recv, Changes: s.Changes})
	}
	var dm map[string]uint64
	for r, n := range drops {
		if n == 0 {
			continue
		}
		if dm == nil {
			dm = map[string]uint64{}
		}
		dm[bfd.Drop(r).String()] = n
	}
	return out, dm
}
