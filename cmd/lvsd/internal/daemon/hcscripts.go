package daemon

import (
	"context"
	"time"

	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/vrrp/script"
)

// checkerScripts gives the checker side (package healthcheck, which must not
// import vrrp/script) the daemon's one script runner.
type checkerScripts struct{}

var _ healthcheck.Scripts = checkerScripts{}

func (checkerScripts) LookupUser(user, group string) (*healthcheck.Credential, error) {
	c, err := script.LookupUser(user, group)
	if err != nil {
		return nil, err
	}
	return &healthcheck.Credential{User: c.User, UID: c.UID, GID: c.GID, Groups: c.Groups}, nil
}

func (checkerScripts) CheckCommand(argv []string, cred *healthcheck.Credential) error {
	return script.CheckCommand(argv, toScriptCred(cred))
}

func (checkerScripts) Run(ctx context.Context, argv []string, cred *healthcheck.Credential, timeout, killGrace time.Duration) healthcheck.ScriptResult {
	res := script.Run(ctx, script.Spec{Args: argv, Cred: toScriptCred(cred), Timeout: timeout, KillGrace: killGrace})
	return toCheckerResult(res)
}

// toCheckerResult maps script.Run's outcome onto healthcheck's.
func toCheckerResult(res script.Result) healthcheck.ScriptResult {
	out := healthcheck.ScriptResult{ExitCode: res.ExitCode, Signal: int(res.Signal), Err: res.Err, Duration: res.Duration}
	switch res.Reason {
	case script.ReasonOK:
		out.Outcome = healthcheck.ScriptOK
	case script.ReasonExitStatus:
		out.Outcome = healthcheck.ScriptExit
	case script.ReasonSignal:
		out.Outcome = healthcheck.ScriptSignal
	case script.ReasonTimeout:
		out.Outcome = healthcheck.ScriptTimeout
	default:
		out.Outcome = healthcheck.ScriptStart
	}
	return out
}

// toScriptCred converts a credential resolved for the checker side.
func toScriptCred(c *healthcheck.Credential) *script.Credential {
	if c == nil {
		return nil
	}
	return &script.Credential{User: c.User, UID: c.UID, GID: c.GID, Groups: c.Groups}
}
