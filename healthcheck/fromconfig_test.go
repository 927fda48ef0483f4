package healthcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
)

func TestFromConfig(t *testing.T) {
	const conf = `
[global]
script_user = "root"

[[virtual_server]]
ip = "192.168.200.100"
port = 443
delay_loop = 6
alpha = true

[[virtual_server.real_server]]
ip = "192.168.201.100"
port = 443
weight = 1
notify_down = "/bin/echo down 'a b'"

[[virtual_server.real_server.ssl_get]]
retry = 3
delay_before_retry = 3
url = [
  { path = "/", digest = "ff20ad2481f97b1754ef3e12ecd3a9cc" },
  { path = "/mrtg/", digest = "9b3a0c85a887a256d6939da88aabd8cd" },
]

[[virtual_server.real_server]]
ip = "192.168.201.101"
port = 443
weight = 3

[[virtual_server.real_server.http_get]]
url = [{ path = "/health", status_code = [200, "300-399"] }]

[[virtual_server.real_server.tcp_check]]
connect_timeout = 2

[[virtual_server.real_server.misc_check]]
misc_path = "/usr/local/bin/check_app 192.168.201.110"
misc_timeout = 5
misc_dynamic = true
`
	c, err := config.Parse("test.toml", []byte(conf))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	specs, err := FromConfig(c, execScripts{})
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 {
		t.Fatalf("%d real servers", len(specs))
	}
	a, b := specs[0], specs[1]
	if a.Key.String() != "192.168.200.100:443 192.168.201.100:443" || !a.Alpha || a.Weight != 1 {
		t.Errorf("a = %+v", a)
	}
	if strings.Join(a.NotifyDown, "|") != "/bin/echo|down|a b" {
		t.Errorf("notify_down argv %q", a.NotifyDown)
	}
	if len(a.Checks) != 1 || a.Checks[0].Policy.Retry != 3 || a.Checks[0].Policy.DelayLoop != 6*time.Second {
		t.Errorf("a checks %+v", a.Checks)
	}
	h := a.Checks[0].Checker.(*HTTPChecker)
	if !h.spec.TLS || len(h.urls) != 2 || !h.urls[0].check || h.spec.Target.String() != "192.168.201.100:443" {
		t.Errorf("ssl_get spec %+v", h.spec)
	}
	if len(b.Checks) != 3 {
		t.Fatalf("b has %d checks", len(b.Checks))
	}
	hb := b.Checks[0].Checker.(*HTTPChecker)
	if got := hb.urls[0].status; len(got) != 2 || got[1] != (StatusRange{Min: 300, Max: 399}) {
		t.Errorf("status ranges %+v", got)
	}
	if tc := b.Checks[1].Checker.(*TCPChecker); tc.spec.Timeout != 2*time.Second {
		t.Errorf("tcp timeout %v", tc.spec.Timeout)
	}
	m := b.Checks[2].Checker.(*MiscChecker)
	if !m.spec.Dynamic || m.spec.Timeout != 5*time.Second || len(m.spec.Argv) != 2 {
		t.Errorf("misc spec %+v", m.spec)
	}
}

// TestFromConfigSketch builds checkers from the project's example file
// (config's copy of the shared sketch, so the test needs nothing outside
// the repository).
func TestFromConfigSketch(t *testing.T) {
	data, err := os.ReadFile("../config/testdata/sketch.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("sketch.toml", data)
	if err != nil {
		t.Fatalf("the sketch does not load: %v", err)
	}
	specs, err := FromConfig(c, execScripts{})
	// The sketch's script_user, lvsd_script, need not exist here: the only
	// acceptable error is that one (its checkers that run no script are
	// built all the same).
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.Contains(line, `unknown user lvsd_script`) {
				t.Fatal(line)
			}
		}
	}
	if len(specs) == 0 {
		t.Fatal("no real servers from the sketch")
	}
}

// TestFromConfigScriptSecurity: with enable_script_security, a misc_check,
// notify_up or notify_down program run as root that a non-root user could
// change (the file, or a directory above it, writable by everyone) is
// refused with an error naming the keyword and the script; without it, or
// run as another user, it is accepted.
func TestFromConfigScriptSecurity(t *testing.T) {
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
			_, err = FromConfig(c, execScripts{})
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

// TestFromConfigUnknownUser: a script user that does not exist is refused
// when the configuration is built, not when the script is due.
func TestFromConfigUnknownUser(t *testing.T) {
	for _, rs := range []string{
		`notify_up = { script = "/bin/true", user = "no-such-user-lvsd" }`,
		`notify_down = { script = "/bin/true", user = "no-such-user-lvsd" }`,
		"[[virtual_server.real_server.misc_check]]\nmisc_path = { script = \"/bin/true\", user = \"no-such-user-lvsd\" }",
	} {
		c, err := config.Parse("t.toml", []byte(`
[[virtual_server]]
ip = "192.168.200.100"
port = 80

[[virtual_server.real_server]]
ip = "10.0.0.1"
port = 80
`+rs+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := FromConfig(c, execScripts{}); err == nil || !strings.Contains(err.Error(), `"no-such-user-lvsd"`) {
			t.Errorf("%s: err %v, want the unknown user named", rs, err)
		}
	}
}
