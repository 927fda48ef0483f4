package config

import (
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
