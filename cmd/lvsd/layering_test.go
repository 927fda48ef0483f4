package main

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layerRules maps each top-level package tree to the module trees its
// files, tests included, must not import: a domain package (vrrp, ipvs,
// healthcheck) never imports another one, config imports none of them, and
// none of them imports cmd/ (the daemon owns the wiring and hands each
// package what it needs through an interface that package defines).
var layerRules = map[string][]string{
	"vrrp":        {"cmd", "ipvs", "healthcheck"},
	"ipvs":        {"cmd", "vrrp", "healthcheck"},
	"healthcheck": {"cmd", "vrrp", "ipvs"},
	"config":      {"cmd", "vrrp", "ipvs", "healthcheck"},
}

// layerViolations parses the imports of every Go file, test files
// included, under the trees of layerRules in the module at root: a test
// that imports another domain package couples the two as much as code
// does (a test-only import of vrrp/script by healthcheck once stood here).
func layerViolations(root string) (bad []string, files int, err error) {
	const mod = "github.com/lvsd/lvsd/"
	for top, deny := range layerRules {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			files++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				rest, ok := strings.CutPrefix(p, mod)
				if !ok {
					continue
				}
				for _, d := range deny {
					if rest == d || strings.HasPrefix(rest, d+"/") {
						bad = append(bad, fmt.Sprintf("%s imports %s (%s must not import %s)", path, p, top, d))
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("layering: walk %s: %w", top, err)
		}
	}
	return bad, files, nil
}

// TestLayering: the module's domain packages and config keep the rules.
func TestLayering(t *testing.T) {
	bad, files, err := layerViolations(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files checked: wrong root?", files)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// TestLayeringDetects: a domain package importing another (sub-package
// included), in its code or in its tests, and config importing a domain
// package are found; imports among one domain's own packages are not.
func TestLayeringDetects(t *testing.T) {
	root := t.TempDir()
	write := func(path, src string) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("healthcheck/a.go", "package healthcheck\nimport _ \"github.com/lvsd/lvsd/vrrp/script\"\n")
	write("healthcheck/a_test.go", "package healthcheck\nimport _ \"github.com/lvsd/lvsd/vrrp/script\"\n")
	write("config/b.go", "package config\nimport (\n_ \"fmt\"\n_ \"github.com/lvsd/lvsd/ipvs\"\n)\n")
	write("vrrp/track/c.go", "package track\nimport _ \"github.com/lvsd/lvsd/vrrp/script\"\nimport _ \"github.com/lvsd/lvsd/config\"\n")
	write("ipvs/d.go", "package ipvs\nimport _ \"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool\"\n")
	write("ipvs/e_test.go", "package ipvs\nimport _ \"github.com/lvsd/lvsd/integration/testenv\"\nimport _ \"github.com/lvsd/lvsd/config\"\n")
	bad, files, err := layerViolations(root)
	if err != nil {
		t.Fatal(err)
	}
	if files != 6 || len(bad) != 4 {
		t.Fatalf("files %d, violations %q; want 6 files, 4 violations", files, bad)
	}
	for _, want := range []string{"healthcheck/a.go imports", "healthcheck/a_test.go imports", "config/b.go imports", "ipvs/d.go imports"} {
		found := false
		for _, b := range bad {
			found = found || strings.Contains(b, want)
		}
		if !found {
			t.Errorf("no violation %q in %q", want, bad)
		}
	}
}
