package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/lvsd/lvsd/config"
)

// TestWaitingEndpoint: a waiting instance's socket sends nothing and its
// reader ends with net.ErrClosed when the instance's kernel is closed.
func TestWaitingEndpoint(t *testing.T) {
	w := &waitingEndpoint{local: netip.IPv4Unspecified(), closed: make(chan struct{})}
	if err := w.WriteTo([]byte{1}, netip.MustParseAddr("224.0.0.18")); !errors.Is(err, errLinkMissing) {
		t.Errorf("WriteTo = %v, want errLinkMissing", err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := w.ReadFrom(make([]byte, 64)); done <- err }()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = w.Close() // idempotent
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadFrom after Close = %v, want net.ErrClosed", err)
	}
	var tg fakeTarget
	faultTarget{&tg}.SetFault(false)
	faultTarget{&tg}.SetPriority(90)
	if !tg.fault || tg.prio != 90 {
		t.Errorf("faultTarget passed on %+v, want fault and priority 90", tg)
	}
	var a *announcers
	if err := a.Announce(nil); !errors.Is(err, errLinkMissing) {
		t.Errorf("Announce of a waiting instance = %v", err)
	}
}

// TestWatchLinks: an instance whose interface exists with an address is
// reported, one whose interface is missing is not.
func TestWatchLinks(t *testing.T) {
	if linkReady(&config.VRRPInstance{Interface: "lvsd-nosuch0"}) || !linkReady(&config.VRRPInstance{Interface: "lo"}) {
		t.Fatal("linkReady is wrong about lo or lvsd-nosuch0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string)
	waiting := map[string]*config.VRRPInstance{
		"LO":      {Name: "LO", Interface: "lo"},
		"MISSING": {Name: "MISSING", Interface: "lvsd-nosuch0"},
	}
	done := make(chan struct{})
	go func() { defer close(done); watchLinks(ctx, linkReady, waiting, got) }()
	if name := <-got; name != "LO" {
		t.Fatalf("watchLinks reported %q, want LO", name)
	}
	cancel()
	<-done
	if _, ok := waiting["MISSING"]; !ok || len(waiting) != 1 {
		t.Errorf("waiting after LO appeared: %v", waiting)
	}
}

type fakeTarget struct {
	fault bool
	prio  int
}

func (f *fakeTarget) SetFault(b bool)   { f.fault = b }
func (f *fakeTarget) SetPriority(p int) { f.prio = p }

// TestGoneLinks: an instance is reported when its interface or VMAC is
// missing or has another index than at open; a waiting one never is.
func TestGoneLinks(t *testing.T) {
	inst := func(name, iface string, idx int, vmac string, vidx int, waiting bool) *vrrpInstance {
		i := &vrrpInstance{kernel: &vrrpKernel{ifindex: idx, vmac: vmac, vmacIndex: vidx, waiting: waiting}}
		i.cfg.Name, i.cfg.Interface = name, iface
		return i
	}
	insts := []*vrrpInstance{
		inst("SAME", "eth0", 2, "", 0, false),
		inst("NEWINDEX", "vl5", 7, "", 0, false),
		inst("MISSING", "vl6", 8, "", 0, false),
		inst("UNKNOWN", "eth0", -1, "", 0, false),
		inst("VMAC_OK", "eth0", 2, "vrrp.1", 10, false),
		inst("VMAC_GONE", "eth0", 2, "vrrp.2", 11, false),
		inst("WAITING", "vl9", 0, "", 0, true),
	}
	idx := map[string]int{"eth0": 2, "vl5": 9, "vrrp.1": 10}
	got := goneLinks(insts, idx)
	want := []string{"NEWINDEX", "MISSING", "UNKNOWN", "VMAC_GONE"}
	if !slices.Equal(got, want) {
		t.Errorf("goneLinks = %v, want %v", got, want)
	}
}
