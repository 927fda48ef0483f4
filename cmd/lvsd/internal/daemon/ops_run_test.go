package daemon

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
)

// TestOpsRunLifecycle: ops.run without privileges (no instance, no virtual
// server): sd_notify READY, a status, a reload (RELOADING, READY), a refused
// reload, a stop through the socket (STOPPING), exit 0, pid file removed,
// no goroutine left.
func TestOpsRunLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	nsock := filepath.Join(dir, "notify.sock")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: nsock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	t.Setenv("NOTIFY_SOCKET", nsock)
	file := filepath.Join(dir, "lvsd.toml")
	if err := os.WriteFile(file, []byte("[global]\nmetrics_listen = \"127.0.0.1:0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	flags := opsFlags{socket: filepath.Join(dir, "lvsd.sock"), socketSet: true, pidFile: filepath.Join(dir, "lvsd.pid"),
		stateFile: filepath.Join(dir, "state.json")}
	o := newOps(file, flags, slog.New(slog.DiscardHandler))
	code := make(chan int, 1)
	go func() { code <- o.run(cfg) }()

	read := func(want string) {
		t.Helper()
		buf := make([]byte, 4096)
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := nc.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), want) {
			t.Fatalf("sd_notify: got %q (%v), want %s...", buf[:n], err, want)
		}
	}
	read("READY=1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, flags.socket, control.CmdStatus)
	if err != nil || !resp.OK || resp.Status.PID != os.Getpid() || resp.Status.ConfigFile != file {
		t.Fatalf("status: %+v %v", resp, err)
	}
	if resp, err := control.Call(ctx, flags.socket, control.CmdReload); err != nil || !resp.OK {
		t.Fatalf("reload: %+v %v", resp, err)
	}
	read("RELOADING=1")
	read("READY=1")
	if err := os.WriteFile(file, []byte("[global]\nbogus = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if resp, err := control.Call(ctx, flags.socket, control.CmdReload); err != nil || resp.OK || !strings.Contains(resp.Error, "bogus") {
		t.Fatalf("bad reload: %+v %v", resp, err)
	}
	read("RELOADING=1")
	read("READY=1")
	if b, err := os.ReadFile(flags.pidFile); err != nil || strings.TrimSpace(string(b)) == "" {
		t.Fatalf("pid file: %q %v", b, err)
	}
	if resp, err := control.Call(ctx, flags.socket, control.CmdStop); err != nil || !resp.OK {
		t.Fatalf("stop: %+v %v", resp, err)
	}
	read("STOPPING=1")
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit code %d", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if _, err := os.Stat(flags.pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left: %v", err)
	}
	if _, err := os.Stat(flags.stateFile); err != nil {
		t.Errorf("no state file: %v", err)
	}
}
