package integration

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsRestartSyncGroupWithoutOutage: the master of a two-instance sync
// group is killed -9 and started again; both members resume, neither VIP
// leaves it and the backup's group never takes over.
func TestOpsRestartSyncGroupWithoutOutage(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	vip200 := netip.MustParseAddr("10.99.0.200")
	conf := func(prio int) string {
		return lvsdConf(instance{Priority: prio},
			instance{Name: "VI_2", VRID: 52, Priority: prio, VIPs: []string{"10.99.0.200/24 dev eth0"}}) +
			"[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\", \"VI_2\"]\n"
	}
	conf1 := writeFile(t, "n1.toml", conf(200))
	state := filepath.Join(dir, "n1.state")
	start1 := func() *netlab.Process {
		p := n1.Start(testenv.LvsdBinary(t), "run", "-f", conf1, "--socket", filepath.Join(dir, "n1.sock"),
			"--state-file", state, "--log-level", "debug")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("lvsd on n1:\n%s", p.Out.String())
			}
		})
		return p
	}
	p1 := start1()
	startLvsd(t, n2, conf(100))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	waitOwner(t, vip200, n1, time.Second, 0, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Count(readFileString(state), `"MASTER"`) == 2 }) {
		t.Fatal("the state file does not record both members as MASTER")
	}
	watch4, watch200 := watchOwner(vip4, n1, n2), watchOwner(vip200, n1, n2)
	time.Sleep(500 * time.Millisecond)
	p1.Kill()
	time.Sleep(500 * time.Millisecond)
	p1 = start1()
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Count(p1.Out.String(), "cause=resume") == 2 }) {
		t.Fatal("the restarted lvsd did not resume both members")
	}
	time.Sleep(5 * time.Second) // longer than the backup's Master_Down_Interval
	if bad := watch4(); bad != "" {
		t.Errorf("VI_1's VIP through the restart: %s", bad)
	}
	if bad := watch200(); bad != "" {
		t.Errorf("VI_2's VIP through the restart: %s", bad)
	}
	if strings.Contains(p1.Out.String(), "cause=sync_group") {
		t.Error("a resumed member was moved by its group")
	}
}

func readFileString(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
