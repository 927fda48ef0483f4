package healthcheck

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// DefaultKillGrace is how long a timed-out misc_check script has between
// SIGTERM and SIGKILL of its process group when MiscSpec.KillGrace is 0
// (keepalived: 2 s).
const DefaultKillGrace = 2 * time.Second

// Credential is the user and groups a script of the checker side runs as,
// as resolved by Scripts.LookupUser.
type Credential struct {
	User   string // name, for logs
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
}

// Scripts is what the checker side needs from the daemon's script runner
// (misc_check, notify_up/notify_down, quorum scripts). The daemon provides
// it; healthcheck does not run programs itself.
type Scripts interface {
	// LookupUser resolves `script_user USER [GROUP]` (or a script's own
	// user): names or numeric ids; without a group, the user's primary and
	// supplementary groups.
	LookupUser(user, group string) (*Credential, error)
	// CheckCommand applies enable_script_security to a command that runs
	// as cred (nil: as lvsd).
	CheckCommand(argv []string, cred *Credential) error
	// Run runs argv as cred (nil: as lvsd) in its own process group and
	// waits for it; after timeout (0: none) or ctx being done the group
	// gets SIGTERM, then SIGKILL after killGrace.
	Run(ctx context.Context, argv []string, cred *Credential, timeout, killGrace time.Duration) ScriptResult
}

// ScriptOutcome is how a script run ended.
type ScriptOutcome int

// The outcomes of a script run.
const (
	ScriptOK      ScriptOutcome = iota // exited with status 0
	ScriptExit                         // exited with a non-zero status
	ScriptSignal                       // killed by a signal lvsd did not send
	ScriptTimeout                      // outlived its timeout (or ctx) and was killed
	ScriptStart                        // could not be started
)

// ScriptResult is the outcome of one script run.
type ScriptResult struct {
	Outcome  ScriptOutcome
	ExitCode int // ScriptOK, ScriptExit
	Signal   int // ScriptSignal, ScriptTimeout
	Err      error
	Duration time.Duration
}

func (r ScriptResult) String() string {
	switch r.Outcome {
	case ScriptOK:
		return "exit status 0"
	case ScriptExit:
		return "exit status " + strconv.Itoa(r.ExitCode)
	case ScriptSignal:
		return "killed by signal " + strconv.Itoa(r.Signal)
	case ScriptTimeout:
		return "timed out after " + r.Duration.Round(time.Millisecond).String()
	}
	return "not started: " + fmt.Sprint(r.Err)
}
