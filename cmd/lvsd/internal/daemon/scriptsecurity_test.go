package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp/script"
)

// TestScriptSecurityAtStart: with enable_script_security, `lvsd run`
// refuses to start when a misc_check, notify_up, notify_down, quorum_up or
// quorum_down program run as root could be changed by a non-root user (as
// for vrrp_script and notify scripts), with an error naming the keyword and
// the script; without enable_script_security the same file starts. A
// reload to such a file is refused too and changes nothing.
func TestScriptSecurityAtStart(t *testing.T) {
	testenv.NeedRoot(t) // the check applies to scripts run as root
	dir := t.TempDir()
	prog := filepath.Join(dir, "ww.sh")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(prog, 0o777); err != nil {
		t.Fatal(err)
	}
	const base = `
[global]
script_user = "root"
enable_script_security = %v

[[virtual_server]]
ip = "192.168.200.100"
port = 80
lb_algo = "rr"
%s
[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
%s`
	line := fmt.Sprintf("%q", prog+" arg")
	for _, tt := range []struct {
		kw     string
		vs, rs string // lines added to the virtual server and the real server
	}{
		{kw: "misc_check", rs: "[[virtual_server.real_server.misc_check]]\nmisc_path = " + line + "\ndelay_loop = 60\n"},
		{kw: "notify_up", rs: "notify_up = " + line + "\n"},
		{kw: "notify_down", rs: "notify_down = " + line + "\n"},
		{kw: "quorum_up", vs: "quorum_up = " + line + "\n"},
		{kw: "quorum_down", vs: "quorum_down = " + line + "\n"},
	} {
		t.Run(tt.kw, func(t *testing.T) {
			log := slog.New(slog.DiscardHandler)
			start := func(security bool) (*daemon, error) {
				cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(base, security, tt.vs, tt.rs)))
				if err != nil {
					t.Fatal(err)
				}
				f := ipvs.NewFake()
				d := newDaemon(cfg, log)
				d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
				return d, d.start(context.Background())
			}
			_, err := start(true)
			want := tt.kw + ": script " + prog + " runs as root but is writable by every user"
			if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, script.ErrInsecure) {
				t.Fatalf("start with enable_script_security: %v, want an error with %q", err, want)
			}
			d, err := start(false)
			if err != nil {
				t.Fatalf("start without enable_script_security: %v", err)
			}
			defer d.stop(context.Background())

			// A reload to the insecure file is refused as well.
			file := filepath.Join(t.TempDir(), "lvsd.toml")
			if err := os.WriteFile(file, []byte(fmt.Sprintf(base, true, tt.vs, tt.rs)), 0o644); err != nil {
				t.Fatal(err)
			}
			o := newOps(file, opsFlags{}, log)
			o.d = d
			if err := o.reload(); err == nil || !strings.Contains(err.Error(), prog) {
				t.Fatalf("reload with enable_script_security: %v, want the script named", err)
			}
			if d.cfg.Global.EnableScriptSecurity {
				t.Error("a refused reload replaced the configuration")
			}
		})
	}
}
