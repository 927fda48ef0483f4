package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Config is what Announcer runs: the speaker's identity, the neighbors and
// the attributes of every prefix that may be announced.
type Config struct {
	Global    Global
	Neighbors []Neighbor
	Routes    []Route
}

// PrefixStatus is one prefix in Status.
type PrefixStatus struct {
	Prefix    netip.Prefix
	Announced bool
	Reason    Reason
	Detail    string
	Since     time.Time // of the last change of Announced
}

// Status is the Announcer's state for lvsd status and /metrics.
type Status struct {
	ASN       uint32
	RouterID  netip.Addr
	Neighbors []NeighborState
	Prefixes  []PrefixStatus
	// Announcements and Withdrawals count the paths sent and withdrawn
	// since start.
	Announcements, Withdrawals uint64
}

// Announcer keeps a Speaker's neighbors and paths in step with the
// configuration and the decisions.
type Announcer struct {
	sp  Speaker
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex // guards the fields below and serialises Speaker calls
	// cfg is the running configuration; routes indexes cfg.Routes.
	cfg    Config
	routes map[netip.Prefix]Route
	// announced holds the path the speaker has for each announced prefix.
	announced map[netip.Prefix]Route
	status    map[netip.Prefix]*PrefixStatus
	started   bool
	// stopping: Shutdown has begun; Apply changes nothing.
	stopping     bool
	nAnn, nWithd uint64
	// down holds the neighbors torn down by BFD (SetNeighborDown): not
	// configured in the speaker until their BFD session is back Up.
	down map[netip.Addr]bool
}

// NewAnnouncer returns an Announcer over sp; log must not be nil.
func NewAnnouncer(sp Speaker, log *slog.Logger) *Announcer {
	return &Announcer{sp: sp, log: log, now: time.Now,
		routes: map[netip.Prefix]Route{}, announced: map[netip.Prefix]Route{}, status: map[netip.Prefix]*PrefixStatus{},
		down: map[netip.Addr]bool{}}
}

// Start starts the speaker and configures the neighbors. Nothing is
// announced before the first Apply. On an error the speaker is stopped.
func (a *Announcer) Start(ctx context.Context, cfg Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.startLocked(ctx, cfg); err != nil {
		_ = a.sp.Stop(ctx)
		return err
	}
	a.setRoutesLocked(cfg.Routes)
	return nil
}

func (a *Announcer) startLocked(ctx context.Context, cfg Config) error {
	if err := a.sp.Start(ctx, cfg.Global); err != nil {
		return fmt.Errorf("bgp: start speaker: %w", err)
	}
	a.started = true
	a.cfg = cfg
	for _, n := range cfg.Neighbors {
		if a.down[n.Address] {
			continue // held down by BFD
		}
		if err := a.sp.AddNeighbor(ctx, n); err != nil {
			return fmt.Errorf("bgp: add neighbor %s: %w", n.Address, err)
		}
		a.log.Info("bgp neighbor added", "neighbor", n.Address, "peer_asn", n.PeerASN)
	}
	return nil
}

func (a *Announcer) setRoutesLocked(rs []Route) {
	a.cfg.Routes = rs
	a.routes = make(map[netip.Prefix]Route, len(rs))
	for _, r := range rs {
		a.routes[r.Prefix] = r
		if a.status[r.Prefix] == nil {
			a.status[r.Prefix] = &PrefixStatus{Prefix: r.Prefix, Reason: ReasonPending}
		}
	}
	for p := range a.status {
		if _, ok := a.routes[p]; !ok {
			delete(a.status, p)
		}
	}
}

// Apply announces and withdraws so that the speaker has exactly the
// prefixes ds announce. A failed path stays as it was and is retried by
// the next Apply; the errors are returned joined.
func (a *Announcer) Apply(ctx context.Context, ds []Decision) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopping || !a.started {
		return nil
	}
	var errs []error
	for _, d := range ds {
		r, ok := a.routes[d.Prefix]
		st := a.status[d.Prefix]
		if !ok || st == nil {
			continue
		}
		_, have := a.announced[d.Prefix]
		switch {
		case d.Announce && !have:
			if err := a.sp.AddPath(ctx, r); err != nil {
				errs = append(errs, fmt.Errorf("bgp: announce %s: %w", d.Prefix, err))
				continue
			}
			a.announced[d.Prefix] = r
			a.nAnn++
			st.Since = a.now()
			a.log.Info("bgp prefix announced", "prefix", d.Prefix, "reason", d.Reason, "detail", d.Detail)
		case !d.Announce && have:
			if err := a.sp.DeletePath(ctx, d.Prefix); err != nil {
				errs = append(errs, fmt.Errorf("bgp: withdraw %s: %w", d.Prefix, err))
				continue
			}
			delete(a.announced, d.Prefix)
			a.nWithd++
			st.Since = a.now()
			a.log.Info("bgp prefix withdrawn", "prefix", d.Prefix, "reason", d.Reason, "detail", d.Detail)
		}
		st.Announced, st.Reason, st.Detail = d.Announce, d.Reason, d.Detail
		if st.Since.IsZero() {
			st.Since = a.now()
		}
	}
	return errors.Join(errs...)
}

// Reload applies a new configuration: a new identity restarts the speaker
// (every session resets) and re-announces what was announced; otherwise
// only changed neighbors are replaced, announced prefixes whose attributes
// changed are re-sent, and prefixes no longer configured are withdrawn.
// New prefixes wait for the next Apply.
func (a *Announcer) Reload(ctx context.Context, cfg Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.started || a.stopping {
		return nil
	}
	var errs []error
	if !sameGlobal(cfg.Global, a.cfg.Global) {
		a.log.Info("bgp identity changed, restarting the speaker", "asn", cfg.Global.ASN, "router_id", cfg.Global.RouterID)
		if err := a.sp.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("bgp: stop speaker: %w", err))
		}
		a.started = false
		old := a.announced
		a.announced = map[netip.Prefix]Route{}
		if err := a.startLocked(ctx, cfg); err != nil {
			return errors.Join(append(errs, err)...)
		}
		a.setRoutesLocked(cfg.Routes)
		for p := range old {
			r, ok := a.routes[p]
			if !ok {
				a.nWithd++
				continue
			}
			if err := a.sp.AddPath(ctx, r); err != nil {
				errs = append(errs, fmt.Errorf("bgp: announce %s: %w", p, err))
				a.status[p].Announced = false
				continue
			}
			a.announced[p] = r
		}
		return errors.Join(errs...)
	}
	oldN := map[netip.Addr]Neighbor{}
	for _, n := range a.cfg.Neighbors {
		oldN[n.Address] = n
	}
	newN := map[netip.Addr]Neighbor{}
	for _, n := range cfg.Neighbors {
		newN[n.Address] = n
	}
	for addr, n := range oldN {
		if nn, ok := newN[addr]; !ok || nn != n {
			if a.down[addr] {
				if !ok {
					delete(a.down, addr)
				}
				continue // not in the speaker
			}
			if err := a.sp.DeleteNeighbor(ctx, addr); err != nil {
				errs = append(errs, fmt.Errorf("bgp: delete neighbor %s: %w", addr, err))
			} else {
				a.log.Info("bgp neighbor removed", "neighbor", addr)
			}
		}
	}
	for _, n := range cfg.Neighbors {
		if on, ok := oldN[n.Address]; ok && on == n || a.down[n.Address] {
			continue
		}
		if err := a.sp.AddNeighbor(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("bgp: add neighbor %s: %w", n.Address, err))
			continue
		}
		a.log.Info("bgp neighbor added", "neighbor", n.Address, "peer_asn", n.PeerASN)
	}
	a.cfg.Neighbors = cfg.Neighbors
	a.setRoutesLocked(cfg.Routes)
	for p, have := range a.announced {
		r, ok := a.routes[p]
		switch {
		case !ok:
			if err := a.sp.DeletePath(ctx, p); err != nil {
				errs = append(errs, fmt.Errorf("bgp: withdraw %s: %w", p, err))
				continue
			}
			delete(a.announced, p)
			a.nWithd++
			a.log.Info("bgp prefix withdrawn", "prefix", p, "reason", "removed from the configuration")
		case !sameRoute(r, have):
			if err := a.sp.AddPath(ctx, r); err != nil {
				errs = append(errs, fmt.Errorf("bgp: announce %s: %w", p, err))
				continue
			}
			a.announced[p] = r
			a.nAnn++
		}
	}
	return errors.Join(errs...)
}

// SetNeighborDown tears a configured neighbor's session down (down true:
// its BFD session went Down) or sets it up again (its BFD session is back
// Up). The announced paths are the speaker's: a neighbor set up again
// receives them.
func (a *Announcer) SetNeighborDown(ctx context.Context, addr netip.Addr, down bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n *Neighbor
	for i := range a.cfg.Neighbors {
		if a.cfg.Neighbors[i].Address == addr {
			n = &a.cfg.Neighbors[i]
		}
	}
	if n == nil || a.down[addr] == down {
		return nil
	}
	if !a.started || a.stopping {
		if down {
			a.down[addr] = true
		} else {
			delete(a.down, addr)
		}
		return nil
	}
	if down {
		if err := a.sp.DeleteNeighbor(ctx, addr); err != nil {
			return fmt.Errorf("bgp: tear down neighbor %s: %w", addr, err)
		}
		a.down[addr] = true
		a.log.Warn("bgp neighbor torn down: its BFD session is down", "neighbor", addr)
		return nil
	}
	if err := a.sp.AddNeighbor(ctx, *n); err != nil {
		return fmt.Errorf("bgp: set up neighbor %s: %w", addr, err)
	}
	delete(a.down, addr)
	a.log.Info("bgp neighbor set up again: its BFD session is up", "neighbor", addr)
	return nil
}

func sameGlobal(a, b Global) bool {
	return a.ASN == b.ASN && a.RouterID == b.RouterID && a.ListenPort == b.ListenPort && slices.Equal(a.ListenAddresses, b.ListenAddresses)
}

func sameRoute(a, b Route) bool {
	eq := func(x, y *uint32) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return a.Prefix == b.Prefix && slices.Equal(a.Communities, b.Communities) && eq(a.LocalPref, b.LocalPref) &&
		eq(a.MED, b.MED) && a.ASPathPrepend == b.ASPathPrepend
}

// Shutdown leaves gracefully (RFC 8326): every announced prefix is sent
// again with the GRACEFUL_SHUTDOWN community so that the routers move the
// flows to the other directors, then after delay withdrawn, and the
// speaker stops (sessions closed with a Cease notification); without an
// established session there is nobody to warn and no wait. Apply and
// Reload change nothing once Shutdown has begun.
func (a *Announcer) Shutdown(ctx context.Context, delay time.Duration) error {
	a.mu.Lock()
	if !a.started || a.stopping {
		a.mu.Unlock()
		return nil
	}
	a.stopping = true
	var errs []error
	gshut := 0
	for _, p := range a.sortedAnnounced() {
		r := a.announced[p]
		r.Communities = append(slices.Clone(r.Communities), GracefulShutdown)
		if err := a.sp.AddPath(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("bgp: graceful shutdown of %s: %w", p, err))
			continue
		}
		gshut++
	}
	if gshut > 0 && delay > 0 && !a.anyEstablishedLocked(ctx) {
		delay = 0 // nobody to tell: withdraw at once
	}
	a.mu.Unlock()
	if gshut > 0 && delay > 0 {
		a.log.Info("bgp graceful shutdown announced", "prefixes", gshut, "withdrawal_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.sortedAnnounced() {
		if err := a.sp.DeletePath(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("bgp: withdraw %s: %w", p, err))
		}
		delete(a.announced, p)
		a.nWithd++
		if st := a.status[p]; st != nil {
			st.Announced, st.Reason, st.Detail, st.Since = false, ReasonStopping, "lvsd stopping", a.now()
		}
		a.log.Info("bgp prefix withdrawn", "prefix", p, "reason", ReasonStopping)
	}
	if err := a.sp.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("bgp: stop speaker: %w", err))
	}
	a.started = false
	return errors.Join(errs...)
}

func (a *Announcer) anyEstablishedLocked(ctx context.Context) bool {
	ns, err := a.sp.Neighbors(ctx)
	if err != nil {
		return true // cannot tell: wait
	}
	for _, n := range ns {
		if n.State == StateEstablished {
			return true
		}
	}
	return false
}

func (a *Announcer) sortedAnnounced() []netip.Prefix {
	ps := make([]netip.Prefix, 0, len(a.announced))
	for p := range a.announced {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	return ps
}

// Status returns the sessions and prefixes, prefixes in configuration order.
func (a *Announcer) Status(ctx context.Context) Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Status{ASN: a.cfg.Global.ASN, RouterID: a.cfg.Global.RouterID, Announcements: a.nAnn, Withdrawals: a.nWithd}
	if a.started {
		ns, err := a.sp.Neighbors(ctx)
		if err != nil {
			a.log.Warn("bgp: cannot list neighbors", "err", err)
		}
		s.Neighbors = ns
	}
	for _, r := range a.cfg.Routes {
		if st := a.status[r.Prefix]; st != nil {
			s.Prefixes = append(s.Prefixes, *st)
		}
	}
	return s
}
