package healthcheck

import (
	"context"
	"os"
	"os/user"
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
	p := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMiscChecker(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		args    []string
		dynamic bool
		reason  Reason
		exit    int
		weight  int
	}{
		{"exit 0", "exit 0", nil, false, ReasonOK, 0, -1},
		{"exit 1", "exit 1", nil, false, ReasonScriptExit, 1, -1},
		{"exit 7 static", "exit 7", nil, false, ReasonScriptExit, 7, -1},
		{"dynamic 0", "exit 0", nil, true, ReasonOK, 0, -1},
		{"dynamic 1", "exit 1", nil, true, ReasonScriptExit, 1, -1},
		{"dynamic 2", "exit 2", nil, true, ReasonOK, 2, 0},
		{"dynamic 12", "exit 12", nil, true, ReasonOK, 12, 10},
		{"dynamic 255", "exit 255", nil, true, ReasonOK, 255, 253},
		{"args", `[ "$1" = "a b" ] && [ "$2" = c ] && exit 0; exit 1`, []string{"a b", "c"}, false, ReasonOK, 0, -1},
		{"signal", "kill -9 $$", nil, false, ReasonScriptSignal, 9, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewMiscChecker(MiscSpec{Scripts: execScripts{}, Argv: append([]string{writeScript(t, tt.body)}, tt.args...), Timeout: 5 * time.Second, Dynamic: tt.dynamic})
			if err != nil {
				t.Fatal(err)
			}
			r := c.Check(context.Background())
			if r.Reason != tt.reason || r.ExitCode != tt.exit || r.Weight != tt.weight {
				t.Fatalf("got %v exit %d weight %d (%s), want %v %d %d", r.Reason, r.ExitCode, r.Weight, r.Detail(), tt.reason, tt.exit, tt.weight)
			}
		})
	}
	c, _ := NewMiscChecker(MiscSpec{Scripts: execScripts{}, Argv: []string{"/nonexistent/check"}})
	if r := c.Check(context.Background()); r.Reason != ReasonScriptStart {
		t.Fatalf("missing program: %s", r.Detail())
	}
}

// TestMiscTimeoutKillsGroup: a script that starts a child and hangs is
// killed on misc_timeout together with its child, even one that ignores
// SIGTERM.
func TestMiscTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	body := `trap '' TERM
sh -c 'trap "" TERM; echo $$ > ` + pidFile + `; sleep 60; sleep 60' &
sleep 60`
	c, err := NewMiscChecker(MiscSpec{Scripts: execScripts{}, Argv: []string{writeScript(t, body)}, Timeout: 500 * time.Millisecond, KillGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := c.Check(context.Background())
	el := time.Since(start)
	if r.Reason != ReasonTimeout {
		t.Fatalf("reason %s", r.Detail())
	}
	if el > 15*time.Second { // the script would sleep 60 s
		t.Fatalf("took %v", el)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal("child never started:", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for {
		// Once reaped by init the pid is gone; a zombie shows state Z.
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d survived the timeout: %s", pid, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMiscRunsAsUser runs the script as nobody.
func TestMiscRunsAsUser(t *testing.T) {
	testenv.NeedRoot(t)
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody (Debian always has it): %v", err)
	}
	cred, err := execScripts{}.LookupUser("nobody", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewMiscChecker(MiscSpec{Scripts: execScripts{}, Argv: []string{"/bin/sh", "-c", `[ "$(id -u)" = "` + u.Uid + `" ]`}, Timeout: 5 * time.Second, Cred: cred})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Check(context.Background()); !r.OK() {
		t.Fatalf("not run as nobody: %s", r.Detail())
	}
}

// TestRunScript: the default notify runner starts the program without a
// shell, with its arguments, and reaps it.
func TestRunScript(t *testing.T) {
	out := filepath.Join(t.TempDir(), "notified")
	defaultRunScript(execScripts{}, nil)([]string{writeScript(t, `echo "$1 $2" > `+out), "DOWN", "10.0.0.1:80"}, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(out)
		if err == nil && string(b) == "DOWN 10.0.0.1:80\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify script output %q (%v)", b, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
