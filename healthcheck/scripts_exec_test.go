// The test-only Scripts of the checker tests: the daemon's adapter
// (cmd/lvsd/internal/daemon/hcscripts.go) over vrrp/script, which only tests may import here.

package healthcheck

import (
	"context"
	"time"

	"github.com/lvsd/lvsd/vrrp/script"
)

// execScripts gives the checker side (package healthcheck, which must not
// import vrrp/script) the daemon's one script runner.
type execScripts struct{}

var _ Scripts = execScripts{}

func (execScripts) LookupUser(user, group string) (*Credential, error) {
	c, err := script.LookupUser(user, group)
	if err != nil {
		return nil, err
	}
	return &Credential{User: c.User, UID: c.UID, GID: c.GID, Groups: c.Groups}, nil
}

func (execScripts) CheckCommand(argv []string, cred *Credential) error {
	return script.CheckCommand(argv, toTestCred(cred))
}

func (execScripts) Run(ctx context.Context, argv []string, cred *Credential, timeout, killGrace time.Duration) ScriptResult {
	res := script.Run(ctx, script.Spec{Args: argv, Cred: toTestCred(cred), Timeout: timeout, KillGrace: killGrace})
	return toTestResult(res)
}

// toTestResult maps script.Run's outcome onto healthcheck's.
func toTestResult(res script.Result) ScriptResult {
	out := ScriptResult{ExitCode: res.ExitCode, Signal: int(res.Signal), Err: res.Err, Duration: res.Duration}
	switch res.Reason {
	case script.ReasonOK:
		out.Outcome = ScriptOK
	case script.ReasonExitStatus:
		out.Outcome = ScriptExit
	case script.ReasonSignal:
		out.Outcome = ScriptSignal
	case script.ReasonTimeout:
		out.Outcome = ScriptTimeout
	default:
		out.Outcome = ScriptStart
	}
	return out
}

// toTestCred converts a credential resolved for the checker side.
func toTestCred(c *Credential) *script.Credential {
	if c == nil {
		return nil
	}
	return &script.Credential{User: c.User, UID: c.UID, GID: c.GID, Groups: c.Groups}
}
