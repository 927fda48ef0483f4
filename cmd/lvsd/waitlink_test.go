package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
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
	go func() { defer close(done); watchLinks(ctx, waiting, got) }()
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
