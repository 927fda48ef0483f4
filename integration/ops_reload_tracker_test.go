package integration

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsReloadSlowTracker: the master tracks a weight-0 vrrp_script that
// takes 5 s (`sleep 5`), longer than the backup's Master_Down_Interval
// (3.6 s). A reload that changes the script hands the whole VRRP part over;
// the new trackers get their first result while the old instances still
// advertise, so the backup never gets the VIP. (Before: the old instances
// stopped, then the reload waited for the script and the backup took over.)
func TestOpsReloadSlowTracker(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	dir := t.TempDir()
	conf := func(interval int) string {
		return lvsdConf(instance{Priority: 200}) + "track_script = [\"slow\"]\n\n" +
			fmt.Sprintf("[global]\nscript_user = \"root\"\n\n[[vrrp_script]]\nname = \"slow\"\nscript = \"/bin/sleep 5\"\ninterval = %d\ntimeout = 8\n", interval)
	}
	cfgPath, sock := filepath.Join(dir, "n1.toml"), filepath.Join(dir, "n1.sock")
	if err := os.WriteFile(cfgPath, []byte(conf(10)), 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 20*time.Second, time.Second, n1, n2)

	adverts := sniff(t, cl, ethIPv4)
	watch := watchOwner(vip4, n1, n2)
	from := time.Now()
	if err := os.WriteFile(cfgPath, []byte(conf(11)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload: exit %d: %s", code, errs)
	}
	time.Sleep(5 * time.Second) // longer than the backup's Master_Down_Interval
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the reload: %s", bad)
	}
	if !strings.Contains(p1.Out.String(), "handing over to new instances") {
		t.Error("the reload did not hand the VRRP part over")
	}
	// The longest silence of the master across the reload, for the record.
	got := adverts.since(from, isAdvert(51, netip.MustParseAddr("10.99.0.1")))
	gap := longestGap(got)
	t.Logf("%d adverts from the master during and after the reload, longest gap %v", len(got), gap.Round(time.Millisecond))
	if !netlab.WaitFor(time.Second, func() bool { return !n2.HasAddr(vip4) }) {
		t.Error("the backup holds the VIP")
	}
}
