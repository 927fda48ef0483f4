package track

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
)

// fakeTarget records what the Set asks of an instance (the runner's side of
// the boundary).
type fakeTarget struct {
	mu    sync.Mutex
	prio  []int
	fault []bool
}

func (f *fakeTarget) SetPriority(p int) { f.mu.Lock(); f.prio = append(f.prio, p); f.mu.Unlock() }
func (f *fakeTarget) SetFault(v bool)   { f.mu.Lock(); f.fault = append(f.fault, v); f.mu.Unlock() }

func (f *fakeTarget) now() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, v := 0, false
	if len(f.prio) > 0 {
		p = f.prio[len(f.prio)-1]
	}
	if len(f.fault) > 0 {
		v = f.fault[len(f.fault)-1]
	}
	return p, v
}

func waitTarget(t *testing.T, f *fakeTarget, what string, cond func(p int, fault bool) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p, v := f.now(); cond(p, v) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p, v := f.now()
	t.Fatalf("%s: target at priority %d fault %v", what, p, v)
}

// TestSetFromConfig: a configuration's trackers drive the instances: file
// 5 then 6 on base 244 gives 249 then 250; a failing weight -20 script
// lowers by 20 (an instance override by 30); a weight-0 script failing is
// FAULT; the primary interface is tracked.
func TestSetFromConfig(t *testing.T) {
	dir := t.TempDir()
	mode := filepath.Join(dir, "mode")
	os.WriteFile(mode, []byte("ok"), 0o644)
	file := filepath.Join(dir, "track")
	chk := "sh -c 'grep -q ok " + mode + "'"
	cfg := &config.Config{
		Scripts: []config.VRRPScript{
			{Name: "chk", Script: config.Command{Line: chk}, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, Rise: 1, Fall: 1, Weight: -20},
			{Name: "chk0", Script: config.Command{Line: chk}, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, Rise: 1, Fall: 1},
		},
		TrackFiles: []config.TrackFile{{Name: "f", File: file, Weight: 1}},
		Instances: []config.VRRPInstance{
			{Name: "VI_1", Interface: "lo", Priority: 244,
				TrackScripts: []config.TrackRef{{Name: "chk"}}, TrackFiles: []config.TrackRef{{Name: "f"}}},
			{Name: "VI_2", Interface: "lo", Priority: 100, DontTrackPrimary: true,
				TrackScripts: []config.TrackRef{{Name: "chk", Weight: -30, WeightSet: true}}},
			{Name: "VI_3", Interface: "lo", Priority: 100, DontTrackPrimary: true,
				TrackScripts: []config.TrackRef{{Name: "chk0"}}},
		},
	}
	s, err := FromConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prioMu sync.Mutex
	var prios []string
	s.OnPriorityChange(func(in string, p int) {
		prioMu.Lock()
		prios = append(prios, fmt.Sprintf("%s %d", in, p))
		prioMu.Unlock()
	})
	targets := map[string]*fakeTarget{"VI_1": {}, "VI_2": {}, "VI_3": {}}
	for n, f := range targets {
		if err := s.Bind(n, f); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run = %v", err)
		}
	}()
	select {
	case <-s.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("never ready")
	}
	v1, v2, v3 := targets["VI_1"], targets["VI_2"], targets["VI_3"]
	waitTarget(t, v1, "VI_1 start", func(p int, f bool) bool { return p == 244 && !f })
	waitTarget(t, v3, "VI_3 start", func(p int, f bool) bool { return p == 100 && !f })
	for _, c := range []struct {
		v    string
		want int
	}{{"5", 249}, {"6", 250}} {
		os.WriteFile(file, []byte(c.v+"\n"), 0o644)
		waitTarget(t, v1, "file "+c.v, func(p int, f bool) bool { return p == c.want })
	}
	os.WriteFile(mode, []byte("fail"), 0o644)
	waitTarget(t, v1, "chk failing", func(p int, f bool) bool { return p == 230 && !f })
	waitTarget(t, v2, "chk failing, override -30", func(p int, f bool) bool { return p == 70 && !f })
	waitTarget(t, v3, "weight-0 chk0 failing", func(p int, f bool) bool { return f })
	os.WriteFile(mode, []byte("ok"), 0o644)
	waitTarget(t, v3, "chk0 ok", func(p int, f bool) bool { return !f })
	waitTarget(t, v1, "chk ok again", func(p int, f bool) bool { return p == 250 && !f })
	prioMu.Lock()
	gotPrios := strings.Join(prios, ",")
	prioMu.Unlock()
	if !strings.Contains(gotPrios, "VI_1 249,VI_1 250") || !strings.Contains(gotPrios, "VI_2 70") {
		t.Errorf("priority change hook calls %q", gotPrios)
	}
	if e, _ := s.Effect("VI_1"); e.Priority != 250 {
		t.Errorf("VI_1 effect %+v", e)
	}
}

func TestSetFromConfigErrors(t *testing.T) {
	bad := []*config.Config{
		{Scripts: []config.VRRPScript{{Name: "s", Script: config.Command{Line: `x "unterminated`}}}},
		{Instances: []config.VRRPInstance{{Name: "VI_1", TrackScripts: []config.TrackRef{{Name: "missing"}}}}},
		{Scripts: []config.VRRPScript{{Name: "s", Script: config.Command{Line: "true", User: "no-such-user-lvsd"}}}},
	}
	for i, c := range bad {
		if _, err := FromConfig(c, nil); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	s, _ := FromConfig(&config.Config{}, nil)
	if err := s.Bind("nope", &fakeTarget{}); err == nil {
		t.Error("Bind of an unknown instance accepted")
	}
}

// TestSetSyncGroupWeights: members of a sync group without
// sync_group_tracking_weight do not float: weighted interfaces and
// default-weight files count with weight 0, other weighted trackers are
// ignored; with the flag the weights stay.
func TestSetSyncGroupWeights(t *testing.T) {
	dir := t.TempDir()
	cfg := func(flag bool) *config.Config {
		return &config.Config{
			Scripts:    []config.VRRPScript{{Name: "chk", Script: config.Command{Line: "true"}, Weight: -20}},
			TrackFiles: []config.TrackFile{{Name: "f1", File: filepath.Join(dir, "f1"), Weight: 1}, {Name: "f5", File: filepath.Join(dir, "f5"), Weight: 5}},
			SyncGroups: []config.SyncGroup{{Name: "VG_1", Group: []string{"VI_1"}, SyncGroupTrackingWeight: flag}},
			Instances: []config.VRRPInstance{{Name: "VI_1", Interface: "eth0", Priority: 100,
				TrackScripts:    []config.TrackRef{{Name: "chk"}},
				TrackFiles:      []config.TrackRef{{Name: "f1"}, {Name: "f5"}},
				TrackInterfaces: []config.TrackRef{{Name: "eth1", Weight: -5, WeightSet: true}},
			}},
		}
	}
	s, err := FromConfig(cfg(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{{Kind: KindFile, Name: "f1"}, {Kind: KindInterface, Name: "eth1"}, {Kind: KindInterface, Name: "eth0"}}
	if diff := cmp.Diff(want, s.instances["VI_1"].refs); diff != "" {
		t.Errorf("without sync_group_tracking_weight (-want +got):\n%s", diff)
	}
	s, _ = FromConfig(cfg(true), nil)
	want = []Ref{{Kind: KindScript, Name: "chk", Weight: -20}, {Kind: KindFile, Name: "f1", Weight: 1}, {Kind: KindFile, Name: "f5", Weight: 5},
		{Kind: KindInterface, Name: "eth1", Weight: -5}, {Kind: KindInterface, Name: "eth0"}}
	if diff := cmp.Diff(want, s.instances["VI_1"].refs); diff != "" {
		t.Errorf("with sync_group_tracking_weight (-want +got):\n%s", diff)
	}
}
