package main

import (
	"bytes"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lvsd/lvsd/config"
)

// allHost is a host on which every interface, user and script exists and
// is safe.
type allHost struct{ missingIf string }

func (h allHost) InterfaceExists(n string) bool { return n != h.missingIf }
func (allHost) Stat(p string) (config.FileInfo, error) {
	if strings.Contains(p, "missing") {
		return config.FileInfo{}, fs.ErrNotExist
	}
	if strings.HasSuffix(p, ".sh") || strings.Contains(p, "bin/") {
		return config.FileInfo{Mode: 0o755}, nil
	}
	return config.FileInfo{Mode: fs.ModeDir | 0o755}, nil
}
func (allHost) LookPath(f string) (string, error) { return "/usr/bin/" + f, nil }
func (allHost) UserExists(string) bool            { return true }

const sketch = "../../config/testdata/sketch.toml"

func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[global]\nrouter_idd = \"x\"\n"), 0o644)
	missingScript := filepath.Join(dir, "script.toml")
	os.WriteFile(missingScript, []byte("[[vrrp_script]]\nname = \"c\"\nscript = \"/missing/x.sh\"\n"), 0o644)
	unreadable := filepath.Join(dir, "dir.toml")
	os.Mkdir(unreadable, 0o755)
	tests := []struct {
		name      string
		args      []string
		host      config.Host
		code      int
		stderrHas string
	}{
		{"sketch valid", []string{"-f", sketch}, allHost{}, 0, "valid (2 vrrp instances, 2 virtual servers, 0 warnings)"},
		{"missing interface warns", []string{"-f", sketch}, allHost{missingIf: "ens9"}, 0, `warning: ../../config/testdata/sketch.toml:70:20: vrrp_instance[0].track_interface[0]: interface "ens9" does not exist on this host`},
		{"invalid", []string{"-f", bad}, allHost{}, 1, bad + ":2:1: global.router_idd: unknown key"},
		{"host error", []string{"-f", missingScript}, allHost{}, 1, "script /missing/x.sh does not exist"},
		{"no-host skips the script check", []string{"-f", missingScript, "--no-host"}, allHost{}, 0, "valid (0 vrrp instances, 0 virtual servers, 0 warnings, host not checked)"},
		{"no-host skips the interface check", []string{"--no-host", "-f", sketch}, allHost{missingIf: "ens9"}, 0, "valid (2 vrrp instances, 2 virtual servers, 0 warnings, host not checked)"},
		{"no-host still rejects a bad file", []string{"--no-host", "-f", bad}, allHost{}, 1, bad + ":2:1: global.router_idd: unknown key"},
		{"missing file", []string{"-f", filepath.Join(dir, "nope.toml")}, allHost{}, 2, "no such file or directory"},
		{"unreadable", []string{"-f", unreadable}, allHost{}, 2, "is a directory"},
		{"bad flag", []string{"--nope"}, allHost{}, 2, "flag provided but not defined"},
		{"extra arg", []string{"-f", sketch, "x"}, allHost{}, 2, "unexpected argument"},
		{"help", []string{"--help"}, allHost{}, 0, "Usage: lvsd check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := checkWith(tt.args, &out, &errb, tt.host)
			if code != tt.code || !strings.Contains(errb.String(), tt.stderrHas) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tt.code, errb.String(), tt.stderrHas)
			}
		})
	}
}

// TestCheckDumpRoundTrip: --dump prints TOML that loads into the same
// configuration.
func TestCheckDumpRoundTrip(t *testing.T) {
	var out, errb bytes.Buffer
	if code := checkWith([]string{"-f", sketch, "--dump"}, &out, &errb, allHost{}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want, err := config.Load(sketch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.Parse(sketch, out.Bytes())
	if err != nil {
		t.Fatalf("dump does not load: %v\n%s", err, out.String())
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netipTypes...)); diff != "" {
		t.Errorf("(-loaded +dumped):\n%s", diff)
	}
	if !strings.Contains(out.String(), "garp_master_repeat = 5") {
		t.Errorf("dump lacks the defaults:\n%s", out.String())
	}
}

var netipTypes = []any{netip.Addr{}, netip.Prefix{}}

// countingHost counts how often lvsd check asks the host anything.
type countingHost struct{ calls *int }

func (h countingHost) InterfaceExists(string) bool { *h.calls++; return false }
func (h countingHost) Stat(string) (config.FileInfo, error) {
	*h.calls++
	return config.FileInfo{}, fs.ErrNotExist
}
func (h countingHost) LookPath(string) (string, error) { *h.calls++; return "", fs.ErrNotExist }
func (h countingHost) UserExists(string) bool          { *h.calls++; return false }

// TestCheckNoHostAsksNothing: --no-host validates a file written for
// another machine without looking at this one at all.
func TestCheckNoHostAsksNothing(t *testing.T) {
	calls := 0
	var out, errb bytes.Buffer
	if code := checkWith([]string{"--no-host", "-f", sketch}, &out, &errb, countingHost{&calls}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if calls != 0 {
		t.Errorf("--no-host asked the host %d times", calls)
	}
	if code := checkWith([]string{"-f", sketch}, &out, &errb, countingHost{&calls}); code != 1 || calls == 0 {
		t.Errorf("without --no-host: exit %d after %d host calls, want 1 after some", code, calls)
	}
}
