package daemon

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/carp"
)

// TestCARPUpgradeHandOver: an upgrade's hand-over of the CARP part. The
// old part, abandoned, stops with no leaving advert and no script (c has
// shutdown = true, which a graceful stop would honour); the new part,
// seeded with the records, starts the unchanged a and c as MASTER at once
// (an advert continuing the counter, no transition, no up script), and b,
// now another virtual host (its addr changed), normally.
func TestCARPUpgradeHandOver(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "log")
	script := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$*\" >> "+logf+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := func() []string {
		b, _ := os.ReadFile(logf)
		return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
	}
	var mu sync.Mutex
	conns := map[string][]*fakeCARPConn{}
	part := func(cfg *config.Config) *carpPart {
		d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
		p := &carpPart{d: d,
			iface: func(name string) (*net.Interface, error) {
				return &net.Interface{Name: name, Index: 99, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Flags: net.FlagUp | net.FlagRunning}, nil
			},
			listen: func(_ string, src, _ netip.Addr, _ bool) (carp.Conn, error) {
				c := &fakeCARPConn{closed: make(chan struct{})}
				mu.Lock()
				conns[src.String()] = append(conns[src.String()], c)
				mu.Unlock()
				return c, nil
			}}
		d.carp = p
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	old := part(carpTestConfig(t, script, "a", "b", "c shutdown = true"))
	if err := old.start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("masters", func() bool {
		for _, ci := range old.insts {
			if ci.inst.State() != carp.Master {
				return false
			}
		}
		return true
	})
	waitFor("up scripts", func() bool { return len(lines()) == 3 })
	old.abandon()
	if err := old.stop(ctx); err != nil {
		t.Fatal(err)
	}
	recs := old.handedOver()
	mu.Lock()
	for _, src := range []string{"10.0.1.1", "10.0.1.2", "10.0.1.3"} {
		if adv := conns[src][0].lastAdvert(t); adv.AdvBase == 255 {
			t.Errorf("%s: the abandoned instance sent a leaving advert", src)
		}
	}
	aLast := conns["10.0.1.1"][0].lastAdvert(t)
	mu.Unlock()
	if len(recs) != 3 || recs["a"].State != carp.Master || recs["a"].Counter != aLast.Counter {
		t.Fatalf("records %+v, want 3 MASTERs, a's counter %d", recs, aLast.Counter)
	}

	cfg := carpTestConfig(t, script, "a", "b", "c shutdown = true")
	cfg.CARPInstances[1].Addr = netip.MustParseAddr("10.0.0.9")
	p := part(cfg)
	p.seedCARP(recs)
	if err := p.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.stop(ctx)
	for _, ci := range p.insts {
		if ci.cfg.Name == "b" {
			continue
		}
		st := ci.inst.Stats()
		if st.State != carp.Master || st.Transitions != 0 {
			t.Errorf("%s: state %v after %d transitions, want MASTER taken over", ci.cfg.Name, st.State, st.Transitions)
		}
	}
	waitFor("a's first advert", func() bool {
		mu.Lock()
		cs := conns["10.0.1.1"]
		mu.Unlock()
		if len(cs) != 2 {
			return false
		}
		cs[1].mu.Lock()
		defer cs[1].mu.Unlock()
		return len(cs[1].frames) > 0
	})
	mu.Lock()
	first := conns["10.0.1.1"][1]
	mu.Unlock()
	first.mu.Lock()
	var adv carp.Advert
	if r := carp.DecodeFrame(first.frames[0], &adv); r != carp.DropNone {
		t.Errorf("a's first frame is no advert: %v", r)
	}
	first.mu.Unlock()
	if adv.Counter != aLast.Counter+1 {
		t.Errorf("a's first advert: counter %d, want %d", adv.Counter, aLast.Counter+1)
	}
	// b starts as a new virtual host: MASTER after its master-down time,
	// with its up script.
	waitFor("b master", func() bool { return p.insts[1].inst.State() == carp.Master })
	waitFor("b's up script", func() bool { return len(lines()) == 4 })
	if got := lines(); !slices.Equal(got[3:], []string{"up_fake0_10.0.0.9"}) {
		t.Errorf("scripts after the hand-over: %v, want only b's up", got)
	}
}

// lastAdvert decodes the last advert sent (gratuitous ARPs skipped).
func (c *fakeCARPConn) lastAdvert(t *testing.T) carp.Advert {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.frames) - 1; i >= 0; i-- {
		var a carp.Advert
		if carp.DecodeFrame(c.frames[i], &a) == carp.DropNone {
			return a
		}
	}
	t.Fatal("no advert sent")
	return carp.Advert{}
}
