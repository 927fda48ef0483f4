package integration

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestDisableLocalIGMP: with disable_local_igmp, the namespace's
// net.ipv4.igmp_link_local_mcast_reports is 0 while lvsd runs and 1 again
// after it stopped.
func TestDisableLocalIGMP(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	read := func() string {
		return strings.TrimSpace(n1.MustExec("cat", "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"))
	}
	if v := read(); v != "1" {
		t.Skipf("igmp_link_local_mcast_reports is %s before lvsd: nothing to turn off", v)
	}
	conf := writeFile(t, "n1.toml", opsConf("disable_local_igmp = true", instance{Priority: 200, Version: 3, Advert: fast}))
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", conf, "--socket", "none", "--state-file", "none")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd:\n%s", p.Out.String())
		}
	})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	if v := read(); v != "0" {
		t.Errorf("running: igmp_link_local_mcast_reports = %s, want 0", v)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if v := read(); v != "1" {
		t.Errorf("stopped: igmp_link_local_mcast_reports = %s, want 1 again", v)
	}
}
