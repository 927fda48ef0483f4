package integration

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestNetlinkRcvBufs: the *_rcv_bufs keys reach the sockets of a running
// lvsd, as the kernel reports them (ss -f netlink -m: rb, twice the size
// asked, as the kernel doubles SO_RCVBUF): the VIP request socket
// (vrrp_netlink_cmd_rcv_bufs), the link and address monitors of the VIP
// table and of the instance's tracked interface
// (vrrp_netlink_monitor_rcv_bufs), all forced past net.core.rmem_max, and
// the process-event connector (process_monitor_rcv_bufs, in the initial
// namespace where the connector lives).
func TestNetlinkRcvBufs(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "ss")
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	global := `script_user = "root"
vrrp_netlink_cmd_rcv_bufs = 300000
vrrp_netlink_cmd_rcv_bufs_force = true
vrrp_netlink_monitor_rcv_bufs = 500000
vrrp_netlink_monitor_rcv_bufs_force = true
process_monitor_rcv_bufs = 900000
process_monitor_rcv_bufs_force = true`
	conf := opsConf(global, instance{Priority: 200, Version: 3, Advert: fast}) +
		"track_process = [\"sleepers weight 10\"]\n\n[[vrrp_track_process]]\nname = \"sleepers\"\nprocess = \"sleep\"\n"
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", writeFile(t, "n1.toml", conf), "--socket", "none", "--state-file", "none", "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd:\n%s", p.Out.String())
		}
	})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	// ss does not name a netlink socket's process: every socket of the
	// lab's namespace that is neither the kernel's nor ss's own is lvsd's;
	// in the initial namespace, a connector socket with exactly the size
	// asked is taken as lvsd's. Each socket is counted once.
	rbs := func(out string, keep func(local string) bool) map[string]int {
		got, seen := map[string]int{}, map[string]bool{}
		re := regexp.MustCompile(`rb(\d+)`)
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			m := re.FindStringSubmatch(l)
			if len(f) < 4 || m == nil || seen[f[3]] || !keep(f[3]) {
				continue
			}
			seen[f[3]] = true
			proto, _, _ := strings.Cut(f[3], ":")
			got[proto+" rb"+m[1]]++
		}
		return got
	}
	ours := func(local string) bool {
		return !strings.HasSuffix(local, ":kernel") && !strings.Contains(local, ":ss/")
	}
	var inNS, inRoot map[string]int
	deadline := time.Now().Add(10 * time.Second)
	for {
		inNS = rbs(n1.MustExec("ss", "-f", "netlink", "-a", "-m"), ours)
		out, _ := exec.Command("ss", "-f", "netlink", "-a", "-m").Output()
		inRoot = rbs(string(out), func(string) bool { return true })
		if inNS["rtnl rb600000"] == 1 && inNS["rtnl rb1000000"] == 3 && inRoot[connectorProto+" rb1800000"] >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("lvsd's netlink sockets in its namespace: %v; in the initial one: %v", inNS, inRoot)
	if inNS["rtnl rb600000"] != 1 {
		t.Errorf("no rtnetlink socket with vrrp_netlink_cmd_rcv_bufs 300000 (rb600000): %v", inNS)
	}
	// the VIP table's link and address subscriptions, and track_interface's link one
	if inNS["rtnl rb1000000"] != 3 {
		t.Errorf("want 3 monitors with vrrp_netlink_monitor_rcv_bufs 500000 (rb1000000): %v", inNS)
	}
	if inRoot[connectorProto+" rb1800000"] < 1 {
		t.Errorf("no connector socket with process_monitor_rcv_bufs 900000 (rb1800000): %v", inRoot)
	}
}

// connectorProto is ss's name of NETLINK_CONNECTOR.
const connectorProto = "connector"
