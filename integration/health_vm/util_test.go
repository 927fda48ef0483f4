package health_vm

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/ipvs"
)

func md5hex(s string) string { d := md5.Sum([]byte(s)); return hex.EncodeToString(d[:]) }

// startDirector writes conf, starts `lvsd run` on it in dir's namespace
// (its output logged if the test fails) and returns the process and an
// IPVS client of that namespace, closed at cleanup.
func startDirector(t *testing.T, dir *netlab.Node, lvsd, conf string) (*netlab.Process, ipvs.Client) {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "lvsd.toml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := dir.Start(lvsd, "run", "-f", cfgPath, "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd output:\n%s", p.Out.String())
		}
	})
	var c ipvs.Client
	if err := dir.Do(func() (err error) { c, err = ipvs.New(); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return p, c
}

// destsOf is the sorted, comma-separated destinations of svc in the
// kernel's table ("error: ..." when it cannot be read).
func destsOf(c ipvs.Client, svc ipvs.ServiceKey) string {
	ds, err := c.Destinations(svc)
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.DestKey.String())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
