package script

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		args   []string
		reason Reason
		code   int
	}{
		{"ok", "#!/bin/sh\nexit 0\n", nil, ReasonOK, 0},
		{"exit 3", "#!/bin/sh\necho oops >&2; exit 3\n", nil, ReasonExitStatus, 3},
		{"args", "#!/bin/sh\n[ \"$1\" = 'a b' ] && [ \"$2\" = x ]\n", []string{"a b", "x"}, ReasonOK, 0},
		{"no shebang goes through sh", "exit 4\n", nil, ReasonExitStatus, 4},
		{"self signal", "#!/bin/sh\nkill -USR1 $$\nsleep 5\n", nil, ReasonSignal, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeScript(t, tt.body)
			r := Run(context.Background(), Spec{Args: append([]string{p}, tt.args...), Timeout: 10 * time.Second})
			if r.Reason != tt.reason || r.ExitCode != tt.code {
				t.Fatalf("Run = %v (reason %v, code %d, err %v), want %v code %d", r, r.Reason, r.ExitCode, r.Err, tt.reason, tt.code)
			}
		})
	}
}

func TestRunStderrAndPATH(t *testing.T) {
	r := Run(context.Background(), Spec{Args: []string{"sh", "-c", "echo complaint >&2; exit 1"}})
	if r.Reason != ReasonExitStatus || strings.TrimSpace(string(r.Stderr)) != "complaint" {
		t.Fatalf("Run = %v, stderr %q", r, r.Stderr)
	}
}

func TestRunRedirectionCheck(t *testing.T) {
	// keepalived users write checks like "</dev/tcp/127.0.0.1/80"; these
	// need the shell.
	if r := Run(context.Background(), Spec{Args: []string{"</dev/null"}}); !r.OK() {
		t.Errorf("</dev/null: %v", r)
	}
	if r := Run(context.Background(), Spec{Args: []string{"</nonexistent/file"}}); r.OK() {
		t.Errorf("</nonexistent/file succeeded")
	}
}

func TestRunStartFailures(t *testing.T) {
	nonexec := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(nonexec, []byte("exit 0\n"), 0o644)
	for _, args := range [][]string{{"/nonexistent/x"}, {"no-such-command-lvsd"}, {nonexec}, {}} {
		r := Run(context.Background(), Spec{Args: args})
		if r.Reason != ReasonStart || r.Err == nil {
			t.Errorf("Run(%q) = %v, want start failure", args, r)
		}
	}
}

func alive(pid int) bool {
	// A zombie still answers kill(0); check /proc state too.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// TestRunTimeoutKillsGroup: a script that hangs past its timeout, with a
// child and a grandchild, is killed with all of them and counts as a
// timeout (a failure).
func TestRunTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	p := writeScript(t, "#!/bin/sh\n"+
		"trap '' TERM\n"+ // ignore SIGTERM: SIGKILL must follow
		"sleep 1000 & echo $! >> "+pids+"\n"+
		"sh -c 'sleep 1000 & echo $! >> "+pids+"; wait' &\n"+
		"echo $$ >> "+pids+"\n"+
		"while :; do sleep 1; done\n")
	start := time.Now()
	r := Run(context.Background(), Spec{Args: []string{p}, Timeout: 300 * time.Millisecond, KillGrace: 200 * time.Millisecond})
	t.Logf("result %v after %v", r, time.Since(start))
	if r.Reason != ReasonTimeout || r.OK() {
		t.Fatalf("Run = %v, want timeout", r)
	}
	b, _ := os.ReadFile(pids)
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		t.Fatalf("script recorded pids %q, want 3", b)
	}
	var left []int
	ok := waitFor(5*time.Second, func() bool {
		left = left[:0]
		for _, f := range fields {
			pid, _ := strconv.Atoi(f)
			if alive(pid) {
				left = append(left, pid)
			}
		}
		return len(left) == 0
	})
	if !ok {
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("processes %v of the timed-out script still alive", left)
	}
}

func TestRunContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	r := Run(ctx, Spec{Args: []string{"sleep", "1000"}, KillGrace: 100 * time.Millisecond})
	if r.Reason != ReasonTimeout {
		t.Fatalf("Run after cancel = %v, want timeout", r)
	}
}

func TestRunAsUser(t *testing.T) {
	testenv.NeedRoot(t) // switching user needs root
	c, err := LookupUser("nobody", "")
	if err != nil {
		t.Fatalf("user nobody (Debian always has it): %v", err)
	}
	out := filepath.Join(t.TempDir(), "id")
	os.Chmod(filepath.Dir(filepath.Dir(out)), 0o755)
	os.Chmod(filepath.Dir(out), 0o777)
	r := Run(context.Background(), Spec{Args: []string{"sh", "-c", "id -u > " + out}, Cred: c})
	if !r.OK() {
		t.Fatalf("Run as nobody: %v %s", r, r.Stderr)
	}
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(int(c.UID)) {
		t.Fatalf("script ran as uid %s, want %d", got, c.UID)
	}
	if _, err := LookupUser("no-such-user-lvsd", ""); err == nil {
		t.Error("LookupUser(no-such-user) succeeded")
	}
	if c, err := LookupUser("nobody", "0"); err != nil || c.GID != 0 {
		t.Errorf("LookupUser(nobody, 0) = %+v, %v", c, err)
	}
}

func TestCheckSecure(t *testing.T) {
	testenv.NeedRoot(t) // needs root-owned files
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	p := filepath.Join(dir, "s")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
	if err := CheckSecure(p); err != nil {
		// TempDir lives under /tmp (sticky, world-writable): allowed.
		t.Fatalf("CheckSecure(root-owned 0755) = %v", err)
	}
	os.Chmod(p, 0o757)
	if err := CheckSecure(p); !errors.Is(err, ErrInsecure) {
		t.Errorf("world-writable script: %v, want ErrInsecure", err)
	}
	os.Chmod(p, 0o755)
	os.Chown(p, 65534, 0)
	if err := CheckSecure(p); !errors.Is(err, ErrInsecure) {
		t.Errorf("script owned by 65534: %v, want ErrInsecure", err)
	}
}

func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}
