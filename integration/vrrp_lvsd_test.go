package integration

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// Behaviour of lvsd VRRP nodes among themselves, each test in a lab of its
// own: real `lvsd run` processes in namespaces on one bridge, a client
// namespace watching the wire.

// fast is the advert interval of most tests: VRRPv3 0.5 s, so that
// Master_Down_Interval is about 1.8 s.
const fast = "0.5"

func TestVRRPElectionFailoverPreempt(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "n3", "cl")
	n1, n2, n3, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("n3"), lab.Node("cl")
	conf := func(prio int) string {
		return lvsdConf(instance{Priority: prio, Version: 3, Advert: fast, Master: prio == 200})
	}
	startLvsd(t, n1, conf(150))
	d2 := startLvsd(t, n2, conf(200))
	startLvsd(t, n3, conf(100))
	waitOwner(t, vip4, n2, 15*time.Second, 2*time.Second, n1, n2, n3)

	arp := sniff(t, cl, ethARP)
	killed := time.Now()
	d2.kill9(t)
	// the next highest priority takes over and announces itself (the
	// killed n2 keeps its stale address on its dead link)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n3)
	garps := arp.waitFrames(t, killed, 5, 5*time.Second, isGARP(vip4, n1.MAC), "gratuitous ARP from n1")
	t.Logf("VIP on n1 and %d gratuitous ARPs at the client, first %v after the kill", len(garps), garps[0].at.Sub(killed))

	// the old master comes back and preempts
	n2.LinkUp()
	startLvsd(t, n2, conf(200))
	waitOwner(t, vip4, n2, 15*time.Second, time.Second, n1, n2, n3)
}

func TestVRRPGracefulStop(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	// VRRPv2, advert 1 s: Master_Down_Interval of n2 = 3 + 156/256 s,
	// skew time 0.609 s
	d1 := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Master: true, Pass: "s3cr3t"}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Pass: "s3cr3t"}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	stopped := time.Now()
	if err := d1.stop(t); err != nil {
		t.Fatalf("lvsd on n1 after SIGTERM: %v, want exit 0", err)
	}
	if n1.HasAddr(vip4) {
		t.Error("n1 kept the VIP after a graceful stop")
	}
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	took := time.Since(stopped)
	t.Logf("n2 owns the VIP %v after SIGTERM on n1", took)
	// only the priority-0 advert explains a takeover well before the
	// 3.609 s of Master_Down_Interval
	if took > 3*time.Second {
		t.Errorf("takeover after %v: the backup did not act on the priority-0 advert", took)
	}
}

func TestVRRPNoPreempt(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n2, 15*time.Second, 0, n1, n2)
	// a higher-priority node with nopreempt joins and stays backup
	startLvsd(t, n1, lvsdConf(instance{Priority: 200, Version: 3, Advert: fast, NoPreempt: true}))
	waitOwner(t, vip4, n2, time.Second, 4*time.Second, n1, n2)
}

func TestVRRPEqualPriority(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	// split the segment so that both become master, then join it: of two
	// masters with equal priorities the one with the higher primary
	// address (10.99.0.2) stays master (RFC 5798 6.4.3). The split is a
	// link down, and an instance's own interface is tracked (FAULT while
	// down) unless dont_track_primary: set it, as keepalived would need.
	n2.LinkDown()
	conf := lvsdConf(instance{Priority: 100, Version: 3, Advert: fast}) + "dont_track_primary = true\n"
	startLvsd(t, n1, conf)
	startLvsd(t, n2, conf)
	if !netlab.WaitFor(15*time.Second, func() bool { return n1.HasAddr(vip4) && n2.HasAddr(vip4) }) {
		t.Fatal("the split nodes did not both become master")
	}
	n2.LinkUp()
	waitOwner(t, vip4, n2, 5*time.Second, 3*time.Second, n1, n2)
}

func TestVRRPUnicast(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	ip4 := sniff(t, cl, ethIPv4)
	started := time.Now()
	d1 := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Pass: "s3cr3t", Unicast: &[2]netip.Addr{n1.IP, n2.IP}}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Pass: "s3cr3t", Unicast: &[2]netip.Addr{n2.IP, n1.IP}}))
	waitOwner(t, vip4, n1, 15*time.Second, 2*time.Second, n1, n2)
	mcast := ip4.since(started, func(b []byte) bool { return len(b) >= 34 && b[23] == 112 && b[30] == 224 })
	if len(mcast) > 0 {
		t.Errorf("%d multicast adverts in unicast mode", len(mcast))
	}
	d1.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
}

func TestVRRPIPv6(t *testing.T) {
	t.Parallel()
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	conf := func(prio int) string {
		return lvsdConf(instance{Priority: prio, Advert: fast, VIPs: []string{"fd99::100/64 dev eth0"}})
	}
	d1 := startLvsd(t, n1, conf(200))
	startLvsd(t, n2, conf(100))
	waitOwner(t, vip6, n1, 15*time.Second, time.Second, n1, n2)
	na := sniff(t, cl, ethIPv6)
	killed := time.Now()
	d1.kill9(t)
	waitOwner(t, vip6, n2, 10*time.Second, 0, n2)
	na.waitFrames(t, killed, 1, 5*time.Second, isNA(vip6, n2.MAC), "unsolicited NA from n2")
}

func TestVRRPVMAC(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	const vmac = "00:00:5e:00:01:33" // VRID 51
	arp := sniff(t, cl, ethARP)
	ip4 := sniff(t, cl, ethIPv4)
	started := time.Now()
	d1 := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Version: 3, Advert: fast, VMAC: true}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast, VMAC: true}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	link := n1.MustExec("ip", "-d", "-o", "addr", "show", "dev", "vrrp.51")
	if !strings.Contains(link, "10.99.0.100/24") {
		t.Errorf("VIP not on the VMAC interface:\n%s", link)
	}
	if l := n1.MustExec("ip", "-d", "link", "show", "vrrp.51"); !strings.Contains(l, vmac) || !strings.Contains(l, "macvlan") {
		t.Errorf("vrrp.51 is not a macvlan with %s:\n%s", vmac, l)
	}
	arp.waitFrames(t, started, 1, 5*time.Second, isGARP(vip4, vmac), "gratuitous ARP from the VMAC")
	adverts := ip4.since(started, func(b []byte) bool { return len(b) > 34 && b[23] == 112 && b[6] == 0 && b[7] == 0 && b[8] == 0x5e })
	if len(adverts) == 0 {
		t.Error("no advert sent from the VMAC")
	}
	killed := time.Now()
	d1.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
	arp.waitFrames(t, killed, 1, 5*time.Second, isGARP(vip4, vmac), "gratuitous ARP from n2's VMAC")
}

func TestVRRPForeignVRID(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "n3")
	n1, n2, n3 := lab.Node("n1"), lab.Node("n2"), lab.Node("n3")
	other := netip.MustParseAddr("10.99.0.200")
	// another group (VRID 52) with a higher priority on the same segment
	startLvsd(t, n3, lvsdConf(instance{Name: "OTHER", VRID: 52, Priority: 250, Version: 3, Advert: fast, VIPs: []string{"10.99.0.200/24 dev eth0"}}))
	startLvsd(t, n1, lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2, n3)
	waitOwner(t, other, n3, 5*time.Second, 0, n1, n2, n3)
	waitOwner(t, vip4, n1, time.Second, 4*time.Second, n1, n2, n3)
}

func TestVRRPVIPRestored(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	d1 := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}))
	// a VIP left on the backup by a crashed daemon is removed at start
	n2.MustExec("ip", "addr", "add", "10.99.0.100/24", "dev", "eth0")
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 5*time.Second, time.Second, n1, n2)
	// deleted by hand on the master: back within an advert interval or two
	n1.MustExec("ip", "addr", "del", "10.99.0.100/24", "dev", "eth0")
	deleted := time.Now()
	waitOwner(t, vip4, n1, 3*time.Second, 0, n1, n2)
	t.Logf("VIP back on n1 %v after its deletion", time.Since(deleted))
	if !netlab.WaitFor(2*time.Second, func() bool { return strings.Contains(d1.proc.Out.String(), "10.99.0.100") }) {
		t.Error("the restored VIP was not logged")
	}
}

func TestVRRPVMACIPv6(t *testing.T) {
	t.Parallel()
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	const vmac = "00:00:5e:00:02:33" // VRID 51, IPv6
	conf := func(prio int) string {
		return lvsdConf(instance{Priority: prio, Advert: fast, VMAC: true, VIPs: []string{"fd99::100/64 dev eth0"}})
	}
	na := sniff(t, cl, ethIPv6)
	started := time.Now()
	d1 := startLvsd(t, n1, conf(200))
	startLvsd(t, n2, conf(100))
	waitOwner(t, vip6, n1, 15*time.Second, time.Second, n1, n2)
	if a := n1.MustExec("ip", "-6", "-o", "addr", "show", "dev", "vrrp.51"); !strings.Contains(a, "fd99::100/64") {
		t.Errorf("VIP not on the VMAC interface:\n%s", a)
	}
	na.waitFrames(t, started, 1, 5*time.Second, isNA(vip6, vmac), "unsolicited NA from the VMAC")
	killed := time.Now()
	d1.kill9(t)
	waitOwner(t, vip6, n2, 10*time.Second, 0, n2)
	na.waitFrames(t, killed, 1, 5*time.Second, isNA(vip6, vmac), "unsolicited NA from n2's VMAC")
}

// TestVRRPVMACUnicast: use_vmac with unicast peers sends from the VMAC and
// receives on the base interface (peers address its MAC).
func TestVRRPVMACUnicast(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	d1 := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Version: 3, Advert: fast, VMAC: true, Unicast: &[2]netip.Addr{n1.IP, n2.IP}}))
	startLvsd(t, n2, lvsdConf(instance{Priority: 100, Version: 3, Advert: fast, VMAC: true, Unicast: &[2]netip.Addr{n2.IP, n1.IP}}))
	waitOwner(t, vip4, n1, 15*time.Second, 3*time.Second, n1, n2)
	d1.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
}
