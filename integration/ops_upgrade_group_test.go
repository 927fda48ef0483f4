package integration

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestOpsUpgradeVMACSyncGroup: `lvsd upgrade` twice on a master whose two
// instances are in one sync group, one of them on a VMAC. Each time the
// pid changes, both VIPs stay on the master (polled every 5 ms) and never
// reach the backup, both VRIDs' adverts never pause longer than their 1 s
// interval, the VMAC is the same link throughout (same ifindex: never
// deleted and made again), and both instances and the group are taken over
// quietly (no transition).
func TestOpsUpgradeVMACSyncGroup(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	vipB := netip.MustParseAddr("10.99.0.200")
	conf := func(prio int) string {
		return lvsdConf(
			instance{Priority: prio, VMAC: true},
			instance{Name: "VI_2", VRID: 52, Priority: prio, VIPs: []string{"10.99.0.200/24 dev eth0"}},
		) + "\n[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\", \"VI_2\"]\n"
	}
	u := startUpgradeNode(t, n1, conf(200))
	startLvsd(t, n2, conf(100))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	waitOwner(t, vipB, n1, 5*time.Second, 0, n1, n2)
	vmacIndex := func() string {
		out, err := exec.Command("ip", "-n", n1.NS, "-o", "link", "show", "vrrp.51").Output()
		if err != nil {
			t.Fatalf("VMAC vrrp.51 on n1: %v", err)
		}
		return strings.SplitN(string(out), ":", 2)[0]
	}
	idx := vmacIndex()

	adverts := sniff(t, cl, ethIPv4)
	watchA, watchB := watchOwner(vip4, n1, n2), watchOwner(vipB, n1, n2)
	from := time.Now()
	for i := range 2 {
		u.upgrade(t, i+1)
		if got := vmacIndex(); got != idx {
			t.Errorf("upgrade %d: VMAC ifindex %s -> %s (re-created)", i+1, idx, got)
		}
		time.Sleep(1500 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // longer than the backup's Master_Down_Interval
	for name, w := range map[string]func() string{"VI_1 (VMAC)": watchA, "VI_2": watchB} {
		if bad := w(); bad != "" {
			t.Errorf("%s VIP through the upgrades: %s", name, bad)
		}
	}
	for _, vrid := range []byte{51, 52} {
		got := adverts.since(from, isAdvert(vrid, netip.MustParseAddr("10.99.0.1")))
		gap := longestGap(got)
		t.Logf("VRID %d: %d adverts from the master through 2 upgrades, longest gap %v", vrid, len(got), gap.Round(time.Millisecond))
		if len(got) < 6 || gap >= 1100*time.Millisecond {
			t.Errorf("VRID %d adverts through the upgrades: %d, longest gap %v (want < 1.1 s)", vrid, len(got), gap)
		}
	}
	if o := u.p.Out.String(); strings.Count(o, "upgrade: took over") != 2 || strings.Contains(o, "cause=resume") {
		t.Errorf("want 2 quiet take-overs and no resume in the log")
	}
	if n2.HasAddr(vip4) || n2.HasAddr(vipB) {
		t.Error("the backup holds a VIP")
	}
}
