package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/integration/testenv"
)

// TestRunRefusesInsecureScriptFirst: `lvsd run` refuses an insecure
// misc_check before any part starts (the IPVS part would otherwise have
// opened the kernel's IPVS and applied the table first).
func TestRunRefusesInsecureScriptFirst(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	prog := filepath.Join(dir, "ww.sh")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(prog, 0o777); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "lvsd.toml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(`
[global]
enable_script_security = true

[[virtual_server]]
ip = "192.168.200.100"
port = 80

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80

[[virtual_server.real_server.misc_check]]
misc_path = %q
`, prog)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := runDaemon([]string{"-f", file, "--socket", "none", "--state-file", "none"}, &stdout, &stderr)
	// The host checks of `lvsd check` refuse it first, with its position.
	want := file + ":14:1: virtual_server[0].real_server[0].misc_check[0].misc_path: script " + prog +
		" runs as root but is writable by every user"
	if code != exitFailure || !strings.Contains(stderr.String(), want) {
		t.Fatalf("lvsd run: exit %d, stderr %q; want exit %d and %q", code, stderr.String(), exitFailure, want)
	}
}

// TestRunRefusesWhatCheckRefuses: `lvsd run` runs the host checks of
// `lvsd check` at start, as a reload does: a notify script that does not
// exist is refused before anything starts, with its position.
func TestRunRefusesWhatCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lvsd.toml")
	missing := filepath.Join(dir, "no-such-script.sh")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(`
[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
virtual_ipaddress = ["10.99.0.100/32"]
notify_master = %q
`, missing)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := runDaemon([]string{"-f", file, "--socket", "none", "--state-file", "none"}, &stdout, &stderr)
	want := file + ":7:1: vrrp_instance[0].notify_master: script " + missing + " does not exist"
	if code != exitFailure || !strings.Contains(stderr.String(), want) {
		t.Fatalf("lvsd run: exit %d, stderr %q; want exit %d and %q", code, stderr.String(), exitFailure, want)
	}
}
