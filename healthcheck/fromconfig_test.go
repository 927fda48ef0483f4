package healthcheck

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
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
