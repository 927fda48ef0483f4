package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/script"
	"github.com/lvsd/lvsd/vrrp/vip"
	"github.com/lvsd/lvsd/vrrp/vrrpnet"
)

// fakeKernel is a vrrpKernelFactory that records what the VRRP part does
// in the kernel: adverts sent, VIPs and routes added and removed,
// gratuitous ARPs, VMACs, sockets. Every interface exists (index 1) and is
// ready until a test calls setLink: from then on only the interfaces of
// its table exist (delLink removes one, a VMAC is added by EnsureVMAC on an
// existing parent). Nothing is ever received. It holds no real socket, so
// a daemon over it runs inside a testing/synctest bubble.
type fakeKernel struct {
	mu     sync.Mutex
	events []kevent
	vips   map[vip.Address]bool // the VIPs in place now
	// ifaces: the interfaces by name and their index; nil: every name
	// exists with index 1.
	ifaces    map[string]int
	nextIndex int // the index the next VMAC gets
}

// kevent is one recorded kernel operation.
type kevent struct {
	at   time.Time
	op   string // advert, add-vip, del-vip, add-route, del-route, announce, open, close, vmac, del-vmac, link-add, link-del
	vrid uint8  // advert, open, close
	prio uint8  // advert
	// addrs: the VIPs (add-vip, del-vip) or announced addresses.
	addrs []netip.Addr
}

func (e kevent) String() string {
	return fmt.Sprintf("%s %s vrid=%d prio=%d %v", e.at.Format("15:04:05.000"), e.op, e.vrid, e.prio, e.addrs)
}

var _ vrrpKernelFactory = (*fakeKernel)(nil)

func newFakeKernel() *fakeKernel { return &fakeKernel{vips: map[vip.Address]bool{}} }

func (k *fakeKernel) record(e kevent) {
	e.at = time.Now()
	k.mu.Lock()
	k.events = append(k.events, e)
	k.mu.Unlock()
}

// log returns a copy of the events so far.
func (k *fakeKernel) log() []kevent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.events)
}

// has reports whether the VIP a is in place.
func (k *fakeKernel) has(a netip.Addr) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for x := range k.vips {
		if x.Prefix.Addr() == a {
			return true
		}
	}
	return false
}

func (k *fakeKernel) addrs() (vipManager, error) { return (*fakeAddrs)(k), nil }

func (k *fakeKernel) sockets() vrrpSockets { return (*fakeSockets)(k) }

func (k *fakeKernel) announcer(string) garpAnnouncer { return (*fakeAnnouncer)(k) }

func (k *fakeKernel) sourceAddr(string, bool) (netip.Addr, error) {
	return netip.MustParseAddr("192.0.2.1"), nil
}

// setLink makes interface name exist with index idx (a new index: it was
// deleted and made again), and switches the fake to its interface table.
func (k *fakeKernel) setLink(name string, idx int) {
	k.record(kevent{op: "link-add"})
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ifaces == nil {
		k.ifaces, k.nextIndex = map[string]int{}, 100
	}
	k.ifaces[name] = idx
}

// delLink deletes interface name; what was on it (VIPs) goes with it.
func (k *fakeKernel) delLink(name string) {
	k.record(kevent{op: "link-del"})
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.ifaces, name)
	for a := range k.vips {
		if a.Dev == name {
			delete(k.vips, a)
		}
	}
}

func (k *fakeKernel) linkIndex(name string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ifaces == nil {
		return 1
	}
	if i, ok := k.ifaces[name]; ok {
		return i
	}
	return -1
}

func (k *fakeKernel) linkReady(in *config.VRRPInstance) bool { return k.linkIndex(in.Interface) >= 0 }

func (k *fakeKernel) links() (map[string]int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ifaces == nil {
		return nil, fmt.Errorf("fake kernel: no interface table (setLink)")
	}
	return maps.Clone(k.ifaces), nil
}

// fakeAddrs is the fake's vipManager.
type fakeAddrs fakeKernel

func (f *fakeAddrs) k() *fakeKernel { return (*fakeKernel)(f) }

func prefixes(as []vip.Address) []netip.Addr {
	out := make([]netip.Addr, len(as))
	for i, a := range as {
		out[i] = a.Prefix.Addr()
	}
	return out
}

func (f *fakeAddrs) AddVIPs(_ context.Context, as []vip.Address) error {
	f.k().record(kevent{op: "add-vip", addrs: prefixes(as)})
	f.mu.Lock()
	for _, a := range as {
		f.vips[a] = true
	}
	f.mu.Unlock()
	return nil
}

func (f *fakeAddrs) DelVIPs(_ context.Context, as []vip.Address) error {
	f.k().record(kevent{op: "del-vip", addrs: prefixes(as)})
	f.mu.Lock()
	for _, a := range as {
		delete(f.vips, a)
	}
	f.mu.Unlock()
	return nil
}

func (f *fakeAddrs) MissingVIPs(_ context.Context, as []vip.Address) ([]vip.Address, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vip.Address
	for _, a := range as {
		if !f.vips[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeAddrs) AddRoutes(context.Context, []vip.Route) error {
	f.k().record(kevent{op: "add-route"})
	return nil
}

func (f *fakeAddrs) DelRoutes(context.Context, []vip.Route) error {
	f.k().record(kevent{op: "del-route"})
	return nil
}

func (f *fakeAddrs) AddRules(context.Context, []vip.Rule) error {
	f.k().record(kevent{op: "add-rule"})
	return nil
}

func (f *fakeAddrs) DelRules(context.Context, []vip.Rule) error {
	f.k().record(kevent{op: "del-rule"})
	return nil
}

func (f *fakeAddrs) EnsureVMAC(name, parent string, _ uint8, _ bool) (int, error) {
	f.k().record(kevent{op: "vmac"})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ifaces == nil {
		return 2, nil
	}
	if _, ok := f.ifaces[parent]; !ok {
		return 0, fmt.Errorf("fake kernel: create VMAC %s on %s: no such interface", name, parent)
	}
	if i, ok := f.ifaces[name]; ok {
		return i, nil
	}
	f.nextIndex++
	f.ifaces[name] = f.nextIndex
	return f.nextIndex, nil
}

func (f *fakeAddrs) DeleteVMAC(name string) error {
	f.k().record(kevent{op: "del-vmac"})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ifaces != nil {
		delete(f.ifaces, name)
	}
	return nil
}

func (f *fakeAddrs) Close() error { return nil }

// fakeSockets opens fakeEndpoints.
type fakeSockets fakeKernel

func (f *fakeSockets) Open(c vrrpnet.Config, vrid uint8) (vrrpnet.Endpoint, error) {
	k := (*fakeKernel)(f)
	if k.linkIndex(c.Interface) < 0 || k.linkIndex(c.SendInterface) < 0 {
		return nil, fmt.Errorf("fake kernel: open %s: no such interface", c.Interface)
	}
	k.record(kevent{op: "open", vrid: vrid})
	src := c.Src
	if !src.IsValid() {
		src, _ = k.sourceAddr(c.Interface, c.IPv6)
	}
	return &fakeEndpoint{k: k, vrid: vrid, src: src, closed: make(chan struct{})}, nil
}

// fakeEndpoint records what is sent and receives nothing.
type fakeEndpoint struct {
	k      *fakeKernel
	vrid   uint8
	src    netip.Addr
	once   sync.Once
	closed chan struct{}
}

func (e *fakeEndpoint) WriteTo(b []byte, _ netip.Addr) error {
	if len(b) < 3 {
		return fmt.Errorf("short advert")
	}
	// VRRP header: version and type, VRID, priority.
	e.k.record(kevent{op: "advert", vrid: b[1], prio: b[2]})
	return nil
}

func (e *fakeEndpoint) ReadFrom([]byte) (int, vrrpnet.Meta, error) {
	<-e.closed
	return 0, vrrpnet.Meta{}, net.ErrClosed
}

func (e *fakeEndpoint) Close() error {
	e.once.Do(func() {
		e.k.record(kevent{op: "close", vrid: e.vrid})
		close(e.closed)
	})
	return nil
}

func (e *fakeEndpoint) LocalAddr() netip.Addr { return e.src }

// fakeAnnouncer records gratuitous ARPs / NAs.
type fakeAnnouncer fakeKernel

func (f *fakeAnnouncer) Announce(as []netip.Addr) error {
	(*fakeKernel)(f).record(kevent{op: "announce", addrs: slices.Clone(as)})
	return nil
}

func (f *fakeAnnouncer) SetIntervals(time.Duration, time.Duration) {}
func (f *fakeAnnouncer) SetPacingGroup(string)                     {}
func (f *fakeAnnouncer) Close() error                              { return nil }

// slowScript is a vrrp_script runner that succeeds after delay (fake time
// under synctest), or times out as script.Run would.
func slowScript(delay time.Duration) func(context.Context, script.Spec) script.Result {
	return func(ctx context.Context, s script.Spec) script.Result {
		start := time.Now()
		d, res := delay, script.Result{Reason: script.ReasonOK}
		if s.Timeout > 0 && s.Timeout < d {
			d, res = s.Timeout, script.Result{Reason: script.ReasonTimeout}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			res = script.Result{Reason: script.ReasonSignal}
		}
		res.Start, res.Duration = start, time.Since(start)
		return res
	}
}

// fakeDaemon is a daemon whose VRRP part runs over k, its vrrp_scripts run
// by run; only the VRRP part is started.
func fakeDaemon(t *testing.T, src string, k *fakeKernel, run func(context.Context, script.Spec) script.Result) *daemon {
	t.Helper()
	d := newDaemon(parseConfig(t, src), slog.New(slog.DiscardHandler))
	d.kernel, d.runScript = k, run
	if err := d.vrrp.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func parseConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// reloadTo applies a reload to src as reloadLocked does for the VRRP side:
// the plan, then its executor.
func reloadTo(t *testing.T, d *daemon, src string) reloadPlan {
	t.Helper()
	old, cfg := d.cfg, parseConfig(t, src)
	plan := planReload(old, cfg)
	d.cfg = cfg
	if !plan.vrrp.unchanged {
		if err := d.reloadVRRP(old, plan.vrrp); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

// stopFake stops the VRRP part and the script pool.
func stopFake(t *testing.T, d *daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := d.vrrp.stop(ctx); err != nil {
		t.Error(err)
	}
	if err := d.scripts.Close(ctx); err != nil {
		t.Error(err)
	}
}
