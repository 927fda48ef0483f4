package daemon

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Reload hand-overs as unit tests: the daemon's VRRP part over the
// recording fake kernel (fakekernel_test.go), in a synctest bubble (fake
// time: the slow script and the adverts cost nothing), vrrp_scripts run by
// a fake that takes fake time.

const handoverBase = `
[[vrrp_script]]
name = "chk"
script = "/bin/true"
interval = 10
timeout = 10

[[vrrp_instance]]
name = "VI_1"
interface = "lo"
state = "MASTER"
virtual_router_id = 51
priority = 100
advert_int = 1
dont_track_primary = true
virtual_ipaddress = ["10.99.0.100/24"]
track_script = ["chk"]

[[vrrp_instance]]
name = "VI_2"
interface = "lo"
state = "MASTER"
virtual_router_id = 52
priority = 100
advert_int = 1
dont_track_primary = true
virtual_ipaddress = ["10.99.0.200/24"]
`

var (
	vip1 = netip.MustParseAddr("10.99.0.100")
	vip2 = netip.MustParseAddr("10.99.0.200")
)

// since returns the events of log at or after t.
func since(log []kevent, t time.Time) []kevent {
	var out []kevent
	for _, e := range log {
		if !e.at.Before(t) {
			out = append(out, e)
		}
	}
	return out
}

// advertGaps checks that VRID vrid advertised, with a priority above 0,
// from its first advert until the end of log with no gap longer than
// interval, and returns the number of adverts.
func advertGaps(t *testing.T, log []kevent, vrid uint8, interval time.Duration) int {
	t.Helper()
	var last time.Time
	n := 0
	for _, e := range log {
		if e.op != "advert" || e.vrid != vrid {
			continue
		}
		if e.prio == 0 {
			t.Errorf("VRID %d sent a priority-0 advert at %s", vrid, e.at.Format("15:04:05.000"))
		}
		if !last.IsZero() && e.at.Sub(last) > interval {
			t.Errorf("VRID %d silent for %v (from %s to %s), more than one advert interval",
				vrid, e.at.Sub(last), last.Format("15:04:05.000"), e.at.Format("15:04:05.000"))
		}
		last = e.at
		n++
	}
	if n == 0 {
		t.Errorf("VRID %d sent no advert", vrid)
	}
	return n
}

// removed reports the del-vip events of log that remove a.
func removed(log []kevent, a netip.Addr) []kevent {
	var out []kevent
	for _, e := range log {
		if e.op == "del-vip" && slices.Contains(e.addrs, a) {
			out = append(out, e)
		}
	}
	return out
}

func count(log []kevent, op string, a netip.Addr) int {
	n := 0
	for _, e := range log {
		if e.op == op && (!a.IsValid() || slices.Contains(e.addrs, a)) {
			n++
		}
	}
	return n
}

// becomeMaster starts the part over k and waits until both instances are
// MASTER (their VIPs in place).
func becomeMaster(t *testing.T, k *fakeKernel, slow time.Duration) *daemon {
	t.Helper()
	d := fakeDaemon(t, handoverBase, k, slowScript(slow))
	time.Sleep(10 * time.Second)
	synctest.Wait()
	if !k.has(vip1) || !k.has(vip2) {
		t.Fatalf("not master after 10 s; kernel log:\n%s", dumpLog(k.log()))
	}
	return d
}

func dumpLog(log []kevent) string {
	var b strings.Builder
	for _, e := range log {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestHandoverSlowScriptNoGap: a continuing master whose weight-0
// vrrp_script takes 5 s, through a reload that hands the whole part over
// (the script changed, and the instance's own priority): the new trackers
// get their first results while the old instance still advertises, so the
// wire never goes silent for more than one advert interval, and the VIP is
// never removed (issue 15, defect 1).
func TestHandoverSlowScriptNoGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		d := becomeMaster(t, k, 5*time.Second)
		start := time.Now()
		next := strings.Replace(handoverBase, "interval = 10", "interval = 11", 1)
		next = strings.Replace(next, "priority = 100", "priority = 110", 1) // VI_1's own block changes
		plan := reloadTo(t, d, next)
		if !plan.vrrp.whole {
			t.Fatalf("plan %+v: want a whole-part hand-over", plan.vrrp)
		}
		took := time.Since(start)
		if took < 5*time.Second {
			t.Errorf("reload took %v: the new script's first result (5 s) was not waited for", took)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		log := k.log()
		advertGaps(t, since(log, start.Add(-2*time.Second)), 51, time.Second)
		advertGaps(t, since(log, start.Add(-2*time.Second)), 52, time.Second)
		for _, a := range []netip.Addr{vip1, vip2} {
			if r := removed(since(log, start), a); len(r) > 0 {
				t.Errorf("%s removed during the hand-over: %v", a, r)
			}
			if !k.has(a) {
				t.Errorf("%s not in place after the hand-over", a)
			}
		}
		if t.Failed() {
			t.Logf("kernel log:\n%s", dumpLog(log))
		}
		stopFake(t, d)
		// A stop is graceful: priority 0, VIPs removed.
		if k.has(vip1) || k.has(vip2) {
			t.Error("VIPs left after stop")
		}
	})
}

// TestHandoverRemovedInstanceDropsVIPs: an instance a reload removes
// leaves gracefully (priority-0 advert, VIPs removed), instance by instance
// and within a whole-part hand-over; the other one stays master.
func TestHandoverRemovedInstanceDropsVIPs(t *testing.T) {
	withoutVI2 := handoverBase[:strings.Index(handoverBase, "[[vrrp_instance]]\nname = \"VI_2\"")]
	for _, c := range []struct {
		name  string
		next  string
		whole bool
	}{
		{"instance by instance", withoutVI2, false},
		{"whole part", strings.Replace(withoutVI2, "interval = 10", "interval = 11", 1), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := newFakeKernel()
				d := becomeMaster(t, k, 0)
				start := time.Now()
				plan := reloadTo(t, d, c.next)
				if plan.vrrp.whole != c.whole {
					t.Fatalf("plan %+v: whole = %v, want %v", plan.vrrp, plan.vrrp.whole, c.whole)
				}
				time.Sleep(3 * time.Second)
				synctest.Wait()
				log := since(k.log(), start)
				if k.has(vip2) {
					t.Errorf("%s of the removed instance still in place", vip2)
				}
				prio0 := false
				for _, e := range log {
					if e.op == "advert" && e.vrid == 52 && e.prio == 0 {
						prio0 = true
					}
				}
				if !prio0 {
					t.Error("the removed master sent no priority-0 advert")
				}
				if !k.has(vip1) || len(removed(log, vip1)) > 0 {
					t.Errorf("%s of the remaining instance removed", vip1)
				}
				advertGaps(t, since(k.log(), start.Add(-2*time.Second)), 51, time.Second)
				if t.Failed() {
					t.Logf("kernel log:\n%s", dumpLog(k.log()))
				}
				stopFake(t, d)
			})
		})
	}
}

// TestHandoverUnchangedQuiet: in a whole-part hand-over (a vrrp_script
// changed), instances whose own configuration did not change take over
// quietly: no VIP removed (the successor's add of the VIPs in place is a
// no-op in the kernel), no gratuitous ARP (keepalived
// 2.2.7 sends none at reload for a master whose addresses did not change),
// adverts on time.
func TestHandoverUnchangedQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		d := becomeMaster(t, k, time.Second)
		// Past the takeover's GARP bursts (5 at once, 5 more 5 s later).
		time.Sleep(10 * time.Second)
		synctest.Wait()
		start := time.Now()
		plan := reloadTo(t, d, strings.Replace(handoverBase, "interval = 10", "interval = 11", 1))
		if !plan.vrrp.whole || len(plan.vrrp.ownUnchanged) != 2 {
			t.Fatalf("plan %+v: want a whole-part hand-over with both instances unchanged", plan.vrrp)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		log := since(k.log(), start)
		for _, a := range []netip.Addr{vip1, vip2} {
			if n := count(log, "del-vip", a); n > 0 {
				t.Errorf("%s removed %d times", a, n)
			}
			if n := count(log, "announce", a); n > 0 {
				t.Errorf("%s announced %d times after the reload, want 0", a, n)
			}
		}
		advertGaps(t, since(k.log(), start.Add(-2*time.Second)), 51, time.Second)
		advertGaps(t, since(k.log(), start.Add(-2*time.Second)), 52, time.Second)
		if t.Failed() {
			t.Logf("kernel log:\n%s", dumpLog(k.log()))
		}
		stopFake(t, d)
	})
}
