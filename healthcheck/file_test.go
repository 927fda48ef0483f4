package healthcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/config"
)

func TestFileChecker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "weight")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type step struct {
		content string // "" = remove the file
		want    Reason
		weight  int
	}
	for _, tc := range []struct {
		name  string
		spec  FileSpec
		steps []step
	}{
		{"weight 0: non-zero is a fault", FileSpec{Weight: 0, Configured: 5}, []step{
			{"0\n", ReasonOK, 5}, {"1\n", ReasonFileFault, -1}, {"", ReasonOK, 5}, {"junk", ReasonOK, 5},
		}},
		{"weight 0 reverse: zero is a fault", FileSpec{Weight: 0, Reverse: true, Configured: 5}, []step{
			{"1\n", ReasonOK, 5}, {"0\n", ReasonFileFault, -1}, {"", ReasonFileFault, -1},
		}},
		{"weight 10", FileSpec{Weight: 10, Configured: 5}, []step{
			{"3\n", ReasonOK, 35}, {"-1", ReasonOK, 0}, {"0x10", ReasonOK, 165}, {"99999999999", ReasonOK, 165}, {"100000", ReasonOK, 65535},
		}},
		{"weight 2 reverse", FileSpec{Weight: 2, Reverse: true, Configured: 10}, []step{
			{"3", ReasonOK, 4}, {"6", ReasonOK, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Path = path
			c, err := NewFileChecker(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				if s.content == "" {
					os.Remove(path)
				} else {
					write(s.content)
				}
				r := c.Check(context.Background())
				if r.Reason != s.want || r.Weight != s.weight {
					t.Errorf("file %q: got %s weight %d, want %s weight %d", s.content, r.Detail(), r.Weight, s.want, s.weight)
				}
			}
		})
	}
}

func TestFromConfigFileCheck(t *testing.T) {
	const conf = `
[[track_file]]
name = "tf"
file = "/run/lvsd-test/weight"
weight = "3 reverse"
[[virtual_server]]
ip = "10.0.0.1"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
weight = 20
[[virtual_server.real_server.file_check]]
track_file = "tf"
[[virtual_server.real_server.file_check]]
track_file = "tf"
weight = 0
`
	c, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	var got []FileSpec
	for _, ch := range specs[0].Checks {
		got = append(got, ch.Checker.(*FileChecker).spec)
		if ch.Policy.DelayLoop != FileCheckInterval || ch.Policy.Retry != 0 {
			t.Errorf("policy %+v", ch.Policy)
		}
	}
	want := []FileSpec{{"/run/lvsd-test/weight", 3, true, 20}, {"/run/lvsd-test/weight", 0, false, 20}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("specs %+v, want %+v", got, want)
	}
	_, err = config.Parse("t.toml", []byte("[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.file_check]]\ntrack_file = \"nope\"\n"))
	if err == nil || !strings.Contains(err.Error(), `file_check[0].track_file: track_file "nope" not defined`) {
		t.Errorf("undefined track_file: %v", err)
	}
}
