// The test-only Scripts of the checker tests: a small runner of their own
// over os/exec, so that healthcheck's tests, like its code, import no other
// domain package (cmd/lvsd's TestLayering checks both). The daemon's
// adapter over vrrp/script (cmd/lvsd/internal/daemon/hcscripts.go) has its
// own tests there (hcscripts_test.go), with enable_script_security.

package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"time"
)

// execScripts runs argv directly (no shell, no script security) in its own
// process group, as cred, with Scripts.Run's timeout and kill grace.
type execScripts struct{}

var _ Scripts = execScripts{}

func (execScripts) LookupUser(name, group string) (*Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("test scripts: look up user %q: %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	c := &Credential{User: u.Username, UID: uint32(uid), GID: uint32(gid)}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("test scripts: look up group %q: %w", group, err)
		}
		id, _ := strconv.ParseUint(g.Gid, 10, 32)
		c.GID, c.Groups = uint32(id), []uint32{uint32(id)}
		return c, nil
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("test scripts: groups of %q: %w", name, err)
	}
	for _, s := range ids {
		id, _ := strconv.ParseUint(s, 10, 32)
		c.Groups = append(c.Groups, uint32(id))
	}
	return c, nil
}

func (execScripts) CheckCommand(argv []string, _ *Credential) error {
	if len(argv) == 0 {
		return errors.New("test scripts: empty command")
	}
	return nil
}

func (execScripts) Run(ctx context.Context, argv []string, cred *Credential, timeout, killGrace time.Duration) ScriptResult {
	start := time.Now()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cred != nil && (int(cred.UID) != os.Geteuid() || int(cred.GID) != os.Getegid() || len(cred.Groups) > 0) {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: cred.UID, Gid: cred.GID, Groups: cred.Groups}
	}
	cmd.WaitDelay = 200 * time.Millisecond
	if err := cmd.Start(); err != nil {
		return ScriptResult{Outcome: ScriptStart, Err: err, Duration: time.Since(start)}
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	if killGrace <= 0 {
		killGrace = DefaultKillGrace
	}
	killed := false
	var kill <-chan time.Time
	stop := func() {
		if !killed {
			killed = true
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			kill = time.After(killGrace)
		}
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-expire:
			expire = nil
			stop()
		case <-ctx.Done():
			stop()
		case <-kill:
			kill = nil
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	if killed {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	res := ScriptResult{Duration: time.Since(start), ExitCode: cmd.ProcessState.ExitCode()}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case killed:
		res.Outcome = ScriptTimeout
		if ws.Signaled() {
			res.Signal = int(ws.Signal())
		}
	case ws.Signaled():
		res.Outcome, res.Signal = ScriptSignal, int(ws.Signal())
	case res.ExitCode == 0:
		res.Outcome = ScriptOK
	default:
		res.Outcome = ScriptExit
	}
	return res
}
