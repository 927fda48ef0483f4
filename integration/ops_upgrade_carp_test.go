package integration

import (
	"strings"
	"testing"
	"time"
)

// TestOpsUpgradeCARP: `lvsd upgrade` of a CARP master next to a ucarp
// backup, three times. The address never leaves lvsd's node and ucarp
// never takes it (its master-down time is 3.39 s), the adverts on the
// segment never pause beyond their 1 s interval (the old process sends no
// leaving advert; the new one advertises at once, continuing the
// counter), and no up or down script runs.
func TestOpsUpgradeCARP(t *testing.T) {
	_, n1, n2 := carpLab(t)
	conf, log := lvsdCARPConf(t, carpSide{skew: 0})
	u := startUpgradeNode(t, n1, conf)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	startUcarp(t, n2, carpSide{skew: 100})
	waitOwner(t, vip4, n1, 2*time.Second, 2*time.Second, n1, n2)
	scripts := readFile(t, log)

	adverts := sniff(t, n2, ethIPv4)
	watch := watchOwner(vip4, n1, n2)
	from := time.Now()
	for i := range 3 {
		u.upgrade(t, i+1)
		time.Sleep(1500 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // longer than ucarp's master-down time
	if bad := watch(); bad != "" {
		t.Errorf("address through the upgrades: %s", bad)
	}
	got := adverts.since(from, isAdvert(10, n1.IP))
	gap := longestGap(got)
	t.Logf("%d CARP adverts from lvsd through 3 upgrades, longest gap %v", len(got), gap.Round(time.Millisecond))
	if len(got) < 8 || gap >= 1100*time.Millisecond {
		t.Errorf("lvsd's adverts through the upgrades: %d, longest gap %v (want < 1.1 s: the advert interval, no pause)", len(got), gap)
	}
	if now := readFile(t, log); now != scripts {
		t.Errorf("scripts ran during the upgrades: %q", strings.TrimPrefix(now, scripts))
	}
	if n2.HasAddr(vip4) {
		t.Error("ucarp holds the address")
	}
}
