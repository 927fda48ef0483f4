package daemon

import (
	"context"
	"fmt"
	"sync"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/vrrp/script"
)

// healthPart is `lvsd run`'s health checks: one healthcheck.Scheduler over
// every real server of the configuration; each change of a real server's
// health goes to the IPVS part (ipvsPart.healthUpdate).
type healthPart struct {
	d *daemon

	mu     sync.Mutex // guards the fields below
	s      *healthcheck.Scheduler
	cancel context.CancelFunc
	done   chan struct{}
	// initial is the checks' states a predecessor process handed over
	// (upgrade.go): the scheduler starts from them. Set before start.
	initial map[string]healthcheck.CheckState
	// jitter is the scheduler's Options.Jitter (0: its default; tests
	// that count results on a schedule set -1). Set before start.
	jitter float64
}

func newHealthPart(d *daemon) *healthPart { return &healthPart{d: d} }

func (p *healthPart) start(ctx context.Context) error {
	specs, err := healthcheck.FromConfigBFD(p.d.cfg, checkerScripts{}, p.d.bfd.checkStates())
	if err != nil {
		return fmt.Errorf("health checks: %w", err)
	}
	if len(specs) == 0 {
		return nil
	}
	p.run(specs)
	return nil
}

// run starts the scheduler with specs.
func (p *healthPart) run(specs []healthcheck.RealServerSpec) {
	log := p.d.log.With("part", "health")
	opts := healthcheck.Options{Logger: log, Initial: p.initial, Jitter: p.jitter, InitNotifies: p.d.cfg.Global.RSInitNotifies}
	// notify_up / notify_down: bounded in time and number (scriptpool).
	opts.RunScript = func(argv []string, cred *healthcheck.Credential) {
		p.d.scripts.Go("real server notify script", script.Spec{Args: argv, Cred: toScriptCred(cred)}, nil)
	}
	if p.d.ipvs != nil {
		opts.OnUpdate = p.d.ipvs.healthUpdate
	}
	if b := p.d.bgp; b != nil {
		if next := opts.OnUpdate; next != nil {
			opts.OnUpdate = func(u healthcheck.Update) { next(u); b.healthUpdate(u) }
		} else {
			opts.OnUpdate = b.healthUpdate
		}
	}
	if f := p.d.lvsfifo; f != nil {
		if next := opts.OnUpdate; next != nil {
			opts.OnUpdate = func(u healthcheck.Update) { next(u); f.rsUpdate(u) }
		} else {
			opts.OnUpdate = f.rsUpdate
		}
	}
	if p.d.mail != nil {
		opts.OnUpdate = p.d.mail.health(opts.OnUpdate)
	}
	if p.d.snmp != nil {
		opts.OnUpdate = p.d.snmp.health(opts.OnUpdate) // run_snmp.go
	}
	s := healthcheck.New(opts)
	s.Set(specs)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(runCtx); err != nil {
			log.Error("health checks stopped", "err", err)
		}
	}()
	p.mu.Lock()
	p.s, p.cancel, p.done = s, cancel, done
	p.mu.Unlock()
	log.Info("health checks running", "real_servers", len(specs))
}

func (p *healthPart) stop(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("health checks: %w", ctx.Err())
	}
}

// reload applies a new configuration's real servers and checks: checks
// that did not change keep their state and schedule (no flap, no notify),
// new ones start, removed ones stop. A configuration whose checkers cannot
// be built is refused as a whole and the running checks stay.
//
// plan is the reload plan's checker side (planReload: real servers by
// "vs/ip:port" whose checks are kept, changed, added, removed). Scheduler.Set
// applies exactly that difference itself: it keys every check by what it
// does (Checker.Key and its policy), so a kept real server's checks keep
// their state, counters and next due time, a changed one's checks start
// afresh, a removed one's stop (TestHealthReloadKeepsState); plan is what
// the part logs.
func (p *healthPart) reload(cfg *config.Config, plan namedDiff) error {
	specs, err := healthcheck.FromConfigBFD(cfg, checkerScripts{}, p.d.bfd.checkStates())
	if err != nil {
		return fmt.Errorf("health checks: %w", err)
	}
	p.mu.Lock()
	s := p.s
	p.mu.Unlock()
	if s != nil || len(specs) > 0 {
		p.d.log.Info("reload: health checks", "real_servers_kept", len(plan.kept), "changed", plan.changed,
			"added", plan.added, "removed", plan.removed)
	}
	switch {
	case s != nil:
		s.Set(specs)
	case len(specs) > 0:
		p.run(specs)
	}
	return nil
}

// states returns the checks' states (healthcheck.Scheduler.States), nil
// when no checks ran.
func (p *healthPart) states() map[string]healthcheck.CheckState {
	p.mu.Lock()
	s := p.s
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.States()
}

// view is the health snapshot for status and metrics (ok=false when no
// checks run).
func (p *healthPart) view() (healthcheck.HealthView, bool) {
	p.mu.Lock()
	s := p.s
	p.mu.Unlock()
	if s == nil {
		return healthcheck.HealthView{}, false
	}
	return s.View(), true
}
