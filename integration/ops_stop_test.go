package integration

import (
	"github.com/lvsd/lvsd/integration/netlab"
	"testing"
	"time"
)

// TestOpsStopDontReleaseVRRP: stopped with --dont-release-vrrp, lvsd leaves
// its VIP in place and sends no priority-0 advert (keepalived -V); without
// it, a stop removes the VIP.
func TestOpsStopDontReleaseVRRP(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	d := startLvsd(t, n1, lvsdConf(instance{Priority: 200}), "--dont-release-vrrp")
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	if err := d.stop(t); err != nil {
		t.Fatalf("stop: %v\n%s", err, d.proc.Out.String())
	}
	if !n1.HasAddr(vip4) {
		t.Error("--dont-release-vrrp: the VIP was removed at stop")
	}
	n1.MustExec("ip", "addr", "del", vip4.String()+"/24", "dev", "eth0")
	d = startLvsd(t, n1, lvsdConf(instance{Priority: 200}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	if n1.HasAddr(vip4) {
		t.Error("a plain stop left the VIP")
	}
}
