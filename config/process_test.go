package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProcessKeys(t *testing.T) {
	c, err := Parse("t.toml", []byte(`[global]
process_name = "lb-west"
process_priority = -10
cpu_affinity = [3, 1, 3]
rlimit_rttime = 1
umask = "027"
startup_script = "/usr/local/bin/up"
shutdown_script = "/usr/local/bin/down now"
shutdown_script_timeout = 30
`))
	if err != nil {
		t.Fatal(err)
	}
	prio, um := -10, 0o27
	want := Process{Name: "lb-west", Priority: &prio, CPUAffinity: []int{1, 3}, RlimitRTTime: 2, Umask: &um,
		StartupScript: Command{Line: "/usr/local/bin/up"}, StartupScriptTimeout: 10 * time.Second,
		ShutdownScript: Command{Line: "/usr/local/bin/down now"}, ShutdownScriptTimeout: 30 * time.Second}
	if diff := cmp.Diff(want, c.Global.Process); diff != "" {
		t.Errorf("Process (-want +got):\n%s", diff)
	}
	c, err = Parse("t.toml", []byte("[global]\numask = 0o022\n"))
	if err != nil || c.Global.Process.Umask == nil || *c.Global.Process.Umask != 0o22 {
		t.Errorf("umask = 0o022: %v, %v", c.Global.Process.Umask, err)
	}
	c, err = Parse("t.toml", []byte("[global]\nrouter_id = \"x\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Global.Process; p.Priority != nil || p.CPUAffinity != nil || p.Umask != nil || p.StartupScriptTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", p)
	}
}

func TestProcessKeysBad(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{`process_name = "a-name-longer-than-15"`, "global.process_name: \"a-name-longer-than-15\": longer than 15 bytes"},
		{`process_name = ""`, "global.process_name: empty name"},
		{`process_priority = -21`, "global.process_priority: -21 out of range -20..19"},
		{`process_priority = 20`, "out of range -20..19"},
		{`cpu_affinity = []`, "global.cpu_affinity: empty list"},
		{`cpu_affinity = [0, 1024]`, "global.cpu_affinity[1]: 1024 out of range 0..1023"},
		{`cpu_affinity = ["0"]`, "global.cpu_affinity[0]: wrong type string, want integer"},
		{`rlimit_rttime = 0`, "global.rlimit_rttime: 0 out of range"},
		{`umask = "089"`, `global.umask: "089": not an octal mode`},
		{`umask = 0o1777`, "global.umask: 01777 out of range 0..0777"},
		{`startup_script_timeout = 0`, "global.startup_script_timeout: 0s out of range 1s..1000s"},
		{`shutdown_script_timeout = 1001`, "global.shutdown_script_timeout"},
		{`startup_script = ""`, "global.startup_script: empty command line"},
	} {
		_, err := Parse("t.toml", []byte("[global]\n"+tc.in+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
		}
		if err != nil && !strings.Contains(err.Error(), "t.toml:2:") {
			t.Errorf("%s: err %v has no file:line", tc.in, err)
		}
	}
}

func TestCheckUnicastSrc(t *testing.T) {
	for _, tc := range []struct {
		global, inst string
		want         bool
	}{
		{"", "", true},
		{"vrrp_check_unicast_src = false\n", "", false},
		{"vrrp_check_unicast_src = false\n", "check_unicast_src = true\n", true},
		{"", "check_unicast_src = false\n", false},
	} {
		src := "[global]\n" + tc.global + "[[vrrp_instance]]\nname = \"VI\"\ninterface = \"eth0\"\nvirtual_router_id = 1\npriority = 100\nunicast_peer = [\"10.0.0.2\"]\nvirtual_ipaddress = [\"10.0.0.100/24\"]\n" + tc.inst
		c, err := Parse("t.toml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Global.CheckUnicastSrc(&c.Instances[0]); got != tc.want {
			t.Errorf("%q %q: %v, want %v", tc.global, tc.inst, got, tc.want)
		}
	}
}
