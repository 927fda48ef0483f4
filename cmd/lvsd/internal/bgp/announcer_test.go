package bgp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeSpeaker records every call as one line.
type fakeSpeaker struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]bool // call prefix -> fail
}

func (f *fakeSpeaker) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	for p := range f.fail {
		if strings.HasPrefix(s, p) {
			return fmt.Errorf("fake failure")
		}
	}
	return nil
}

func (f *fakeSpeaker) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeSpeaker) Start(_ context.Context, g Global) error {
	return f.rec(fmt.Sprintf("start %d %s", g.ASN, g.RouterID))
}
func (f *fakeSpeaker) Stop(context.Context) error { return f.rec("stop") }
func (f *fakeSpeaker) AddNeighbor(_ context.Context, n Neighbor) error {
	return f.rec(fmt.Sprintf("add-neighbor %s %d", n.Address, n.PeerASN))
}
func (f *fakeSpeaker) DeleteNeighbor(_ context.Context, a netip.Addr) error {
	return f.rec("delete-neighbor " + a.String())
}
func (f *fakeSpeaker) AddPath(_ context.Context, r Route) error {
	var cs []string
	for _, c := range r.Communities {
		cs = append(cs, fmt.Sprintf("%d:%d", c>>16, c&0xFFFF))
	}
	return f.rec(fmt.Sprintf("add-path %s %s", r.Prefix, strings.Join(cs, ",")))
}
func (f *fakeSpeaker) DeletePath(_ context.Context, p netip.Prefix) error {
	return f.rec("delete-path " + p.String())
}
func (f *fakeSpeaker) Neighbors(context.Context) ([]NeighborState, error) { return nil, nil }

var (
	r1   = netip.MustParseAddr("10.0.0.1")
	r2   = netip.MustParseAddr("10.0.0.2")
	base = Config{
		Global:    Global{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.11"), ListenPort: -1},
		Neighbors: []Neighbor{{Address: r1, PeerASN: 65000}},
		Routes:    []Route{{Prefix: vip, Communities: []uint32{65000<<16 | 1}}, {Prefix: vip2}},
	}
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestAnnouncer(t *testing.T) {
	ctx := context.Background()
	f := &fakeSpeaker{}
	a := NewAnnouncer(f, quiet())
	step := func(name string, want []string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, f.take()); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", name, diff)
		}
	}
	step("start", []string{"start 65001 10.0.0.11", "add-neighbor 10.0.0.1 65000"}, func() error { return a.Start(ctx, base) })
	step("announce one", []string{"add-path 192.0.2.10/32 65000:1"}, func() error {
		return a.Apply(ctx, []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}, {Prefix: vip2, Reason: ReasonNotMaster}})
	})
	step("same again: nothing", nil, func() error {
		return a.Apply(ctx, []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}, {Prefix: vip2, Reason: ReasonNotMaster}})
	})
	step("withdraw", []string{"delete-path 192.0.2.10/32"}, func() error {
		return a.Apply(ctx, []Decision{{Prefix: vip, Reason: ReasonQuorumLost}, {Prefix: vip2, Reason: ReasonNotMaster}})
	})
	step("both", []string{"add-path 192.0.2.10/32 65000:1", "add-path 192.0.2.11/32 "}, func() error {
		return a.Apply(ctx, []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}, {Prefix: vip2, Announce: true, Reason: ReasonStatic}})
	})

	// reload: a second neighbor, vip's communities change, vip2 removed
	c2 := base
	c2.Neighbors = []Neighbor{{Address: r1, PeerASN: 65000}, {Address: r2, PeerASN: 65000}}
	c2.Routes = []Route{{Prefix: vip, Communities: []uint32{65000<<16 | 2}}}
	step("reload", []string{"add-neighbor 10.0.0.2 65000", "add-path 192.0.2.10/32 65000:2", "delete-path 192.0.2.11/32"}, func() error {
		err := a.Reload(ctx, c2)
		// map order: sort the path calls
		f.mu.Lock()
		slices.Sort(f.calls[1:])
		f.mu.Unlock()
		return err
	})
	step("reload unchanged: nothing", nil, func() error { return a.Reload(ctx, c2) })
	c3 := c2
	c3.Neighbors = []Neighbor{{Address: r2, PeerASN: 65002}}
	step("neighbor changed and removed", []string{"delete-neighbor 10.0.0.1", "delete-neighbor 10.0.0.2", "add-neighbor 10.0.0.2 65002"}, func() error {
		err := a.Reload(ctx, c3)
		f.mu.Lock()
		slices.Sort(f.calls[:2])
		f.mu.Unlock()
		return err
	})
	st := a.Status(ctx)
	want := []PrefixStatus{{Prefix: vip, Announced: true, Reason: ReasonServing}}
	if diff := cmp.Diff(want, st.Prefixes, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Since" }, cmp.Ignore())); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	step("graceful shutdown: GSHUT, withdraw, stop", []string{"add-path 192.0.2.10/32 65000:2,65535:0", "delete-path 192.0.2.10/32", "stop"}, func() error {
		return a.Shutdown(ctx, 0)
	})
	step("apply after shutdown: nothing", nil, func() error {
		return a.Apply(ctx, []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}})
	})
	if st := a.Status(ctx); st.Prefixes[0].Reason != ReasonStopping || st.Prefixes[0].Announced {
		t.Errorf("after shutdown: %+v", st.Prefixes[0])
	}
}

// TestAnnouncerRetry: a failed announcement is not recorded and the next
// Apply retries it.
func TestAnnouncerRetry(t *testing.T) {
	ctx := context.Background()
	f := &fakeSpeaker{fail: map[string]bool{"add-path": true}}
	a := NewAnnouncer(f, quiet())
	if err := a.Start(ctx, base); err != nil {
		t.Fatal(err)
	}
	f.take()
	ds := []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}}
	if err := a.Apply(ctx, ds); err == nil {
		t.Fatal("Apply: no error from a failing speaker")
	}
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	f.take()
	if err := a.Apply(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"add-path 192.0.2.10/32 65000:1"}, f.take()); diff != "" {
		t.Errorf("retry (-want +got):\n%s", diff)
	}
}

// TestAnnouncerIdentityChange: a new ASN restarts the speaker and
// re-announces what was announced.
func TestAnnouncerIdentityChange(t *testing.T) {
	ctx := context.Background()
	f := &fakeSpeaker{}
	a := NewAnnouncer(f, quiet())
	if err := a.Start(ctx, base); err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, []Decision{{Prefix: vip, Announce: true, Reason: ReasonServing}}); err != nil {
		t.Fatal(err)
	}
	f.take()
	c := base
	c.Global.ASN = 65009
	if err := a.Reload(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := []string{"stop", "start 65009 10.0.0.11", "add-neighbor 10.0.0.1 65000", "add-path 192.0.2.10/32 65000:1"}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
