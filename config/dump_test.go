package config

import (
	"strings"

	"github.com/BurntSushi/toml"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDumpRoundTrip: the effective configuration dumped as TOML loads again
// into an equal value, for every file that loads.
func TestDumpRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.toml")
	kd, _ := filepath.Glob("testdata/keepalived/*.toml")
	files = append(files, kd...)
	ex, _ := filepath.Glob("../contrib/examples/*.toml")
	files = append(files, ex...)
	if len(files) == 0 {
		t.Fatal("no configuration files found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("does not load: %v", err)
			}
			out := Dump(c)
			c2, err := Parse("dump", out)
			if err != nil {
				t.Fatalf("dump does not load: %v\n%s", err, out)
			}
			c2.File = c.File
			if diff := cmp.Diff(c, c2, cmpOpts); diff != "" {
				t.Errorf("round trip differs (-loaded +reloaded):\n%s\n%s", diff, out)
			}
			if again := Dump(c2); string(again) != string(out) {
				t.Errorf("second dump differs from the first")
			}
		})
	}
}

// TestDumpComplete: the dump of a file that sets every supported key names
// every supported key, so that --dump loses nothing.
func TestDumpComplete(t *testing.T) {
	c, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	var dumped map[string]any
	if _, err := toml.Decode(string(Dump(c)), &dumped); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := join(prefix, k)
				seen[p] = true
				walk(p, e)
			}
		case []map[string]any:
			for _, e := range x {
				walk(prefix, e)
			}
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok && strings.HasSuffix(prefix, ".url") {
					walk(prefix, m)
				}
			}
		}
	}
	walk("", dumped)
	// Keys the dump spells another way.
	otherSpelling := map[string]bool{
		"vrrp_script.user":                           true, // script = { script, user, group }
		"virtual_server.real_server.misc_check.user": true, // misc_path = { script, user, group }
		"vrrp_instance.preempt":                      true, // nopreempt
		"global.enable_snmp_keepalived":              true, // enable_snmp_vrrp
		"global.enable_snmp_rfc":                     true, // enable_snmp_rfcv2 + enable_snmp_rfcv3
		"garp_group.interface":                       true, // interfaces
		"include":                                    true, // read by Parse: the dump is the files merged
	}
	for _, k := range Keys() {
		if Supported(k) && !seen[k] && !otherSpelling[k] {
			t.Errorf("supported key %s missing from the dump of testdata/full.toml", k)
		}
	}
}
