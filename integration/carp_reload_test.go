package integration

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// TestCARPUcarpInteropReload: lvsd master (advskew 0), ucarp backup
// (advskew 100). A reload that adds a carp_instance leaves "web" untouched
// (the address stays on lvsd's node, no script runs for it) and starts the
// new one; a reload that removes "web" hands it over to ucarp at once
// (lvsd's leaving advert, well within ucarp's 3.39 s master-down time).
func TestCARPUcarpInteropReload(t *testing.T) {
	_, n1, n2 := carpLab(t)
	conf, log := lvsdCARPConf(t, carpSide{skew: 0})
	script := filepath.Join(filepath.Dir(log), "log.sh")
	vip2 := netip.MustParseAddr("10.99.0.101")
	db := `[[carp_instance]]
name = "db"
interface = "eth0"
vhid = 11
pass = "other"
addr = "10.99.0.101"
upscript = "` + script + ` up"
downscript = "` + script + ` down"
virtual_ipaddress = ["10.99.0.101/24"]
`
	dir := t.TempDir()
	path := filepath.Join(dir, "lvsd.toml")
	write := func(c string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(conf)
	sock := filepath.Join(dir, "lvsd.sock")
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", path, "--log-level", "debug",
		"--socket", sock, "--state-file", filepath.Join(dir, "state.json"))
	l := &daemon{node: n1, proc: p, kind: "lvsd"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on %s:\n%s", n1.Name, p.Out.String())
		}
	})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	startUcarp(t, n2, carpSide{skew: 100})
	waitOwner(t, vip4, n1, 2*time.Second, 2*time.Second, n1, n2)
	before := readFile(t, log)

	// Add "db": "web" runs on untouched.
	write(conf + db)
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload: exit %d: %s", code, errs)
	}
	waitOwner(t, vip2, n1, 10*time.Second, 0, n1, n2)
	waitOwner(t, vip4, n1, 0, 5*time.Second, n1, n2)
	added := strings.TrimPrefix(readFile(t, log), before)
	if !strings.Contains(added, "up eth0 10.99.0.101") || strings.Contains(added, "10.99.0.100") {
		t.Errorf("scripts run by the reload that added db: %q", added)
	}

	// Remove "web": ucarp takes over on the leaving advert.
	write(db)
	stopped := time.Now()
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload: exit %d: %s", code, errs)
	}
	waitOwner(t, vip4, n2, 3*time.Second, 0, n1, n2)
	t.Logf("ucarp had the address %v after the reload that removed web", time.Since(stopped).Round(time.Millisecond))
	waitOwner(t, vip2, n1, 0, time.Second, n1, n2)
	_ = l.stop(t)
}
