package daemon

import (
	"context"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

// TestReloadQuorumScriptUser: after a reload, a quorum script runs as the
// user the new file gives it, not the old file's (nor lvsd's own for a
// script the old file did not have).
func TestReloadQuorumScriptUser(t *testing.T) {
	testenv.NeedRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody (Debian always has it): %v", err)
	}
	dir, err := os.MkdirTemp("", "lvsd-quorum-reload")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(dir, "q.sh")
	if err := os.WriteFile(sh, []byte("#!/bin/sh\nid -u > "+dir+"/$1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := func(up, down string) string {
		return `
[global]
script_user = "root"

[[virtual_server]]
ip = "192.168.200.100"
port = 80
quorum_up = ` + up + `
` + down + `
[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
`
	}
	file := filepath.Join(t.TempDir(), "lvsd.toml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(conf(`"`+sh+` up"`, ""))
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d := newDaemon(cfg, log)
	d.ipvs.newClient = func() (ipvs.Client, error) { return ipvs.NewFake(), nil }
	if err := d.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.stop(context.Background())
	// keepalived runs quorum_up when a virtual server starts with its
	// quorum: here as the old file's user (root).
	up := filepath.Join(dir, "up")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(up); err == nil && strings.TrimSpace(string(b)) != "" {
			if got := strings.TrimSpace(string(b)); got != "0" {
				t.Fatalf("quorum_up at start ran as uid %s, want 0", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("quorum_up did not run at start")
		}
	}
	if err := os.Remove(up); err != nil {
		t.Fatal(err)
	}
	o := newOps(file, opsFlags{}, log)
	o.d = d
	write(conf(`{ script = "`+sh+` up", user = "nobody" }`, `quorum_down = { script = "`+sh+` down", user = "nobody" }`))
	if err := o.reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for _, tt := range []struct {
		up   bool
		file string
	}{{true, "up"}, {false, "down"}} {
		done := make(chan struct{})
		d.ipvs.runScript(ipvs.Event{VirtualServer: "192.168.200.100:80", QuorumUp: tt.up, Script: sh + " " + tt.file}, done)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("quorum script %s did not end", tt.file)
		}
		b, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatalf("quorum script %s: %v", tt.file, err)
		}
		if got := strings.TrimSpace(string(b)); got != nobody.Uid {
			t.Errorf("after the reload quorum script %s ran as uid %s, want %s (nobody)", tt.file, got, nobody.Uid)
		}
	}
}
