package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MiscSpec is a misc_check: a program run without a shell.
type MiscSpec struct {
	Argv    []string      // misc_path split with config.SplitCommand
	Timeout time.Duration // misc_timeout
	Dynamic bool          // misc_dynamic: exit 2..255 => up with weight code-2
	// Cred is the user and groups the script runs as (ResolveScript: its
	// own user, else script_user); nil runs it as lvsd.
	Cred *Credential
	// Scripts runs the script (the daemon's runner).
	Scripts Scripts
	// KillGrace is how long a timed-out script has between SIGTERM and
	// SIGKILL of its process group (keepalived: 2 s; default 2 s).
	KillGrace time.Duration
}

// MiscChecker is a misc_check checker. The script runs through Scripts.Run:
// in its own process group; on timeout the whole group gets SIGTERM, then
// SIGKILL.
type MiscChecker struct {
	spec MiscSpec
	key  string
}

var _ Checker = (*MiscChecker)(nil)

// NewMiscChecker returns the checker of spec.
func NewMiscChecker(spec MiscSpec) (*MiscChecker, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("healthcheck: misc_check: empty misc_path")
	}
	if spec.Scripts == nil {
		return nil, errors.New("healthcheck: misc_check: no script runner")
	}
	if spec.KillGrace <= 0 {
		spec.KillGrace = DefaultKillGrace
	}
	// The key holds the credential's values, not its address: the same
	// check of a reloaded configuration keeps its state.
	cred := "lvsd"
	if c := spec.Cred; c != nil {
		cred = fmt.Sprintf("%d:%d:%v", c.UID, c.GID, c.Groups)
	}
	key := fmt.Sprintf("misc%+q timeout=%v dynamic=%v grace=%v cred=%s", spec.Argv, spec.Timeout, spec.Dynamic, spec.KillGrace, cred)
	return &MiscChecker{spec: spec, key: key}, nil
}

// Key implements Checker.
func (c *MiscChecker) Key() string { return c.key }

func (c *MiscChecker) String() string { return "misc_check " + strings.Join(c.spec.Argv, " ") }

// Check runs the script and maps its exit status: 0 up; with misc_dynamic
// 2..255 up with weight code-2; anything else down.
func (c *MiscChecker) Check(ctx context.Context) Result {
	res := c.spec.Scripts.Run(ctx, c.spec.Argv, c.spec.Cred, c.spec.Timeout, c.spec.KillGrace)
	return miscResult(ctx, c.spec, res)
}

// miscResult maps Scripts.Run's outcome onto the checker's reasons.
func miscResult(ctx context.Context, spec MiscSpec, res ScriptResult) Result {
	switch res.Outcome {
	case ScriptStart:
		return Result{Reason: ReasonScriptStart, Err: fmt.Errorf("healthcheck: start %s: %w", spec.Argv[0], res.Err), ExitCode: -1, Weight: -1, Duration: res.Duration}
	case ScriptTimeout:
		reason := ReasonTimeout
		if ctx.Err() != nil {
			reason = ReasonCanceled
		}
		return Result{Reason: reason, Err: fmt.Errorf("healthcheck: %s: killed after %v", spec.Argv[0], res.Duration.Round(time.Millisecond)), ExitCode: -1, Weight: -1, Duration: res.Duration}
	case ScriptSignal:
		return Result{Reason: ReasonScriptSignal, Err: fmt.Errorf("healthcheck: %s: %s", spec.Argv[0], res), ExitCode: res.Signal, Weight: -1, Duration: res.Duration}
	}
	return MiscOutcome(Result{ExitCode: res.ExitCode, Weight: -1, Duration: res.Duration}, spec.Dynamic)
}

// MiscOutcome sets Reason and Weight of a script result from its exit code,
// as keepalived: 0 up (configured weight), 2..255 with misc_dynamic up with
// weight code-2, anything else down.
func MiscOutcome(r Result, dynamic bool) Result {
	switch {
	case r.ExitCode == 0:
		r.Reason, r.Weight = ReasonOK, -1
	case dynamic && r.ExitCode >= 2 && r.ExitCode <= 255:
		r.Reason, r.Weight = ReasonOK, r.ExitCode-2
	default:
		r.Reason, r.Weight = ReasonScriptExit, -1
	}
	return r
}
