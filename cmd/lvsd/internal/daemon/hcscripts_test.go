package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestCheckerScriptsRun: the daemon's adapter gives healthcheck
// vrrp/script's outcomes: exit status, signal, a missing program, and a
// timeout that kills the script's whole process group, a child that
// ignores SIGTERM included.
func TestCheckerScriptsRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pidFile := filepath.Join(dir, "child.pid")
	for _, tt := range []struct {
		name    string
		argv    []string
		outcome healthcheck.ScriptOutcome
		code    int // ExitCode or Signal
	}{
		{"exit 0", []string{write("ok.sh", "exit 0")}, healthcheck.ScriptOK, 0},
		{"exit 7", []string{write("seven.sh", "exit 7")}, healthcheck.ScriptExit, 7},
		{"args", []string{write("args.sh", `[ "$1" = "a b" ] && exit 0; exit 1`), "a b"}, healthcheck.ScriptOK, 0},
		{"signal", []string{write("kill.sh", "kill -9 $$")}, healthcheck.ScriptSignal, 9},
		{"missing", []string{"/nonexistent/check"}, healthcheck.ScriptStart, 0},
		{"timeout", []string{write("hang.sh", `trap '' TERM
sh -c 'trap "" TERM; echo $$ > `+pidFile+`; sleep 60; sleep 60' &
sleep 60`)}, healthcheck.ScriptTimeout, 9},
	} {
		start := time.Now()
		res := checkerScripts{}.Run(context.Background(), tt.argv, nil, 300*time.Millisecond, 200*time.Millisecond)
		code := res.ExitCode
		if tt.outcome == healthcheck.ScriptSignal || tt.outcome == healthcheck.ScriptTimeout {
			code = res.Signal
		}
		if res.Outcome != tt.outcome || (tt.outcome != healthcheck.ScriptStart && code != tt.code) {
			t.Errorf("%s: %v (outcome %d, code %d), want outcome %d code %d", tt.name, res, res.Outcome, code, tt.outcome, tt.code)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("%s: took %v", tt.name, el)
		}
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal("the timed-out script's child never started:", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d survived the timeout: %s", pid, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckerScriptsSecurity: with enable_script_security, a misc_check,
// notify_up or notify_down program run as root that a non-root user could
// change (the file, or a directory above it, writable by everyone) is
// refused with an error naming the keyword and the script; without it, or
// run as another user, it is accepted.
func TestCheckerScriptsSecurity(t *testing.T) {
	testenv.NeedRoot(t) // script.CheckCommand checks only what runs as root
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p string, mode os.FileMode) string {
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	safe := write(filepath.Join(dir, "safe.sh"), 0o755)
	worldWritable := write(filepath.Join(dir, "ww.sh"), 0o777)
	inOpenDir := write(filepath.Join(open, "check.sh"), 0o755)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, kw := range []string{"misc_check", "notify_up", "notify_down"} {
		for _, tt := range []struct {
			prog, user string
			security   bool
			why        string // "" = accepted
		}{
			{prog: safe, security: true},
			{prog: worldWritable, security: false},
			{prog: worldWritable, security: true, why: "script " + worldWritable + " runs as root but is writable by every user"},
			{prog: inOpenDir, security: true, why: "directory " + open + " of script " + inOpenDir + " runs as root but is writable by every user"},
			{prog: inOpenDir, security: false},
			{prog: worldWritable, user: "nobody", security: true},
		} {
			cmd := fmt.Sprintf("%q", tt.prog+" arg")
			if tt.user != "" {
				cmd = fmt.Sprintf("{ script = %q, user = %q }", tt.prog+" arg", tt.user)
			}
			rs := "notify_up = " + cmd + "\n"
			switch kw {
			case "notify_down":
				rs = "notify_down = " + cmd + "\n"
			case "misc_check":
				rs = "[[virtual_server.real_server.misc_check]]\nmisc_path = " + cmd + "\n"
			}
			c, err := config.Parse("t.toml", []byte(fmt.Sprintf(`
[global]
script_user = "root"
enable_script_security = %v

[[virtual_server]]
ip = "192.168.200.100"
port = 80

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
%s`, tt.security, rs)))
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s %s user=%q enable_script_security=%v", kw, tt.prog, tt.user, tt.security)
			_, err = healthcheck.FromConfig(c, checkerScripts{})
			switch {
			case tt.why == "" && err != nil:
				t.Errorf("%s: refused: %v", name, err)
			case tt.why != "" && err == nil:
				t.Errorf("%s: accepted", name)
			case tt.why != "":
				if want := "192.168.200.100:80 10.0.0.1:80: " + kw + ": " + tt.why; err.Error() != want {
					t.Errorf("%s: error\n%s\nwant\n%s", name, err, want)
				}
				if !errors.Is(err, config.ErrInsecureScript) {
					t.Errorf("%s: %v is not config.ErrInsecureScript", name, err)
				}
			}
		}
	}
}
