package daemon

import (
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/vrrp"
)

// Interface deletion and re-creation as unit tests: checkLinks asks the
// kernel factory for the interfaces (links), so the fake kernel's table
// drives it (fakekernel_test.go setLink, delLink).

const relinkBase = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth9"
state = "MASTER"
virtual_router_id = 51
priority = 100
advert_int = 1
dont_track_primary = true
virtual_ipaddress = ["10.99.0.100/24"]
`

// relinkInstance returns the one instance of d.
func relinkInstance(t *testing.T, d *daemon) *vrrpInstance {
	t.Helper()
	if n := len(d.vrrp.insts); n != 1 {
		t.Fatalf("%d instances, want 1", n)
	}
	return d.vrrp.insts[0]
}

func relinkState(d *daemon) vrrp.State {
	if in, ok := d.vrrp.insts[0].run.(*vrrp.Instance); ok {
		return in.State()
	}
	return vrrp.State(255)
}

// TestCheckLinksRecreated: a master's interface deleted and made again
// between two checks (another ifindex) gets the instance rebuilt over a
// new socket at once; one deleted and still missing gets it held in FAULT
// (no advert, no VIP), and back to MASTER on the new interface once it
// appears (watchLinks, rebuildWaiting). An unchanged table changes nothing.
func TestCheckLinksRecreated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vip := netip.MustParseAddr("10.99.0.100")
		k := newFakeKernel()
		k.setLink("eth9", 3)
		d := fakeDaemon(t, relinkBase, k, slowScript(0))
		defer stopFake(t, d)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !k.has(vip) || relinkState(d) != vrrp.StateMaster {
			t.Fatalf("not master after 5 s (%v); kernel log:\n%s", relinkState(d), dumpLog(k.log()))
		}
		first := relinkInstance(t, d)
		if first.kernel.ifindex != 3 {
			t.Fatalf("socket opened on ifindex %d, want 3", first.kernel.ifindex)
		}

		// Nothing changed: nothing rebuilt.
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
		if relinkInstance(t, d) != first {
			t.Fatal("instance rebuilt with its interface unchanged")
		}

		// Deleted and re-created between two checks.
		k.delLink("eth9")
		k.setLink("eth9", 7)
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
		second := relinkInstance(t, d)
		if second == first || second.kernel.waiting || second.kernel.ifindex != 7 {
			t.Fatalf("after re-creation: rebuilt %v, waiting %v, ifindex %d; want a new socket on ifindex 7",
				second != first, second.kernel.waiting, second.kernel.ifindex)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !k.has(vip) || relinkState(d) != vrrp.StateMaster {
			t.Fatalf("not master again 5 s after the re-creation (%v); kernel log:\n%s", relinkState(d), dumpLog(k.log()))
		}

		// Deleted, and missing for a while.
		k.delLink("eth9")
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
		gone := time.Now()
		third := relinkInstance(t, d)
		if !third.kernel.waiting {
			t.Fatal("instance on a missing interface not waiting for it")
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if s := relinkState(d); s != vrrp.StateFault {
			t.Errorf("state %v with the interface missing, want FAULT", s)
		}
		if n := count(since(k.log(), gone.Add(time.Millisecond)), "advert", netip.Addr{}); n > 0 {
			t.Errorf("%d adverts with the interface missing", n)
		}
		if k.has(vip) {
			t.Error("VIP in place with its interface missing")
		}

		// Back, with yet another index: watchLinks reports it, ops
		// rebuilds it (as ops' loop does).
		k.setLink("eth9", 8)
		select {
		case name := <-d.linkUp:
			if name != "VI_1" {
				t.Fatalf("linkUp reported %q", name)
			}
			if err := d.rebuildWaiting(name); err != nil {
				t.Fatal(err)
			}
		case <-time.After(3 * linkPollInterval):
			t.Fatal("the interface's return was not reported")
		}
		back := time.Now()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		fourth := relinkInstance(t, d)
		if fourth.kernel.waiting || fourth.kernel.ifindex != 8 {
			t.Fatalf("after the return: waiting %v, ifindex %d; want a socket on ifindex 8", fourth.kernel.waiting, fourth.kernel.ifindex)
		}
		if !k.has(vip) || relinkState(d) != vrrp.StateMaster {
			t.Fatalf("not master 5 s after the interface came back (%v); kernel log:\n%s", relinkState(d), dumpLog(k.log()))
		}
		advertGaps(t, since(k.log(), back.Add(4*time.Second)), 51, time.Second)
	})
}

// TestCheckLinksRecreatedSyncGroup: an interface re-created under a sync
// group's member rebuilds the whole part (handoverVRRP); both members are
// MASTER again on the new ifindex, the other interface's member included.
func TestCheckLinksRecreatedSyncGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vipA, vipB := netip.MustParseAddr("10.99.0.100"), netip.MustParseAddr("10.99.1.100")
		k := newFakeKernel()
		k.setLink("eth9", 3)
		k.setLink("eth8", 4)
		d := fakeDaemon(t, relinkBase+`
[[vrrp_instance]]
name = "VI_2"
interface = "eth8"
state = "MASTER"
virtual_router_id = 52
priority = 100
advert_int = 1
dont_track_primary = true
virtual_ipaddress = ["10.99.1.100/24"]

[[vrrp_sync_group]]
name = "G"
group = ["VI_1", "VI_2"]
`, k, slowScript(0))
		defer stopFake(t, d)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !k.has(vipA) || !k.has(vipB) {
			t.Fatalf("not master after 5 s; kernel log:\n%s", dumpLog(k.log()))
		}
		before := slices.Clone(d.vrrp.insts)
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, d.vrrp.insts) {
			t.Fatal("part rebuilt with its interfaces unchanged")
		}
		k.delLink("eth9")
		k.setLink("eth9", 7)
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		idx := map[string]int{}
		for _, in := range d.vrrp.insts {
			if in.kernel.waiting {
				t.Errorf("%s waiting", in.cfg.Name)
			}
			idx[in.cfg.Name] = in.kernel.ifindex
			if st := in.run.(*vrrp.Instance).State(); st != vrrp.StateMaster {
				t.Errorf("%s %v after the re-creation, want MASTER", in.cfg.Name, st)
			}
		}
		if idx["VI_1"] != 7 || idx["VI_2"] != 4 {
			t.Errorf("ifindexes %v, want VI_1 on 7, VI_2 on 4", idx)
		}
		if !k.has(vipA) || !k.has(vipB) {
			t.Errorf("VIPs not in place after the re-creation; kernel log:\n%s", dumpLog(k.log()))
		}
		if err := d.checkLinks(); err != nil {
			t.Fatal(err)
		}
	})
}
