package daemon

import (
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
}

func (t *tableAddrs) Links() (map[string]int, bool) { return maps.Clone(t.idx), t.ok }

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
