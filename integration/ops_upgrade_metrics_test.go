package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsUpgradeMetricsListenChanged: an upgrade to a configuration with
// another metrics_listen serves metrics at the new address and no longer at
// the old one (the inherited listener is closed, not reused); with the
// address unchanged the listener is handed over and keeps serving.
func TestOpsUpgradeMetricsListenChanged(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "curl")
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	conf := func(port string) string {
		return opsConf(`metrics_listen = "127.0.0.1:`+port+`"`, instance{Priority: 200})
	}
	u := startUpgradeNode(t, n1, conf("9650"))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	serves := func(port string) bool {
		o, err := n1.Exec(t.Context(), "curl", "-sf", "-m", "2", "http://127.0.0.1:"+port+"/metrics")
		return err == nil && strings.Contains(string(o), "lvsd_")
	}
	if !serves("9650") {
		t.Fatal("no metrics at 127.0.0.1:9650 before the upgrades")
	}
	upgrade := func(what string) {
		t.Helper()
		u.install(t)
		if _, errs, code := lvsdCmd(t, "upgrade", "--socket", u.sock); code != 0 {
			t.Fatalf("upgrade %s: exit %d: %s", what, code, errs)
		}
	}
	upgrade("with metrics_listen unchanged")
	if !serves("9650") {
		t.Error("no metrics at 127.0.0.1:9650 after an upgrade that kept it")
	}
	if err := os.WriteFile(u.conf, []byte(conf("9651")), 0o644); err != nil {
		t.Fatal(err)
	}
	upgrade("to metrics_listen 127.0.0.1:9651")
	if !netlab.WaitFor(3*time.Second, func() bool { return serves("9651") }) {
		t.Error("no metrics at the new metrics_listen 127.0.0.1:9651 after the upgrade")
	}
	if serves("9650") {
		t.Error("metrics still served at the old metrics_listen 127.0.0.1:9650")
	}
}
