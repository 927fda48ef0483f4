package keepalived

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden converts every testdata/*.conf: a file that converts must
// match its .toml (and its warnings its .warn) and load with lvsd's loader;
// a file that does not must match its .err.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			base := strings.TrimSuffix(f, ".conf")
			r, err := Convert(f, Options{ReadOptions: ReadOptions{ConfigID: "lb1"}})
			var got, warn string
			ext := ".toml"
			if err != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("Convert: %v", err)
				}
				got, ext = es.Error()+"\n", ".err"
			} else {
				got = string(r.TOML)
				if len(r.Warnings) > 0 {
					warn = strings.Join(r.Warnings, "\n") + "\n"
				}
				if _, err := config.Parse(f, r.TOML); err != nil {
					t.Errorf("output does not load: %v", err)
				}
				again, err := Convert(f, Options{ReadOptions: ReadOptions{ConfigID: "lb1"}})
				if err != nil || string(again.TOML) != got {
					t.Errorf("second conversion differs (err %v)", err)
				}
			}
			compare(t, base+ext, got)
			if ext == ".toml" {
				compare(t, base+".warn", warn)
			}
		})
	}
}

func compare(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			os.Remove(path)
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
