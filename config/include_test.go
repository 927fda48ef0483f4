package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (name → content) under a temporary directory and
// returns its path.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadIn(t *testing.T, dir string) (*Config, error) {
	t.Helper()
	p := filepath.Join(dir, "lvsd.toml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(p, data)
}

const incScript = `[[vrrp_script]]
name = "chk"
script = "/bin/true"
`

const incInstance = `# VI_1 lives here
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["10.0.0.100/24"]
track_script = ["chk"]
`

// TestIncludeMerges: the included files (a glob, sorted) are read after the
// main file as if they followed it: a reference from one included file to
// a block of another resolves, and Included lists the files in order.
func TestIncludeMerges(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"lvsd.toml":            "include = [\"conf.d/*.toml\", \"extra.toml\"]\n\n[global]\nrouter_id = \"d1\"\n",
		"conf.d/20-vi.toml":    incInstance,
		"conf.d/10-chk.toml":   incScript,
		"conf.d/ignored.conf":  "not toml",
		"extra.toml":           "[[track_file]]\nname = \"f\"\nfile = \"/tmp/f\"\n",
		"conf.d/30-empty.toml": "# nothing yet\n",
	})
	c, err := loadIn(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Instances) != 1 || len(c.Scripts) != 1 || len(c.TrackFiles) != 1 || c.Global.RouterID != "d1" {
		t.Fatalf("merged: %d instances, %d scripts, %d track files, router_id %q", len(c.Instances), len(c.Scripts), len(c.TrackFiles), c.Global.RouterID)
	}
	var got []string
	for _, f := range c.Included {
		got = append(got, strings.TrimPrefix(f, dir+"/"))
	}
	if want := "conf.d/10-chk.toml conf.d/20-vi.toml conf.d/30-empty.toml extra.toml"; strings.Join(got, " ") != want {
		t.Errorf("Included %q, want %q", got, want)
	}
}

// TestIncludeErrors: every error names the file it is in and its own line
// there, whichever file that is.
func TestIncludeErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string // FILE:LINE prefix + a part of the message, relative to dir
	}{
		{"error in an included file", map[string]string{
			"lvsd.toml":     "include = [\"conf.d/*.toml\"]\n",
			"conf.d/a.toml": incScript,
			"conf.d/b.toml": strings.Replace(incInstance, "priority = 100", "priority = 300", 1),
		}, []string{"conf.d/b.toml:6:", "priority"}},
		{"a dangling reference across files", map[string]string{
			"lvsd.toml": "include = [\"b.toml\"]\n",
			"b.toml":    incInstance,
		}, []string{"b.toml:", "chk"}},
		{"syntax error in an included file", map[string]string{
			"lvsd.toml": "include = [\"b.toml\"]\n[global]\nrouter_id = \"x\"\n",
			"b.toml":    "[[vrrp_script]]\nname = \"chk\nscript = \"/bin/true\"\n",
		}, []string{"b.toml:2:"}},
		{"top-level key in an included file", map[string]string{
			"lvsd.toml": "include = [\"b.toml\"]\n",
			"b.toml":    "# header\ninclude = [\"c.toml\"]\n" + incScript,
		}, []string{"b.toml:2:", "tables only"}},
		{"missing plain path", map[string]string{
			"lvsd.toml": "# main\ninclude = [\"nope.toml\"]\n",
		}, []string{"lvsd.toml:2:", "no such file"}},
		{"include of the wrong type", map[string]string{
			"lvsd.toml": "include = \"b.toml\"\n",
		}, []string{"lvsd.toml:1:", "include"}},
		{"[global] given twice", map[string]string{
			"lvsd.toml": "include = [\"b.toml\"]\n[global]\nrouter_id = \"x\"\n",
			"b.toml":    "\n[global]\nrouter_id = \"y\"\n",
		}, []string{"b.toml:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, c.files)
			_, err := loadIn(t, dir)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("err %v, want Errors", err)
			}
			found := false
			for _, e := range es {
				s := strings.TrimPrefix(e.Error(), dir+"/")
				if strings.HasPrefix(s, c.want[0]) && (len(c.want) < 2 || strings.Contains(s, c.want[1])) {
					found = true
				}
			}
			if !found {
				t.Errorf("errors:\n%v\nwant one starting %q", err, c.want)
			}
		})
	}
}
