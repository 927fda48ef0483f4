package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
)

// TestStartupShutdownScripts: ops.run runs startup_script and waits for it
// before anything starts (the control socket answers only after it), and
// shutdown_script after everything stopped (the state file is written
// already); a startup script outliving startup_script_timeout is killed
// and lvsd starts anyway.
func TestStartupShutdownScripts(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tc := range []struct {
		name, startup string
		timeout       int
		want          string
	}{
		{"waited", "sleep 0.3; echo up >> %[1]s", 10, "up\nsocket\nstate\ndown\n"},
		{"killed", "echo started >> %[1]s; sleep 30; echo late >> %[1]s", 1, "started\nsocket\nstate\ndown\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			trace := filepath.Join(dir, "trace")
			sock := filepath.Join(dir, "lvsd.sock")
			state := filepath.Join(dir, "state.json")
			up := filepath.Join(dir, "up.sh")
			down := filepath.Join(dir, "down.sh")
			if err := os.WriteFile(up, []byte("#!/bin/sh\n"+fmt.Sprintf(tc.startup, trace)+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			// the shutdown script sees the state file written and records it
			if err := os.WriteFile(down, []byte(fmt.Sprintf("#!/bin/sh\n[ -s %s ] && echo state >> %s\necho down >> %s\n", state, trace, trace)), 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "lvsd.toml")
			src := fmt.Sprintf("[global]\nstartup_script = %q\nstartup_script_timeout = %d\nshutdown_script = %q\n", up, tc.timeout, down)
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			o := newOps(file, opsFlags{socket: sock, socketSet: true, stateFile: state}, slog.New(slog.DiscardHandler))
			code := make(chan int, 1)
			begin := time.Now()
			go func() { code <- o.run(cfg) }()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for {
				resp, err := control.Call(ctx, sock, control.CmdStatus)
				if err == nil && resp.OK {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("never served: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			f, err := os.OpenFile(trace, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(f, "socket")
			f.Close()
			if tc.name == "killed" {
				if took := time.Since(begin); took < time.Second || took > 8*time.Second {
					t.Errorf("started after %v, want about the 1s timeout", took)
				}
			}
			if resp, err := control.Call(ctx, sock, control.CmdStop); err != nil || !resp.OK {
				t.Fatalf("stop: %+v %v", resp, err)
			}
			select {
			case c := <-code:
				if c != exitOK {
					t.Errorf("exit code %d", c)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("run did not return")
			}
			b, _ := os.ReadFile(trace)
			if string(b) != tc.want {
				t.Errorf("trace %q, want %q", b, tc.want)
			}
		})
	}
}
