package daemon

import (
	"log/slog"
	"maps"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/vrrp"
)

// tableAddrs is a vipManager whose link table (vip.Manager.Links) the
// test sets.
type tableAddrs struct {
	vipManager
	idx map[string]int
	ok  bool
	ch  chan struct{}
}

func (t *tableAddrs) Links() (map[string]int, bool) { return maps.Clone(t.idx), t.ok }
func (t *tableAddrs) LinkChanges() <-chan struct{}  { return t.ch }

// countingKernel counts the link dumps.
type countingKernel struct {
	vrrpKernelFactory
	dumps atomic.Int32
}

func (c *countingKernel) links() (map[string]int, error) {
	c.dumps.Add(1)
	return c.vrrpKernelFactory.links()
}

// TestCheckLinksFromTable: with the address manager's table current and
// matching the sockets, checkLinks asks the kernel for nothing; a table
// that differs (or is not current) is confirmed by a dump, and only the
// dump's answer rebuilds.
func TestCheckLinksFromTable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		k.setLink("eth9", 3)
		d := fakeDaemon(t, relinkBase, k, slowScript(0))
		defer stopFake(t, d)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if relinkState(d) != vrrp.StateMaster {
			t.Fatalf("not master after 5 s (%v)", relinkState(d))
		}
		ck := &countingKernel{vrrpKernelFactory: d.kernel}
		d.kernel = ck
		tab := &tableAddrs{vipManager: d.vrrp.m, idx: map[string]int{"eth9": 3}, ok: true}
		d.vrrp.m = tab
		first := relinkInstance(t, d)

		check := func(what string, dumps int32, rebuilt bool) {
			t.Helper()
			ck.dumps.Store(0)
			if err := d.checkLinks(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got := ck.dumps.Load(); got != dumps {
				t.Errorf("%s: %d link dumps, want %d", what, got, dumps)
			}
			if got := relinkInstance(t, d) != first; got != rebuilt {
				t.Errorf("%s: rebuilt %v, want %v", what, got, rebuilt)
			}
		}
		check("table matches", 0, false)
		tab.ok = false
		check("table not current", 1, false)
		tab.ok, tab.idx = true, map[string]int{"eth9": 8} // lagging: the kernel still has 3
		check("table differs, kernel not", 1, false)
		k.delLink("eth9")
		k.setLink("eth9", 8)
		check("both changed", 1, true)
		synctest.Wait()
	})
}

// TestLinkWatch: ops' loop polls the links every linkPollInterval without
// a notifying address manager, and with one waits for its notifications
// (a poll every linkBackstop only as a safety net).
func TestLinkWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		k.setLink("eth9", 3)
		d := fakeDaemon(t, relinkBase, k, slowScript(0))
		defer stopFake(t, d)
		o := newOps("lvsd.toml", opsFlags{}, slog.New(slog.DiscardHandler))
		o.d = d
		w := newLinkWatch()
		defer w.stop()
		fired := func(tick <-chan time.Time, ev <-chan struct{}, within time.Duration) string {
			t.Helper()
			timeout := time.After(within)
			select {
			case <-tick:
				return "tick"
			case <-ev:
				return "event"
			case <-timeout:
				return "nothing"
			}
		}
		tick, ev := w.chans(o)
		if ev != nil {
			t.Fatal("an event channel from the fake's address manager")
		}
		if got := fired(tick, ev, 1100*time.Millisecond); got != "tick" {
			t.Errorf("without notifications: %s within 1.1 s, want a tick", got)
		}
		tab := &tableAddrs{vipManager: d.vrrp.m, ch: make(chan struct{}, 1)}
		d.vrrp.m = tab
		tick, ev = w.chans(o)
		if got := fired(tick, ev, 30*time.Second); got != "nothing" {
			t.Errorf("with notifications, none sent: %s within 30 s, want nothing", got)
		}
		tab.ch <- struct{}{}
		if got := fired(tick, ev, time.Millisecond); got != "event" {
			t.Errorf("after a notification: %s, want the event", got)
		}
		if got := fired(tick, ev, linkBackstop); got != "tick" {
			t.Errorf("with notifications: %s within linkBackstop, want the safety tick", got)
		}
		d.vrrp.m = tab.vipManager
	})
}
