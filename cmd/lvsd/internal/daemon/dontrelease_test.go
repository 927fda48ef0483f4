package daemon

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// TestDontReleaseVRRPKeepsVMAC: with --dont-release-vrrp a stop leaves as
// a crash would: no priority-0 advert, the VIPs in place, and the VMAC
// interface that carries them kept too (deleting it would take the VIPs
// with it).
func TestDontReleaseVRRPKeepsVMAC(t *testing.T) {
	const conf = `
[[vrrp_instance]]
name = "VI_1"
interface = "lo"
state = "MASTER"
virtual_router_id = 51
priority = 100
advert_int = 1
dont_track_primary = true
use_vmac = true
virtual_ipaddress = ["10.99.0.100/24"]
`
	for _, keep := range []bool{false, true} {
		name := "release"
		if keep {
			name = "dont-release-vrrp"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := newFakeKernel()
				d := fakeDaemon(t, conf, k, slowScript(0))
				time.Sleep(10 * time.Second)
				synctest.Wait()
				a := netip.MustParseAddr("10.99.0.100")
				if !k.has(a) {
					t.Fatalf("not master after 10 s; kernel log:\n%s", dumpLog(k.log()))
				}
				d.dontReleaseVRRP = keep
				stopFake(t, d)
				log := k.log()
				delVMAC, prio0 := count(log, "del-vmac", netip.Addr{}), false
				for _, e := range log {
					if e.op == "advert" && e.prio == 0 {
						prio0 = true
					}
				}
				if keep && (delVMAC != 0 || prio0 || !k.has(a)) {
					t.Errorf("--dont-release-vrrp: %d VMAC deletions, priority-0 advert %v, VIP in place %v; want 0, false, true\n%s",
						delVMAC, prio0, k.has(a), dumpLog(log))
				}
				if !keep && (delVMAC != 1 || !prio0 || k.has(a)) {
					t.Errorf("release: %d VMAC deletions, priority-0 advert %v, VIP in place %v; want 1, true, false\n%s",
						delVMAC, prio0, k.has(a), dumpLog(log))
				}
			})
		})
	}
}
