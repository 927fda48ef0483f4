package track

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lvsd/lvsd/vrrp/script"
)

// ScriptConfig is one vrrp_script.
type ScriptConfig struct {
	Name     string
	Args     []string           // the command, split by script.Parse
	Cred     *script.Credential // user and group to run as; nil: lvsd's own
	Interval time.Duration      // default 1 s
	Timeout  time.Duration      // default = Interval
	Rise     int                // default 1
	Fall     int                // default 1
	InitFail bool               // start in the failed state
	// KillGrace is the time between SIGTERM and SIGKILL after a timeout
	// (default script.DefaultKillGrace).
	KillGrace time.Duration
}

// ScriptTracker runs a vrrp_script every interval and reports its status
// after rise/fall counting. A run still going at the next interval delays
// that run (a script never overlaps itself); a timed-out run is killed with
// its whole process group and counts as a failure.
type ScriptTracker struct {
	cfg      ScriptConfig
	log      *slog.Logger
	run      func(context.Context, script.Spec) script.Result
	Counters Counters
}

// NewScript returns the tracker for cfg; a nil logger means slog.Default.
func NewScript(cfg ScriptConfig, log *slog.Logger) (*ScriptTracker, error) {
	if len(cfg.Args) == 0 {
		return nil, fmt.Errorf("track: vrrp_script %s: %w", cfg.Name, script.ErrEmpty)
	}
	return newScript(cfg, log, script.Run), nil
}

func newScript(cfg ScriptConfig, log *slog.Logger, run func(context.Context, script.Spec) script.Result) *ScriptTracker {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Interval
	}
	return &ScriptTracker{cfg: cfg, log: orDefault(log).With("vrrp_script", cfg.Name), run: run}
}

var _ Tracker = (*ScriptTracker)(nil)

// scriptReason maps a run's outcome to a tracker Reason.
func scriptReason(r script.Result) Reason {
	switch r.Reason {
	case script.ReasonOK:
		return ReasonNone
	case script.ReasonExitStatus:
		return ReasonScriptExit
	case script.ReasonSignal:
		return ReasonScriptSignal
	case script.ReasonTimeout:
		return ReasonScriptTimeout
	}
	return ReasonScriptStart
}

// Run implements Tracker.
func (t *ScriptTracker) Run(ctx context.Context, emit Emit) error {
	rf := NewRiseFall(t.cfg.Rise, t.cfg.Fall, t.cfg.InitFail)
	var lim limiter
	first := Update{Name: t.cfg.Name, Kind: KindScript, Status: rf.Status(), Time: time.Now()}
	if rf.Status() == StatusFailed {
		first.Detail = "init_fail"
	}
	emit(first)
	spec := script.Spec{Args: t.cfg.Args, Cred: t.cfg.Cred, Timeout: t.cfg.Timeout, KillGrace: t.cfg.KillGrace}
	ticker := time.NewTicker(t.cfg.Interval)
	defer ticker.Stop()
	for {
		res := t.run(ctx, spec)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := time.Now()
		reason := scriptReason(res)
		if reason != ReasonNone {
			t.Counters.Add(reason)
			args := []any{"result", res.String()}
			if s := strings.TrimSpace(string(res.Stderr)); s != "" {
				args = append(args, "stderr", s)
			}
			lim.log(t.log, now, reason, "vrrp_script check failed", args...)
		}
		if rf.Observe(reason == ReasonNone) {
			u := Update{Name: t.cfg.Name, Kind: KindScript, Status: rf.Status(), Time: now}
			if rf.Status() == StatusFailed {
				u.Reason, u.Detail = reason, res.String()
			}
			t.log.Info("vrrp_script status changed", "status", u.Status.String(), "result", res.String())
			emit(u)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}
