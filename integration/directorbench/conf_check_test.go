package directorbench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
)

// The generated TOML loads into the table it describes, and keepalived
// accepts the generated keepalived.conf (keepalived -t).
func TestGeneratedConfigs(t *testing.T) {
	for _, tab := range []table{{vs: 30, rs: 10}, {vs: 20, rs: 10, check: "tcp", bumped: true}, {vs: 2, rs: 3, check: "http"}} {
		cfg, err := config.Parse("bench.toml", []byte(tab.lvsd()))
		if err != nil {
			t.Fatalf("%+v: %v", tab, err)
		}
		if len(cfg.VirtualServers) != tab.vs {
			t.Fatalf("%+v: %d virtual servers", tab, len(cfg.VirtualServers))
		}
		for i, vs := range cfg.VirtualServers {
			if len(vs.RealServers) != tab.rs || vs.IP != svcAddr(i) {
				t.Fatalf("%+v: virtual server %d: %s with %d real servers", tab, i, vs.IP, len(vs.RealServers))
			}
			for j, rs := range vs.RealServers {
				if rs.IP != rsAddr(i, j) || rs.Weight != tab.weight(i, j) {
					t.Fatalf("%+v: real server %d/%d: %s weight %d", tab, i, j, rs.IP, rs.Weight)
				}
			}
		}
	}
	ka := testenv.NeedBinary(t, "keepalived")
	for _, tab := range []table{{vs: 30, rs: 10}, {vs: 2, rs: 3, check: "tcp"}, {vs: 2, rs: 3, check: "http", bumped: true}} {
		f := filepath.Join(t.TempDir(), "keepalived.conf")
		if err := os.WriteFile(f, []byte(tab.keepalived()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(ka, "-t", "-f", f).CombinedOutput(); err != nil {
			t.Fatalf("%+v: keepalived -t: %v\n%s", tab, err, out)
		}
	}
}
