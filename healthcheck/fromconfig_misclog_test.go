package healthcheck

import (
	"testing"

	"github.com/lvsd/lvsd/config"
)

// TestFromConfigMiscLogAllFailures: misc_check's log_all_failures reaches
// its check (the scheduler then logs every failed run).
func TestFromConfigMiscLogAllFailures(t *testing.T) {
	for _, on := range []bool{false, true} {
		src := "[[virtual_server]]\nip = \"10.0.0.100\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.1\"\nport = 80\n" +
			"[[virtual_server.real_server.misc_check]]\nmisc_path = { script = \"/bin/true\", user = \"root\" }\n"
		if on {
			src += "log_all_failures = true\n"
		}
		c, err := config.Parse("t.toml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		specs, err := FromConfig(c, execScripts{})
		if err != nil {
			t.Fatal(err)
		}
		if len(specs) != 1 || len(specs[0].Checks) != 1 || specs[0].Checks[0].LogAllFailures != on {
			t.Errorf("log_all_failures %v: %+v", on, specs)
		}
	}
}
