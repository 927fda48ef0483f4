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

// fakeCARPConn records the frames an instance sends; ReadFrame blocks
// until Close.
type fakeCARPConn struct {
	mu     sync.Mutex
	frames [][]byte
	closed chan struct{}
	once   sync.Once
}

func (c *fakeCARPConn) ReadFrame([]byte) (int, error) { <-c.closed; return 0, net.ErrClosed }
func (c *fakeCARPConn) WriteFrame(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames = append(c.frames, append([]byte(nil), b...))
	return nil
}
func (c *fakeCARPConn) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

func (c *fakeCARPConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// last decodes the last frame sent.
func (c *fakeCARPConn) last(t *testing.T) carp.Advert {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var a carp.Advert
	if len(c.frames) == 0 {
		t.Fatal("no frame sent")
	}
	if r := carp.DecodeFrame(c.frames[len(c.frames)-1], &a); r != carp.DropNone {
		t.Fatalf("decode last frame: %v", r)
	}
	return a
}

func carpTestConfig(t *testing.T, script string, insts ...string) *config.Config {
	t.Helper()
	var b strings.Builder
	for _, in := range insts {
		name, extra, _ := strings.Cut(in, " ")
		n := name[len(name)-1] - 'a' + 1
		b.WriteString("[[carp_instance]]\nname = \"" + name + "\"\ninterface = \"fake0\"\nignoreifstate = true\nneutral = true\n")
		b.WriteString("vhid = " + string('0'+n) + "\npass = \"p\"\naddr = \"10.0.0." + string('0'+n) + "\"\nsrcip = \"10.0.1." + string('0'+n) + "\"\n")
		b.WriteString("advbase = 0\nadvskew = 10\nupscript = \"" + script + " up\"\ndownscript = \"" + script + " down\"\n")
		b.WriteString(strings.ReplaceAll(extra, ";", "\n") + "\n")
	}
	cfg, err := config.Parse("t.toml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPlanCARP(t *testing.T) {
	cfg := func(s string) *config.Config { return carpTestConfig(t, "/bin/true", strings.Split(s, ",")...) }
	old := cfg("a,b,c")
	p := planCARP(old, cfg("a,b deadratio = 4,d"))
	if !slices.Equal(p.removed, []string{"c"}) || !slices.Equal(p.changed, []string{"b"}) || !slices.Equal(p.added, []string{"d"}) {
		t.Errorf("plan = %+v", p)
	}
	if p := planCARP(old, cfg("a,b,c")); !p.empty() {
		t.Errorf("same file: plan = %+v", p)
	}
	n := cfg("a,b,c")
	n.Global.ScriptUser = "nobody"
	if p := planCARP(old, n); len(p.changed) != 3 {
		t.Errorf("script_user changed: plan = %+v", p)
	}
}

// TestCARPReload runs three instances on fake connections until they are
// MASTER, reloads with one unchanged, one changed, one removed and one
// added, and checks what each went through.
func TestCARPReload(t *testing.T) {
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
	d := &daemon{cfg: carpTestConfig(t, script, "a", "b", "c shutdown = true"), log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
	var mu sync.Mutex
	conns := map[string][]*fakeCARPConn{}
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer p.stop(ctx)
	if err := p.start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	allMaster := func() bool {
		for _, ci := range p.insts {
			if ci.inst.State() != carp.Master {
				return false
			}
		}
		return true
	}
	waitFor("masters", allMaster)
	waitFor("up scripts", func() bool { return len(lines()) == 3 })
	a := p.insts[0]
	aStats := a.inst.Stats()

	old := d.cfg
	d.cfg = carpTestConfig(t, script, "a", "b deadratio = 4", "d")
	if err := p.reload(old, planCARP(old, d.cfg)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ci := range p.insts {
		names = append(names, ci.cfg.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "d"}) || p.insts[0] != a {
		t.Fatalf("after reload: instances %v (a kept: %v)", names, p.insts[0] == a)
	}
	mu.Lock()
	aConn, bOld, cConn := conns["10.0.1.1"], conns["10.0.1.2"][0], conns["10.0.1.3"][0]
	nb := len(conns["10.0.1.2"])
	mu.Unlock()
	if len(aConn) != 1 || aConn[0].isClosed() {
		t.Error("unchanged instance a: connection reopened or closed")
	}
	if nb != 2 {
		t.Errorf("changed instance b: %d connections, want 2", nb)
	}
	for name, c := range map[string]*fakeCARPConn{"b": bOld, "c": cConn} {
		if !c.isClosed() {
			t.Errorf("%s: old connection not closed", name)
		}
		if adv := c.last(t); adv.AdvBase != 255 || adv.AdvSkew != 255 {
			t.Errorf("%s: last advert %d/%d, want 255/255", name, adv.AdvBase, adv.AdvSkew)
		}
	}
	// c had shutdown = true: its down script ran when it left as master;
	// b (no shutdown) ran none.
	if got := lines(); !slices.Contains(got, "down_fake0_10.0.0.3") || slices.Contains(got, "down_fake0_10.0.0.2") {
		t.Errorf("scripts after reload: %v", got)
	}
	waitFor("new masters", allMaster)
	waitFor("new up scripts", func() bool { return len(lines()) == 6 })
	if st := a.inst.Stats(); st.State != carp.Master || st.Transitions != aStats.Transitions {
		t.Errorf("unchanged instance a: state %v, transitions %d -> %d", st.State, aStats.Transitions, st.Transitions)
	}
	want := []string{"up_fake0_10.0.0.1", "up_fake0_10.0.0.2", "up_fake0_10.0.0.3", "down_fake0_10.0.0.3", "up_fake0_10.0.0.2", "up_fake0_10.0.0.4"}
	got := lines()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("scripts run: %v, want %v", got, want)
	}
	// Reloading the same file touches nothing, whatever old configuration
	// the caller passes (the part compares with what it runs).
	before := p.insts
	if err := p.reload(&config.Config{}, planCARP(&config.Config{}, d.cfg)); err != nil || !slices.Equal(before, p.insts) {
		t.Errorf("same file: err %v, instances replaced", err)
	}
	if err := p.stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.fatal:
		t.Errorf("daemon failed: %v", err)
	default:
	}
}
