package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/bgp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// bgpAddrs puts the announced addresses on their interface (dev);
// *vip.Manager, a fake in tests.
type bgpAddrs interface {
	AddVIPs(ctx context.Context, addrs []vip.Address) error
	DelVIPs(ctx context.Context, addrs []vip.Address) error
	Close() error
}

var _ bgpAddrs = (*vip.Manager)(nil)

// bgpAddresses are the addresses of the [[bgp.announce]] entries with dev.
func bgpAddresses(cfg *config.Config) []vip.Address {
	var out []vip.Address
	if cfg.BGP == nil {
		return nil
	}
	for _, a := range cfg.BGP.Announces {
		if a.Dev != "" {
			out = append(out, vip.Address{Prefix: a.Prefix, Dev: a.Dev, NoDAD: true})
		}
	}
	return out
}

// bgpRetryInterval is how often a failed announcement or withdrawal is
// retried.
const bgpRetryInterval = 5 * time.Second

// bgpPart is `lvsd run`'s BGP side ([bgp]): it decides from the health
// results and the VRRP states which prefixes to announce (bgp.Decide) and
// keeps an embedded speaker in step (bgp.Announcer). It is the last step of
// the daemon, so that at stop it leaves first: graceful-shutdown community,
// withdrawal, and only then are the VIPs and IPVS services removed.
// vrrpTransition and healthUpdate never block.
type bgpPart struct {
	d   *daemon
	log *slog.Logger
	// newSpeaker makes the engine (bgp.NewGoBGP; a fake in tests).
	newSpeaker func(*slog.Logger) bgp.Speaker
	// newAddrs opens the address manager (vip.New; a fake in tests).
	newAddrs func() (bgpAddrs, error)

	mu sync.Mutex // guards the fields below
	// health holds the latest result per real server (fed whether or not
	// the IPVS part runs) while active (a [bgp] is configured: without
	// one nothing is kept, and start seeds it from the health part's
	// view); master holds whether each instance is MASTER.
	active bool
	health map[ipvs.RealKey]ipvs.Health
	master map[string]bool
	// specs and prefixes are the configuration's virtual servers and
	// [[bgp.announce]] entries; quorum is Decide's state between runs.
	specs    []ipvs.VirtualServer
	prefixes []bgp.Prefix
	quorum   ipvs.QuorumState
	// delay is graceful_shutdown_delay.
	delay time.Duration
	ann   *bgp.Announcer // nil while not running
	// addrs manages the dev addresses (nil until one is configured);
	// owned lists the addresses put in place. Only start, reload and stop
	// touch them, never at the same time.
	addrs bgpAddrs
	owned []vip.Address

	kick   chan struct{} // buffered(1): decide again
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBGPPart(d *daemon) *bgpPart {
	return &bgpPart{d: d, log: d.log.With("part", "bgp"), newSpeaker: bgp.NewGoBGP,
		newAddrs: func() (bgpAddrs, error) { return vip.New() },
		health:   map[ipvs.RealKey]ipvs.Health{}, master: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// bgpConfig converts [bgp] for the Announcer and Decide.
func bgpConfig(cfg *config.Config) (bgp.Config, []bgp.Prefix) {
	b := cfg.BGP
	port := int32(-1)
	if b.ListenPort != 0 {
		port = int32(b.ListenPort)
	}
	out := bgp.Config{Global: bgp.Global{ASN: b.ASN, RouterID: b.RouterID, ListenPort: port}}
	for _, n := range b.Neighbors {
		out.Neighbors = append(out.Neighbors, bgp.Neighbor{Address: n.Address, PeerASN: n.PeerASN, Password: n.Password,
			HoldTime: n.HoldTime, KeepaliveTime: n.KeepaliveTime, MultihopTTL: n.MultihopTTL, LocalAddress: n.LocalAddress})
	}
	var ps []bgp.Prefix
	for _, a := range b.Announces {
		out.Routes = append(out.Routes, bgp.Route{Prefix: a.Prefix, Communities: a.Communities,
			LocalPref: a.LocalPref, MED: a.MED, ASPathPrepend: a.ASPathPrepend})
		ps = append(ps, bgp.Prefix{Prefix: a.Prefix, VirtualServers: a.VirtualServers,
			RequireAll: a.Require != "any", OnlyWhenMaster: a.OnlyWhenMaster})
	}
	return out, ps
}

func (p *bgpPart) start(ctx context.Context) error {
	cfg := p.d.cfg
	if cfg.BGP == nil {
		return nil
	}
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		return err
	}
	bc, ps := bgpConfig(cfg)
	p.seedHealth()
	// the addresses first: IPVS must see the packets as soon as a router
	// has the route
	if err := p.setAddresses(ctx, bgpAddresses(cfg)); err != nil {
		_ = p.dropAddresses(ctx)
		p.deactivate()
		return err
	}
	ann := bgp.NewAnnouncer(p.newSpeaker(p.log), p.log)
	if err := ann.Start(ctx, bc); err != nil {
		_ = p.dropAddresses(ctx)
		p.deactivate()
		return err
	}
	p.mu.Lock()
	p.specs, p.prefixes, p.delay, p.ann = specs, ps, cfg.BGP.GracefulShutdownDelay, ann
	p.mu.Unlock()
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.loop(runCtx) }()
	p.kickLoop()
	p.log.Info("bgp ready", "asn", bc.Global.ASN, "router_id", bc.Global.RouterID,
		"neighbors", len(bc.Neighbors), "prefixes", len(ps))
	return nil
}

// loop decides and applies on every kick, retrying failures.
func (p *bgpPart) loop(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-retry.C:
		}
		if err := p.apply(ctx); err != nil {
			p.log.Warn("bgp apply failed, retrying", "in", bgpRetryInterval, "err", err)
			retry.Reset(bgpRetryInterval)
		}
	}
}

func (p *bgpPart) apply(ctx context.Context) error {
	p.mu.Lock()
	// Decide runs under p.mu: it may read p.master directly.
	ds, next := bgp.Decide(p.prefixes, p.specs, p.health, func(in string) bool { return p.master[in] }, p.quorum)
	p.quorum = next
	ann := p.ann
	p.mu.Unlock()
	if ann == nil {
		return nil
	}
	return ann.Apply(ctx, ds)
}

func (p *bgpPart) kickLoop() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// vrrpTransition records an instance's state (only_when_master).
func (p *bgpPart) vrrpTransition(tr vrrp.Transition) {
	master := tr.To == vrrp.StateMaster
	p.mu.Lock()
	changed := p.master[tr.Instance] != master
	p.master[tr.Instance] = master
	p.mu.Unlock()
	if changed {
		p.kickLoop()
	}
}

// wrapTransition chains vrrpTransition after an instance's own hook (p may
// be nil: a daemon built without the part, in tests).
func (p *bgpPart) wrapTransition(next func(vrrp.Transition)) func(vrrp.Transition) {
	if p == nil {
		return next
	}
	return func(tr vrrp.Transition) {
		if next != nil {
			next(tr)
		}
		p.vrrpTransition(tr)
	}
}

// healthUpdate records a real server's health change.
func (p *bgpPart) healthUpdate(u healthcheck.Update) {
	key, h := ipvsHealth(u)
	p.mu.Lock()
	active := p.active
	if active {
		p.health[key] = h
	}
	p.mu.Unlock()
	if active {
		p.kickLoop()
	}
}

// deactivate drops the health kept for a [bgp] no longer running.
func (p *bgpPart) deactivate() {
	p.mu.Lock()
	p.active, p.health = false, map[ipvs.RealKey]ipvs.Health{}
	p.mu.Unlock()
}

// seedHealth makes the part active and fills in the health of every real
// server it has no update for from the health part's view. Updates from
// then on are kept, and each is at least as new as the view's entry for
// its key, so the view only fills the gaps.
func (p *bgpPart) seedHealth() {
	p.mu.Lock()
	p.active = true
	p.mu.Unlock()
	if p.d.health == nil {
		return
	}
	v, ok := p.d.health.view()
	if !ok {
		return
	}
	p.mu.Lock()
	for k, sh := range v.Servers {
		key, h := ipvsHealth(healthcheck.Update{Key: k, Up: sh.Up, Weight: sh.Weight})
		if _, seen := p.health[key]; !seen {
			p.health[key] = h
		}
	}
	p.mu.Unlock()
}

// reload applies a new configuration's [bgp]: neighbors and prefixes by
// difference (bgp.Announcer.Reload), then decides again. A [bgp] that
// appears starts the part; one that goes stops it (graceful shutdown).
func (p *bgpPart) reload(cfg *config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	p.mu.Lock()
	ann := p.ann
	p.mu.Unlock()
	switch {
	case ann == nil && cfg.BGP == nil:
		return nil
	case ann == nil:
		return p.start(ctx)
	case cfg.BGP == nil:
		return p.stop(ctx)
	}
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		return err
	}
	bc, ps := bgpConfig(cfg)
	want := bgpAddresses(cfg)
	// new addresses before their announcement, removed ones after the
	// withdrawal (Reload)
	var errs []error
	if err := p.addAddresses(ctx, want); err != nil {
		errs = append(errs, err)
	}
	if err := ann.Reload(ctx, bc); err != nil {
		errs = append(errs, err)
	}
	if err := p.setAddresses(ctx, want); err != nil {
		errs = append(errs, err)
	}
	err = errors.Join(errs...)
	p.mu.Lock()
	p.specs, p.prefixes, p.delay = specs, ps, cfg.BGP.GracefulShutdownDelay
	p.mu.Unlock()
	p.kickLoop()
	if err != nil {
		return fmt.Errorf("bgp: reload: %w", err)
	}
	return nil
}

// stop leaves gracefully: GRACEFUL_SHUTDOWN, graceful_shutdown_delay,
// withdrawal, sessions closed.
func (p *bgpPart) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	p.wg.Wait()
	p.cancel = nil
	p.mu.Lock()
	ann, delay := p.ann, p.delay
	p.mu.Unlock()
	err := ann.Shutdown(ctx, delay)
	p.mu.Lock()
	p.ann = nil
	p.mu.Unlock()
	p.deactivate()
	// after the withdrawal: the addresses go
	return errors.Join(err, p.dropAddresses(ctx))
}

// addAddresses puts addrs in place (those already there count as added)
// and records them as owned.
func (p *bgpPart) addAddresses(ctx context.Context, addrs []vip.Address) error {
	if len(addrs) == 0 {
		return nil
	}
	if p.addrs == nil {
		m, err := p.newAddrs()
		if err != nil {
			return fmt.Errorf("bgp: addresses: %w", err)
		}
		p.addrs = m
	}
	if err := p.addrs.AddVIPs(ctx, addrs); err != nil {
		return fmt.Errorf("bgp: %w", err)
	}
	for _, a := range addrs {
		if !slices.Contains(p.owned, a) {
			p.owned = append(p.owned, a)
			p.log.Info("bgp address added", "address", a.Prefix, "dev", a.Dev)
		}
	}
	return nil
}

// setAddresses makes the owned addresses exactly addrs.
func (p *bgpPart) setAddresses(ctx context.Context, addrs []vip.Address) error {
	var gone []vip.Address
	for _, a := range p.owned {
		if !slices.Contains(addrs, a) {
			gone = append(gone, a)
		}
	}
	var errs []error
	if len(gone) > 0 {
		if err := p.addrs.DelVIPs(ctx, gone); err != nil {
			errs = append(errs, fmt.Errorf("bgp: %w", err))
		}
		p.owned = slices.DeleteFunc(p.owned, func(a vip.Address) bool { return slices.Contains(gone, a) })
		for _, a := range gone {
			p.log.Info("bgp address removed", "address", a.Prefix, "dev", a.Dev)
		}
	}
	return errors.Join(append(errs, p.addAddresses(ctx, addrs))...)
}

// dropAddresses removes every owned address and closes the manager.
func (p *bgpPart) dropAddresses(ctx context.Context) error {
	if p.addrs == nil {
		return nil
	}
	err := p.setAddresses(ctx, nil)
	p.addrs.Close()
	p.addrs = nil
	return err
}

// status is the BGP side of lvsd status (ok=false when [bgp] is not set).
func (p *bgpPart) status(ctx context.Context) (bgp.Status, bool) {
	p.mu.Lock()
	ann := p.ann
	p.mu.Unlock()
	if ann == nil {
		return bgp.Status{}, false
	}
	return ann.Status(ctx), true
}

// bgpStatus is the BGP part of lvsd status; nil without [bgp].
func (d *daemon) bgpStatus() *control.BGP {
	if d.bgp == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, ok := d.bgp.status(ctx)
	if !ok {
		return nil
	}
	out := &control.BGP{ASN: st.ASN, RouterID: st.RouterID.String(), Neighbors: []control.BGPNeighbor{}, Prefixes: []control.BGPPrefix{},
		Announcements: st.Announcements, Withdrawals: st.Withdrawals}
	for _, n := range st.Neighbors {
		out.Neighbors = append(out.Neighbors, control.BGPNeighbor{Address: n.Address.String(), PeerASN: n.PeerASN, State: n.State,
			Since: n.Since, LastError: n.LastError, Transitions: n.Transitions, Flaps: n.Flaps})
	}
	for _, p := range st.Prefixes {
		out.Prefixes = append(out.Prefixes, control.BGPPrefix{Prefix: p.Prefix.String(), Announced: p.Announced,
			Reason: string(p.Reason), Detail: p.Detail, Since: p.Since})
	}
	return out
}
