package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MiscSpec is a misc_check: a program run without a shell.
type MiscSpec struct {
	Argv    []string      // misc_path split with script.Parse
	Timeout time.Duration // misc_timeout
	Dynamic bool          // misc_dynamic: exit 2..255 => up with weight code-2
	User    string        // run as this user ("" = as lvsd)
	Group   string        // and group ("" = the user's primary group)
	// KillGrace is how long a timed-out script has between SIGTERM and
	// SIGKILL of its process group (keepalived: 2 s; default 2 s).
	KillGrace time.Duration
}

// MiscChecker is a misc_check checker. The script runs in its own process
// group; on timeout the whole group gets SIGTERM, then SIGKILL.
type MiscChecker struct {
	spec MiscSpec
	key  string
	cred *syscall.Credential
}

var _ Checker = (*MiscChecker)(nil)

// NewMiscChecker resolves the script user once.
func NewMiscChecker(spec MiscSpec) (*MiscChecker, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("healthcheck: misc_check: empty misc_path")
	}
	if spec.KillGrace <= 0 {
		spec.KillGrace = 2 * time.Second
	}
	c := &MiscChecker{spec: spec, key: fmt.Sprintf("misc%+q", spec.Argv) + fmt.Sprintf("%+v", spec)}
	if spec.User != "" {
		cred, err := lookupCred(spec.User, spec.Group)
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	return c, nil
}

func lookupCred(name, group string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("healthcheck: script user %q: %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("healthcheck: script group %q: %w", group, err)
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Key implements Checker.
func (c *MiscChecker) Key() string { return c.key }

func (c *MiscChecker) String() string { return "misc_check " + strings.Join(c.spec.Argv, " ") }

// Check runs the script and maps its exit status: 0 up; with misc_dynamic
// 2..255 up with weight code-2; anything else down.
func (c *MiscChecker) Check(ctx context.Context) Result {
	start := time.Now()
	cmd := exec.Command(c.spec.Argv[0], c.spec.Argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	if err := cmd.Start(); err != nil {
		return failed(ReasonScriptStart, fmt.Errorf("healthcheck: start %s: %w", c.spec.Argv[0], err), start)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if c.spec.Timeout > 0 {
		t := time.NewTimer(c.spec.Timeout)
		defer t.Stop()
		timer = t.C
	}
	var werr error
	killed := false
	select {
	case werr = <-done:
	case <-timer:
		killed = true
	case <-ctx.Done():
		killed = true
	}
	if killed {
		syscall.Kill(-pgid, syscall.SIGTERM)
		grace := time.NewTimer(c.spec.KillGrace)
		exited := false
		select {
		case <-done:
			exited = true
		case <-grace.C:
		}
		grace.Stop()
		// Whatever the leader did, its children die with the group.
		syscall.Kill(-pgid, syscall.SIGKILL)
		if !exited {
			<-done
		}
		reason := ReasonTimeout
		if ctx.Err() != nil {
			reason = ReasonCanceled
		}
		return failed(reason, fmt.Errorf("healthcheck: %s: killed after %v", c.spec.Argv[0], time.Since(start).Round(time.Millisecond)), start)
	}
	r := Result{ExitCode: -1, Weight: -1, Duration: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		r.ExitCode = 0
	case errors.As(werr, &ee):
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.Reason, r.ExitCode, r.Err = ReasonScriptSignal, int(ws.Signal()), werr
			return r
		}
		r.ExitCode = ee.ExitCode()
	default:
		r.Reason, r.Err = ReasonScriptStart, werr
		return r
	}
	return MiscOutcome(r, c.spec.Dynamic)
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
