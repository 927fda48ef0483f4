package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/ipvs"
)

// TestReloadReadsIncludedFiles: a reload reads the included files again:
// a weight changed in conf.d/ reaches the table, a file added to conf.d/
// adds its virtual server, and an error in an included file is refused
// naming that file and its line, the table untouched.
func TestReloadReadsIncludedFiles(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "lvsd.toml")
	write := func(name, s string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lvsd.toml", "include = [\"conf.d/*.toml\"]\n")
	write("conf.d/web.toml", reloadIPVSConfig)
	o, f, svc, weightOf := startOnFake(t, main)
	waitTable(t, f, "initial table", func(tab ipvs.Table) bool { return len(tab[svc].Destinations) == 2 })

	write("conf.d/web.toml", strings.Replace(reloadIPVSConfig, "10.0.0.2\"\nport = 80\nweight = 1", "10.0.0.2\"\nport = 80\nweight = 3", 1))
	if err := o.reload(); err != nil {
		t.Fatalf("reload with a new weight in conf.d/web.toml: %v", err)
	}
	waitTable(t, f, "new weight", func(ipvs.Table) bool { return weightOf("10.0.0.2") == 3 })

	write("conf.d/mail.toml", strings.NewReplacer("port = 80", "port = 25").Replace(reloadIPVSConfig))
	if err := o.reload(); err != nil {
		t.Fatalf("reload with conf.d/mail.toml added: %v", err)
	}
	waitTable(t, f, "added file", func(tab ipvs.Table) bool { return len(tab) == 2 })

	f.ResetCalls()
	write("conf.d/mail.toml", "[[virtual_server]]\nip = \"192.168.200.100\"\nport = 99999\n")
	err := o.reload()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "conf.d/mail.toml")+":3:") {
		t.Fatalf("reload with an error in conf.d/mail.toml: %v, want it named with its line", err)
	}
	if calls := callOps(f); len(calls) != 0 {
		t.Errorf("a refused file changed the table: %v", calls)
	}
}
