package integration

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// Interop with the real keepalived (Debian's 2.2.7): one lvsd node and one
// keepalived node in one VRRP group. The higher-priority side must stay the
// only master for a while (so the backup accepts its adverts), then it is
// killed with its link down and the other side takes over.

type interopCase struct {
	name   string
	ipv6   bool
	unicst bool
	in     instance
}

var interopCases = []interopCase{
	{name: "v2-multicast-pass", in: instance{Pass: "s3cr3t"}},
	{name: "v2-unicast-pass", unicst: true, in: instance{Pass: "s3cr3t"}},
	{name: "v3-ipv4", in: instance{Version: 3, Advert: "0.5"}},
	{name: "v3-ipv4-checksum-as-v2", in: instance{Version: 3, Advert: "0.5", AsV2: true}},
	{name: "v3-ipv6", ipv6: true, in: instance{Version: 3, Advert: "0.5", VIPs: []string{"fd99::100/64 dev eth0"}}},
}

func TestVRRPKeepalivedInterop(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	for _, tc := range interopCases {
		for _, lvsdMaster := range []bool{true, false} {
			name := tc.name + "/keepalived-master"
			if lvsdMaster {
				name = tc.name + "/lvsd-master"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runInterop(t, tc, lvsdMaster)
			})
		}
	}
}

func runInterop(t *testing.T, tc interopCase, lvsdMaster bool) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: tc.ipv6}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	addr := vip4
	if tc.ipv6 {
		addr = vip6
	}
	// n1 is the master (priority 200), n2 the backup (100)
	in1, in2 := tc.in, tc.in
	in1.Priority, in1.Master = 200, true
	in2.Priority = 100
	if tc.unicst {
		in1.Unicast = &[2]netip.Addr{n1.IP, n2.IP}
		in2.Unicast = &[2]netip.Addr{n2.IP, n1.IP}
	}
	var master, backup *daemon
	if lvsdMaster {
		backup = startKeepalived(t, n2, keepalivedConf("n2", in2))
		master = startLvsd(t, n1, lvsdConf(in1))
	} else {
		backup = startLvsd(t, n2, lvsdConf(in2))
		master = startKeepalived(t, n1, keepalivedConf("n1", in1))
	}
	if tc.in.AsV2 && lvsdMaster {
		// keepalived 2.2.7 predates v3_checksum_as_v2 and verifies only the
		// pseudo-header checksum: it must reject lvsd's adverts (proving lvsd
		// sends the RFC 9568 variant) and become master too, while lvsd,
		// which accepts both variants, stays master.
		if !netlab.WaitFor(20*time.Second, func() bool { return n1.HasAddr(addr) && n2.HasAddr(addr) }) {
			t.Fatal("keepalived 2.2.7 accepted a VRRPv3 advert without pseudo-header")
		}
		if !strings.Contains(backup.proc.Out.String(), "Invalid VRRPv3 checksum") {
			t.Error("keepalived did not log the checksum it rejects")
		}
		return
	}
	// keepalived's "state MASTER" waits about Master_Down_Interval first
	waitOwner(t, addr, n1, 20*time.Second, 3*time.Second, n1, n2)
	master.kill9(t)
	waitOwner(t, addr, n2, 10*time.Second, 0, n2)
}

// TestVRRPKeepalivedWrongPassword: lvsd and keepalived with different
// passwords reject each other's adverts, count and log the reason, and both
// become master.
func TestVRRPKeepalivedWrongPassword(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	l := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Pass: "s3cr3t"}))
	k := startKeepalived(t, n2, keepalivedConf("n2", instance{Priority: 100, Pass: "wrong"}))
	if !netlab.WaitFor(20*time.Second, func() bool { return n1.HasAddr(vip4) && n2.HasAddr(vip4) }) {
		t.Fatalf("both sides should be master: n1 %v, n2 %v", n1.HasAddr(vip4), n2.HasAddr(vip4))
	}
	if !netlab.WaitFor(5*time.Second, func() bool {
		return strings.Contains(l.proc.Out.String(), "reason=auth_pass_mismatch")
	}) {
		t.Error("lvsd did not log the password mismatch")
	}
	kre := regexp.MustCompile(`(?i)(passw|auth)`)
	if !netlab.WaitFor(5*time.Second, func() bool { return kre.MatchString(k.proc.Out.String()) }) {
		t.Error("keepalived did not log an authentication failure")
	}
}
