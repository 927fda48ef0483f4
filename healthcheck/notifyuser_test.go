package healthcheck

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestNotifyScriptUsers: notify_up and notify_down each run as their own
// user and group, else as script_user/script_group (as keepalived runs
// them); FromConfig resolves them and the scheduler's default runner starts
// the scripts.
func TestNotifyScriptUsers(t *testing.T) {
	testenv.NeedRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody (Debian always has it): %v", err)
	}
	nogroup, err := user.LookupGroup("nogroup")
	if err != nil {
		t.Fatalf("group nogroup (Debian always has it): %v", err)
	}
	// A directory every user can write, outside t.TempDir (mode 0700).
	dir, err := os.MkdirTemp("", "lvsd-notify-user")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(sh, []byte("#!/bin/sh\necho \"$(id -u):$(id -g)\" > "+dir+"/$1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := func(arg, user, group string) string {
		if user == "" {
			return fmt.Sprintf("%q", sh+" "+arg)
		}
		return fmt.Sprintf("{ script = %q, user = %q, group = %q }", sh+" "+arg, user, group)
	}
	for i, tt := range []struct {
		name                string
		scriptUser          string // script_user value
		upUser, upGroup     string
		downUser, downGroup string
		wantUp, wantDown    string // uid:gid
	}{
		{name: "notify_down has its own user", scriptUser: "root",
			downUser: "nobody", wantUp: "0:0", wantDown: nobody.Uid + ":" + nobody.Gid},
		{name: "notify_up has its own user and group", scriptUser: "root",
			upUser: "nobody", upGroup: "root", wantUp: nobody.Uid + ":0", wantDown: "0:0"},
		{name: "notify_down has its own group", scriptUser: "nobody",
			downUser: "nobody", downGroup: "nogroup", wantUp: nobody.Uid + ":" + nobody.Gid, wantDown: nobody.Uid + ":" + nogroup.Gid},
		{name: "script_group applies to both", scriptUser: "root nogroup",
			wantUp: "0:" + nogroup.Gid, wantDown: "0:" + nogroup.Gid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up, down := fmt.Sprintf("up%d", i), fmt.Sprintf("down%d", i)
			c, err := config.Parse("t.toml", []byte(fmt.Sprintf(`
[global]
script_user = %q

[[virtual_server]]
ip = "192.168.200.100"
port = 80
alpha = true

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
notify_up = %s
notify_down = %s
`, tt.scriptUser, cmd(up, tt.upUser, tt.upGroup), cmd(down, tt.downUser, tt.downGroup))))
			if err != nil {
				t.Fatal(err)
			}
			specs, err := FromConfig(c, execScripts{})
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) != 1 {
				t.Fatalf("%d real servers", len(specs))
			}
			// One check, up at its first run (notify_up), down at its
			// second (notify_down, retry 0).
			chk := &scripted{key: "updown" + up, fn: func(n int) Result {
				if n == 0 {
					return pass(-1)
				}
				return fail(ReasonTimeout)
			}}
			specs[0].Checks = []CheckConfig{{Name: "updown", Checker: chk, Policy: Policy{DelayLoop: 50 * time.Millisecond, DelayBeforeRetry: 50 * time.Millisecond}}}
			s := New(Options{Jitter: -1, Scripts: execScripts{}})
			s.Set(specs)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); s.Run(ctx) }()
			defer func() { cancel(); wg.Wait() }()
			for _, f := range []struct{ file, want string }{{up, tt.wantUp}, {down, tt.wantDown}} {
				p := filepath.Join(dir, f.file)
				var b []byte
				deadline := time.Now().Add(10 * time.Second)
				for {
					b, err = os.ReadFile(p)
					if err == nil && strings.HasSuffix(string(b), "\n") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s did not run: %v", f.file, err)
					}
					time.Sleep(10 * time.Millisecond)
				}
				if got := strings.TrimSpace(string(b)); got != f.want {
					t.Errorf("notify script %s ran as uid:gid %s, want %s", f.file, got, f.want)
				}
			}
		})
	}
}
