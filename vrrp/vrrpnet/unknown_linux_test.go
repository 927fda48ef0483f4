package vrrpnet

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestRegistryUnknownHandler: an advert for a VRID nobody registered calls
// the handler (log_unknown_vrids) with the interface, VRID and sender; a
// registered VRID does not; without a handler nothing is called.
func TestRegistryUnknownHandler(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	reg := NewRegistry()
	type call struct {
		ifname string
		v6     bool
		vrid   uint8
		src    netip.Addr
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	reg.SetUnknownHandler(func(ifname string, v6 bool, vrid uint8, src netip.Addr) {
		mu.Lock()
		calls = append(calls, call{ifname, v6, vrid, src})
		mu.Unlock()
	})
	s51 := open(t, n2, reg, Config{Interface: "eth0"}, 51)
	ch51 := readAsync(s51)
	c1 := dial(t, n1, Config{Interface: "eth0"})
	for _, v := range []byte{77, 51} {
		if err := c1.WriteTo(advert(v), Group4); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ch51:
	case <-time.After(3 * time.Second):
		t.Fatal("VRID 51 received nothing")
	}
	got := func() []call {
		mu.Lock()
		defer mu.Unlock()
		return append([]call(nil), calls...)
	}
	if !netlab.WaitFor(time.Second, func() bool { return len(got()) == 1 }) {
		t.Fatalf("handler calls %+v, want one", got())
	}
	if c := got()[0]; c != (call{"eth0", false, 77, n1.IP}) {
		t.Errorf("handler got %+v, want eth0 IPv4 VRID 77 from %s", c, n1.IP)
	}
	reg.SetUnknownHandler(nil)
	if err := c1.WriteTo(advert(78), Group4); err != nil {
		t.Fatal(err)
	}
	if !netlab.WaitFor(time.Second, func() bool { return reg.Unknown("eth0", false) == 2 }) {
		t.Fatalf("unknown counted %d, want 2", reg.Unknown("eth0", false))
	}
	if n := len(got()); n != 1 {
		t.Errorf("handler called %d times after it was removed", n-1)
	}
}
