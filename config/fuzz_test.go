package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: no input crashes the loader or hangs it; every failure is an
// Errors list whose entries carry the file name; whatever loads dumps to
// TOML that loads again.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.toml")
	kd, _ := filepath.Glob("testdata/keepalived/*.toml")
	files = append(files, kd...)
	ex, _ := filepath.Glob("../contrib/examples/*.toml")
	for _, p := range append(files, ex...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(defaultsProbe))
	f.Add([]byte(baseInstance + "unicast_peer = [\"10.0.0.2 min_ttl 5\", { ip = \"10.0.0.3\" }]\n"))
	f.Add([]byte("a = '''\nx\n'''\nb.c = \"\\u00e9\"\n[[d]]\n[d.e]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a non-empty Errors: %v", err)
			}
			for _, e := range es {
				if e.File != "fuzz.toml" || e.Msg == "" {
					t.Fatalf("malformed error %#v", e)
				}
				if e.Line < 0 || e.Col < 0 {
					t.Fatalf("negative position %#v", e)
				}
				if e.Path != "" && e.Line == 0 {
					t.Fatalf("no position for %q (%s) in\n%s", e.Path, e.Msg, data)
				}
				if k := e.Path[strings.LastIndexByte(e.Path, '.')+1:]; !e.Near && isBare(k) && !strings.HasSuffix(e.Path, `"`) {
					// An error about a key points at the key itself.
					if at := textAt(data, e.Line, e.Col); !strings.HasPrefix(at, k) && !strings.HasPrefix(at, `"`+k) && !strings.HasPrefix(at, "'"+k) {
						t.Fatalf("%v: the text at %d:%d is %.20q, not the key %q\n%s", e, e.Line, e.Col, at, k, data)
					}
				}
			}
			return
		}
		out := Dump(c)
		if _, err := Parse("dump", out); err != nil {
			t.Fatalf("dump of a valid file does not load: %v\n--- input\n%s\n--- dump\n%s", err, data, out)
		}
	})
}

// textAt returns data from 1-based line and column on.
func textAt(data []byte, line, col int) string {
	lines := strings.SplitAfter(string(data), "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
		return ""
	}
	return lines[line-1][col-1:]
}
