package script

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultKillGrace is the time between SIGTERM and SIGKILL to a timed-out
// script's process group (keepalived waits 2 s too).
const DefaultKillGrace = 2 * time.Second

// stderrCap bounds the stderr kept from one run.
const stderrCap = 4096

// Credential is the user a script runs as.
type Credential struct {
	User   string // name, for logs
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
}

// LookupUser resolves a user name (or numeric uid) and an optional group
// name (or gid) as keepalived's `script_user USER [GROUP]` and the optional
// user of a notify script do: without a group, the user's primary group and
// supplementary groups are used.
func LookupUser(name, group string) (*Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.ParseUint(name, 10, 32); nerr == nil {
			u, err = user.LookupId(name)
		}
		if err != nil {
			return nil, fmt.Errorf("script: look up user %q: %w", name, err)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	c := &Credential{User: u.Username, UID: uint32(uid), GID: uint32(gid)}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			if _, nerr := strconv.ParseUint(group, 10, 32); nerr == nil {
				g, err = user.LookupGroupId(group)
			}
			if err != nil {
				return nil, fmt.Errorf("script: look up group %q: %w", group, err)
			}
		}
		id, _ := strconv.ParseUint(g.Gid, 10, 32)
		c.GID = uint32(id)
		c.Groups = []uint32{c.GID}
		return c, nil
	}
	ids, err := u.GroupIds()
	if err == nil {
		for _, s := range ids {
			if id, perr := strconv.ParseUint(s, 10, 32); perr == nil {
				c.Groups = append(c.Groups, uint32(id))
			}
		}
	}
	return c, nil
}

// Spec describes one run.
type Spec struct {
	// Args is the command as split by Parse; Args[0] is a path or a name
	// looked up in PATH.
	Args []string
	// Cred, when not nil, is the user and groups the script runs as.
	Cred *Credential
	// Timeout bounds the run; 0 means no limit. When it expires the
	// script's process group gets SIGTERM, then SIGKILL after KillGrace.
	Timeout time.Duration
	// KillGrace overrides DefaultKillGrace.
	KillGrace time.Duration
	// Env is added to the environment (KEY=value). lvsd's own environment
	// is passed on without IFS, LD_PRELOAD and LD_LIBRARY_PATH.
	Env []string
}

// Reason says why a run did not succeed. Every value is counted by callers.
type Reason int

// The outcomes of a run.
const (
	ReasonOK         Reason = iota // exited with status 0
	ReasonExitStatus               // exited with a non-zero status
	ReasonSignal                   // killed by a signal lvsd did not send
	ReasonTimeout                  // outlived its timeout and was killed
	ReasonStart                    // could not be started (not found, not executable, bad user)
	numReasons
)

var reasonNames = [...]string{"ok", "exit_status", "signal", "timeout", "start_failed"}

func (r Reason) String() string {
	if r >= 0 && r < numReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Reasons lists every Reason, for metrics.
func Reasons() []Reason {
	r := make([]Reason, numReasons)
	for i := range r {
		r[i] = Reason(i)
	}
	return r
}

// Result is the outcome of one run.
type Result struct {
	Reason   Reason
	PID      int
	ExitCode int            // valid for ReasonOK and ReasonExitStatus
	Signal   syscall.Signal // valid for ReasonSignal and ReasonTimeout
	Err      error          // for ReasonStart: why
	Stderr   []byte         // first 4 KiB of what the script wrote to stderr
	Start    time.Time
	Duration time.Duration
}

// OK reports whether the script succeeded.
func (r Result) OK() bool { return r.Reason == ReasonOK }

func (r Result) String() string {
	switch r.Reason {
	case ReasonOK:
		return "exit status 0"
	case ReasonExitStatus:
		return "exit status " + strconv.Itoa(r.ExitCode)
	case ReasonSignal:
		return "killed by signal " + r.Signal.String()
	case ReasonTimeout:
		return "timed out after " + r.Duration.Round(time.Millisecond).String()
	}
	return "not started: " + fmt.Sprint(r.Err)
}

// Run starts the script and waits for it. It never returns before the
// process has been reaped; after a timeout (or ctx being done) it also sends
// SIGKILL to the process group so that children the script started die with
// it.
func Run(ctx context.Context, s Spec) Result {
	res := Result{Start: time.Now()}
	cmd, err := command(s)
	if err != nil {
		res.Reason, res.Err = ReasonStart, err
		return res
	}
	stderr := &capBuffer{max: stderrCap}
	cmd.Stderr = stderr
	// Children that keep stderr open must not hold up Wait.
	cmd.WaitDelay = 200 * time.Millisecond
	if err := cmd.Start(); err != nil {
		res.Reason, res.Err = ReasonStart, fmt.Errorf("script: start %s: %w", s.Args[0], err)
		res.Duration = time.Since(res.Start)
		return res
	}
	res.PID = cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timeout <-chan time.Time
	if s.Timeout > 0 {
		t := time.NewTimer(s.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	grace := s.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	killed := false
	var kill <-chan time.Time
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-timeout:
			timeout = nil
			killed = true
			_ = syscall.Kill(-res.PID, syscall.SIGTERM)
			kt := time.NewTimer(grace)
			defer kt.Stop()
			kill = kt.C
		case <-ctx.Done():
			if !killed {
				killed = true
				_ = syscall.Kill(-res.PID, syscall.SIGTERM)
				kt := time.NewTimer(grace)
				defer kt.Stop()
				kill = kt.C
			}
		case <-kill:
			kill = nil
			_ = syscall.Kill(-res.PID, syscall.SIGKILL)
		}
	}
	if killed {
		// The leader is gone; make sure its children are too.
		_ = syscall.Kill(-res.PID, syscall.SIGKILL)
	}
	res.Duration = time.Since(res.Start)
	res.Stderr = stderr.Bytes()
	st := cmd.ProcessState
	if st == nil {
		res.Reason, res.Err = ReasonStart, fmt.Errorf("script: wait %s: %w", s.Args[0], werr)
		return res
	}
	ws, _ := st.Sys().(syscall.WaitStatus)
	switch {
	case killed && (ws.Signaled() || ws.Exited()):
		res.Reason = ReasonTimeout
		if ws.Signaled() {
			res.Signal = ws.Signal()
		}
		res.ExitCode = st.ExitCode()
	case ws.Signaled():
		res.Reason, res.Signal = ReasonSignal, ws.Signal()
	case st.ExitCode() == 0:
		res.Reason = ReasonOK
	default:
		res.Reason, res.ExitCode = ReasonExitStatus, st.ExitCode()
	}
	return res
}

// command prepares the exec.Cmd: a direct exec of a binary or a script with
// a #! line, else (a redirection check, a shell script without #!) the words
// quoted back into a `/bin/sh -c` line, as keepalived's system() fallback.
func command(s Spec) (*exec.Cmd, error) {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return nil, fmt.Errorf("script: %w", ErrEmpty)
	}
	var cmd *exec.Cmd
	if useShell(s.Args[0]) {
		cmd = exec.Command("/bin/sh", "-c", Quote(s.Args))
	} else {
		path, err := Resolve(s.Args[0])
		if err != nil {
			return nil, err
		}
		if !directExec(path) {
			cmd = exec.Command("/bin/sh", "-c", Quote(append([]string{path}, s.Args[1:]...)))
		} else {
			cmd = &exec.Cmd{Path: path, Args: s.Args}
		}
	}
	cmd.Env = environ(s.Env)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGTERM,
	}
	if c := s.Cred; c != nil && (int(c.UID) != os.Geteuid() || int(c.GID) != os.Getegid() || len(c.Groups) > 0) {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups}
	}
	return cmd, nil
}

// useShell reports a first word that is a redirection ("</dev/tcp/...").
func useShell(arg0 string) bool {
	return strings.HasPrefix(arg0, "<") || strings.HasPrefix(arg0, ">")
}

// Resolve finds the program a command names: a word with a slash is a path,
// a bare word is looked up in PATH.
func Resolve(arg0 string) (string, error) {
	if strings.Contains(arg0, "/") {
		st, err := os.Stat(arg0)
		if err != nil {
			return "", fmt.Errorf("script: %s: %w", arg0, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("script: %s: not executable: %w", arg0, syscall.EACCES)
		}
		return arg0, nil
	}
	p, err := exec.LookPath(arg0)
	if err != nil {
		return "", fmt.Errorf("script: find %s in PATH: %w", arg0, err)
	}
	return p, nil
}

// directExec reports whether the kernel can exec the file itself: an ELF
// binary or a script with a #! line. Anything else goes through /bin/sh.
func directExec(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // let exec report the error
	}
	defer f.Close()
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	return n >= 2 && head[0] == '#' && head[1] == '!' || n == 4 && string(head[:]) == "\x7fELF"
}

func environ(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "IFS" || k == "LD_PRELOAD" || k == "LD_LIBRARY_PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// capBuffer keeps the first max bytes written to it.
type capBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *capBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
