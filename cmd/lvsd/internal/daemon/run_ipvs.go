package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/script"
)

// ipvsReconcileInterval is how often the IPVS part re-reads the kernel and
// restores what was changed behind its back (ipvsadm by hand).
const ipvsReconcileInterval = 30 * time.Second

// ipvsPart is `lvsd run`'s IPVS side: it computes the desired table from
// the virtual servers, the health results and the VRRP states, applies it
// with ipvs.Manager, runs quorum scripts and switches the sync daemon.
// vrrpTransition and healthUpdate may be called from any goroutine and never
// block; the work happens on the part's own goroutine.
type ipvsPart struct {
	d   *daemon
	log *slog.Logger
	// newClient opens the kernel's IPVS (ipvs.New; replaced in tests).
	newClient func() (ipvs.Client, error)

	mu sync.Mutex // guards the fields below
	// specs are the virtual servers of the configuration.
	specs []ipvs.VirtualServer
	// health holds the latest result per real server.
	health map[ipvs.RealKey]ipvs.Health
	// master holds the VRRP state per instance (true = MASTER).
	master map[string]bool
	// quorum is Compute's state between runs.
	quorum ipvs.QuorumState
	// global is the [global] table the part runs with (lvs_sync_daemon,
	// lvs_timeouts): the one at start, then each reload's. d.cfg is
	// replaced by a reload on another goroutine.
	global config.Global
	// quorumUsers holds the user each quorum script runs as (its own, else
	// script_user; nil: as lvsd), by virtual server name and direction.
	quorumUsers map[quorumScript]*script.Credential

	m *ipvs.Manager
	// syncMu serialises setSyncDaemons: each call applies the state it
	// reads under it, so the last call applies the latest state whatever
	// the order of a reload and a VRRP transition.
	syncMu sync.Mutex
	kick   chan struct{} // buffered(1): recompute needed
	// applies counts the table's computations (apply), for the tests.
	applies atomic.Uint64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newIPVSPart(d *daemon) *ipvsPart {
	return &ipvsPart{d: d, log: d.log.With("part", "ipvs"), newClient: func() (ipvs.Client, error) { return ipvs.NewWithOptions(ipvsOptions(d.cfg.Global)) },
		health: map[ipvs.RealKey]ipvs.Health{}, master: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// needed reports whether the configuration uses IPVS at all.
func (p *ipvsPart) needed() bool {
	g := p.d.cfg.Global
	return len(p.d.cfg.VirtualServers) > 0 || g.LVSSyncDaemon != nil || g.LVSFlush
}

func (p *ipvsPart) start(ctx context.Context) error {
	if !p.needed() {
		return nil
	}
	cfg := p.d.cfg
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		return err
	}
	users, err := quorumUsers(cfg)
	if err != nil {
		return err
	}
	c, err := p.newClient()
	if err != nil {
		return err // ipvs.ErrNoIPVS: "the kernel has no IPVS (modprobe ip_vs?)"
	}
	m := ipvs.NewManager(c, p.log)
	if cfg.Global.LVSFlush && !p.d.handover { // an upgrade keeps the table
		if err := m.Flush(); err != nil {
			c.Close()
			return err
		}
	}
	if t := ipvs.TimeoutsFor(cfg.Global); t != (ipvs.Timeouts{}) {
		if err := m.SetTimeouts(t); err != nil {
			c.Close()
			return err
		}
	}
	master := false // every instance starts as backup, but an upgrade's
	if g := cfg.Global.LVSSyncDaemon; g != nil && p.d.handover {
		p.mu.Lock()
		master = p.master[g.VRRPInstance] // seeded (upgrade.go)
		p.mu.Unlock()
	}
	if sd := ipvs.SyncDaemonsFor(cfg.Global, master); sd != nil {
		if err := m.SetSyncDaemons(sd); err != nil {
			p.log.Warn("cannot start the IPVS sync daemon", "err", err)
		}
	}
	p.mu.Lock()
	p.specs, p.m, p.global = specs, m, cfg.Global
	p.quorumUsers = users
	seedHealth(p.health, specs)
	p.mu.Unlock()
	if err := p.apply(ctx); err != nil {
		// logged per request by the Manager; the loop retries
		p.log.Warn("initial IPVS apply incomplete, retrying", "err", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.loop(runCtx) }()
	go func() { defer p.wg.Done(); _ = m.Run(runCtx, ipvsReconcileInterval) }()
	p.log.Info("ipvs ready", "virtual_servers", len(specs))
	return nil
}

// loop recomputes and applies on every kick, retrying failures with back-off.
func (p *ipvsPart) loop(ctx context.Context) {
	failures := 0
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
			failures++
			d := ipvs.Backoff(failures, ipvsReconcileInterval)
			p.log.Warn("IPVS apply failed, retrying", "in", d, "err", err)
			retry.Reset(d)
			continue
		}
		failures = 0
	}
}

// apply computes the desired table, applies it and runs quorum scripts.
func (p *ipvsPart) apply(ctx context.Context) error {
	p.applies.Add(1)
	p.mu.Lock()
	master := make(map[string]bool, len(p.master))
	for k, v := range p.master {
		master[k] = v
	}
	table, next, events := ipvs.Compute(p.specs, p.health, func(in string) bool { return master[in] }, p.quorum)
	p.quorum = next
	m := p.m
	p.mu.Unlock()
	for _, ev := range events {
		p.log.Info("quorum changed", "virtual_server", ev.VirtualServer, "up", ev.QuorumUp, "start", ev.Init,
			"alive_weight", ev.Alive, "threshold", ev.Threshold)
		p.runScript(ev, nil)
		p.d.lvsfifo.vsEvent(ev)
		if p.d.mail != nil {
			p.d.mail.quorum(ev)
		}
		if p.d.snmp != nil {
			p.d.snmp.quorum(ev) // run_snmp.go
		}
	}
	return m.Apply(ctx, table)
}

func (p *ipvsPart) kickLoop() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// vrrpTransition records an instance's state (for ha_suspend and the sync
// daemon). It never blocks.
func (p *ipvsPart) vrrpTransition(tr vrrp.Transition) {
	master := tr.To == vrrp.StateMaster
	p.mu.Lock()
	changed := p.master[tr.Instance] != master
	p.master[tr.Instance] = master
	m, g := p.m, p.global
	p.mu.Unlock()
	if !changed || m == nil {
		return
	}
	if sd := g.LVSSyncDaemon; sd != nil && sd.VRRPInstance == tr.Instance {
		go func() {
			if err := p.setSyncDaemons(); err != nil {
				p.log.Warn("cannot switch the IPVS sync daemon", "master", master, "err", err)
			} else {
				p.log.Info("IPVS sync daemon switched", "state", map[bool]string{true: "master", false: "backup"}[master])
			}
		}()
	}
	p.kickLoop()
}

// wrapTransition chains vrrpTransition after an instance's own hook.
func (p *ipvsPart) wrapTransition(next func(vrrp.Transition)) func(vrrp.Transition) {
	return func(tr vrrp.Transition) {
		if next != nil {
			next(tr)
		}
		p.vrrpTransition(tr)
	}
}

// healthUpdate records a real server's health change (the health-check
// scheduler's OnUpdate). It never blocks.
func (p *ipvsPart) healthUpdate(u healthcheck.Update) {
	key, h := ipvsHealth(u)
	p.mu.Lock()
	old, ok := p.health[key]
	same := ok && sameHealth(old, h)
	if !same {
		p.health[key] = h
	}
	p.mu.Unlock()
	if !same { // the start's 10,000 "configured" updates change nothing
		p.kickLoop()
	}
}

// seedHealth records, for every real server without a result in health,
// the health Compute assumes for it (up unless alpha, at its configured
// weight), so that the health part's first update saying the same is seen
// to change nothing (healthUpdate) instead of recomputing the table once
// more. Compute's result is the same with or without these entries.
func seedHealth(health map[ipvs.RealKey]ipvs.Health, specs []ipvs.VirtualServer) {
	n := 0
	for _, vs := range specs {
		n += len(vs.Reals)
	}
	weights := make([]uint32, 0, n) // one allocation for every weight
	for _, vs := range specs {
		for _, rs := range vs.Reals {
			k := ipvs.RealKey{VirtualServer: vs.Name, Dest: rs.DestKey}
			if _, ok := health[k]; ok {
				continue
			}
			weights = append(weights, rs.Weight)
			health[k] = ipvs.Health{Up: !vs.Alpha, Weight: &weights[len(weights)-1]}
		}
	}
}

// sameHealth reports whether a and b are the same result.
func sameHealth(a, b ipvs.Health) bool {
	return a.Up == b.Up && (a.Weight == nil) == (b.Weight == nil) && (a.Weight == nil || *a.Weight == *b.Weight)
}

// ipvsHealth is a health-check update as the IPVS and BGP parts keep it:
// the real server's key and its health (a negative weight counts as 0).
func ipvsHealth(u healthcheck.Update) (ipvs.RealKey, ipvs.Health) {
	w := uint32(max(u.Weight, 0))
	key := ipvs.RealKey{VirtualServer: u.Key.VirtualServer, Dest: ipvs.DestKey{Addr: u.Key.Addr.Unmap(), Port: u.Key.Port}}
	return key, ipvs.Health{Up: u.Up, Weight: &w}
}

// quorumScript names a quorum script: a virtual server's quorum_up (up)
// or quorum_down.
type quorumScript struct {
	vs string
	up bool
}

// quorumUsers resolves the user of every quorum script as
// healthcheck.ResolveScript does for the other scripts of the checker side:
// the script's own, else script_user / script_group (as keepalived runs
// them), and with enable_script_security a root-run program that a non-root
// user could change is refused. The error names every refused script.
func quorumUsers(cfg *config.Config) (map[quorumScript]*script.Credential, error) {
	out := map[quorumScript]*script.Credential{}
	var errs []error
	for _, vs := range cfg.VirtualServers {
		name := vs.Name()
		for _, q := range []struct {
			kw  string
			up  bool
			cmd config.Command
		}{{"quorum_up", true, vs.QuorumUp}, {"quorum_down", false, vs.QuorumDown}} {
			if q.cmd.IsZero() {
				continue
			}
			_, cred, err := healthcheck.ResolveScript(q.cmd, cfg.Global, checkerScripts{})
			if err != nil {
				errs = append(errs, fmt.Errorf("virtual_server %s: %s: %w", name, q.kw, err))
				continue
			}
			out[quorumScript{name, q.up}] = toScriptCred(cred)
		}
	}
	return out, errors.Join(errs...)
}

// runScript starts a quorum script through the daemon's script pool (no
// shell, its own process group killed after the pool's timeout, as its
// user) without waiting for it (keepalived does not wait either); done, if
// set, is closed when it ends or is dropped.
func (p *ipvsPart) runScript(ev ipvs.Event, done chan<- struct{}) {
	line := ev.Script
	finish := func() {
		if done != nil {
			close(done)
		}
	}
	if line == "" {
		finish()
		return
	}
	argv, err := script.Parse(line)
	if err != nil {
		p.log.Warn("bad quorum script", "script", line, "err", err)
		finish()
		return
	}
	p.mu.Lock()
	cred := p.quorumUsers[quorumScript{ev.VirtualServer, ev.QuorumUp}]
	p.mu.Unlock()
	// Bounded in time and number (scriptpool); failures are logged there.
	p.d.scripts.Go("quorum script", script.Spec{Args: argv, Cred: cred}, func(script.Result) { finish() })
}

// stop ends the loops, runs omega's quorum_down scripts, stops the sync
// daemon, restores the timeouts lvs_timeouts changed and, with
// lvs_flush_on_stop, flushes the table.
func (p *ipvsPart) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	p.wg.Wait()
	if p.d.handover {
		// Handing over to an upgraded process (upgrade.go): the table,
		// the sync daemon and the timeouts stay as they are, and no
		// quorum script runs.
		p.mu.Lock()
		m := p.m
		p.mu.Unlock()
		if err := m.Close(false); err != nil {
			return fmt.Errorf("ipvs: close: %w", err)
		}
		return nil
	}
	p.mu.Lock()
	events := ipvs.ShutdownEvents(p.specs, p.quorum)
	m := p.m
	p.mu.Unlock()
	for _, ev := range events {
		if p.d.mail != nil {
			p.d.mail.quorum(ev)
		}
		if p.d.snmp != nil {
			p.d.snmp.quorum(ev) // run_snmp.go
		}
		done := make(chan struct{})
		p.runScript(ev, done)
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	var errs []error
	if p.d.cfg.Global.LVSSyncDaemon != nil {
		if err := m.SetSyncDaemons(nil); err != nil {
			errs = append(errs, err)
		}
	}
	// As keepalived at stop: the services lvsd owns go (with their
	// destinations), unless --dont-release-ipvs; lvs_flush_on_stop
	// flushes everything below anyway.
	if !p.d.dontReleaseIPVS && !p.d.cfg.Global.LVSFlushOnStop {
		if err := m.Release(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	// as keepalived at stop: the timeouts lvs_timeouts changed go back
	if err := m.RestoreTimeouts(); err != nil {
		errs = append(errs, fmt.Errorf("ipvs: restore timeouts: %w", err))
	}
	if err := m.Close(p.d.cfg.Global.LVSFlushOnStop); err != nil {
		errs = append(errs, fmt.Errorf("ipvs: close: %w", err))
	}
	return errors.Join(errs...)
}
