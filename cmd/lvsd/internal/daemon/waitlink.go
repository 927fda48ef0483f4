package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/track"
	"github.com/lvsd/lvsd/vrrp/vip"
	"github.com/lvsd/lvsd/vrrp/vrrpnet"
)

// An instance whose interface does not exist yet (a VLAN, bond or macvlan
// made after lvsd starts), or has no address to send from yet, does not
// stop lvsd from running, as keepalived: it is built over a
// waitingEndpoint, held in FAULT (holdWaiting) and rebuilt over the real
// socket as soon as the interface is ready (watchLinks, ops' loop:
// rebuildWaiting).

// linkPollInterval is how often watchLinks looks for missing interfaces.
const linkPollInterval = time.Second

// errLinkMissing is what a waiting instance's sends return.
var errLinkMissing = errors.New("interface does not exist yet")

// waitingEndpoint stands for the socket of an instance whose interface
// does not exist: nothing is received, every send fails.
type waitingEndpoint struct {
	local  netip.Addr
	closed chan struct{}
	once   sync.Once
}

var _ vrrpnet.Endpoint = (*waitingEndpoint)(nil)

func (w *waitingEndpoint) WriteTo([]byte, netip.Addr) error {
	return fmt.Errorf("vrrp send: %w", errLinkMissing)
}

func (w *waitingEndpoint) ReadFrom([]byte) (int, vrrpnet.Meta, error) {
	<-w.closed
	return 0, vrrpnet.Meta{}, net.ErrClosed
}

func (w *waitingEndpoint) Close() error {
	w.once.Do(func() { close(w.closed) })
	return nil
}

func (w *waitingEndpoint) LocalAddr() netip.Addr { return w.local }

// waitingKernel is the kernel side of an instance whose interface does not
// exist: a waitingEndpoint, its configured source address or the
// unspecified one (it sends nothing until rebuilt), and an address manager
// on the interface to be.
func (v *vrrpPart) waitingKernel(in *config.VRRPInstance, c *vrrp.Config) *vrrpKernel {
	src := in.MCastSrcIP
	if len(in.UnicastPeers) > 0 && in.UnicastSrcIP.IsValid() {
		src = in.UnicastSrcIP
	}
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
		if in.Family == 6 {
			src = netip.IPv6Unspecified()
		}
	}
	c.SrcAddr = src
	dev := in.Interface
	if in.UseVMAC {
		dev = in.VMACName
	}
	k := &vrrpKernel{conn: &waitingEndpoint{local: src, closed: make(chan struct{})}, waiting: true}
	k.addrs = &addrManager{m: v.m, iface: in.Interface, dev: dev}
	return k
}

// watchLinks sends on appeared the name of every waiting instance whose
// interface is ready now (ready: linkReady), once each, until ctx is done.
func watchLinks(ctx context.Context, ready func(*config.VRRPInstance) bool, waiting map[string]*config.VRRPInstance, appeared chan<- string) {
	t := time.NewTicker(linkPollInterval)
	defer t.Stop()
	for len(waiting) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for name, in := range waiting {
			if !ready(in) {
				continue
			}
			select {
			case appeared <- name:
				delete(waiting, name)
			case <-ctx.Done():
				return
			}
		}
	}
}

// faultTarget binds a waiting instance to its trackers: whatever they
// report, it stays in FAULT (it has no socket to advertise on) until it is
// rebuilt; priorities pass through.
type faultTarget struct{ tg track.Target }

func (f faultTarget) SetPriority(p int) { f.tg.SetPriority(p) }
func (f faultTarget) SetFault(bool)     { f.tg.SetFault(true) }

// holdWaiting puts those of insts that wait for their interface in FAULT
// for good (faultTarget), before they are launched.
func (v *vrrpPart) holdWaiting(insts ...*vrrpInstance) {
	for _, inst := range insts {
		tg, ok := inst.run.(track.Target)
		if !inst.kernel.waiting || !ok {
			continue
		}
		if v.trk != nil {
			_ = v.trk.set.Bind(inst.cfg.Name, faultTarget{tg}) // error: not tracked at all
		}
		tg.SetFault(true)
	}
}

// watchWaiting starts watchLinks for those of insts that wait for their
// interface, for as long as the part runs.
func (v *vrrpPart) watchWaiting(insts ...*vrrpInstance) {
	waiting := map[string]*config.VRRPInstance{}
	for _, inst := range insts {
		if !inst.kernel.waiting {
			continue
		}
		for k := range v.d.cfg.Instances {
			if in := &v.d.cfg.Instances[k]; in.Name == inst.cfg.Name {
				waiting[in.Name] = in
			}
		}
	}
	if len(waiting) == 0 || v.runCtx == nil {
		return
	}
	ctx := v.runCtx
	go watchLinks(ctx, v.d.kernel.linkReady, waiting, v.d.linkUp)
}

// rebuildWaiting rebuilds the instance name over its interface, which
// appeared: alone, or with the whole part when it is in a sync group (its
// group is built with it). Called with ops' lock held.
func (d *daemon) rebuildWaiting(name string) error {
	v := d.vrrp
	found := false
	for _, inst := range v.insts {
		if inst.cfg.Name == name && inst.kernel.waiting {
			found = true
		}
	}
	if !found {
		return nil // rebuilt or removed by a reload meanwhile
	}
	d.log.Info("interface appeared: starting the instance on it", "instance", name)
	for _, g := range d.cfg.SyncGroups {
		for _, m := range g.Group {
			if m == name {
				return d.handoverVRRP(d.cfg)
			}
		}
	}
	return d.reloadInstances(vrrpPlan{changed: []string{name}})
}

// An interface deleted under a running instance (a VLAN, bond or macvlan
// removed, or deleted and made again) leaves its socket bound to an
// ifindex that no longer exists: the instance would hear nothing and
// become MASTER beside the real one. checkLinks, from ops' loop, finds such
// instances and rebuilds them: over a waitingEndpoint, in FAULT, while the
// interface is missing (and watchLinks starts them once it is back), or at
// once over a new socket when it is already back with a new ifindex.

// linkTable is the part of *vip.Manager that knows the interfaces without
// asking the kernel (vip.Manager.Links) and says when they changed
// (vip.Manager.LinkChanges).
type linkTable interface {
	Links() (map[string]int, bool)
	LinkChanges() <-chan struct{}
}

// linkBackstop is how often ops' loop checks the links when the address
// manager notifies their changes (linkWatch): only a safety net.
const linkBackstop = time.Minute

// linkWatch tells ops' loop when to run checkLinks: on the address
// manager's link notifications, with a poll every linkBackstop, or, when
// there is no such manager, a poll every linkPollInterval. An idle lvsd
// then has no wakeup a second for it.
type linkWatch struct {
	t      *time.Ticker
	period time.Duration
}

func newLinkWatch() *linkWatch {
	return &linkWatch{t: time.NewTicker(linkPollInterval), period: linkPollInterval}
}

func (w *linkWatch) stop() { w.t.Stop() }

// checkLinks runs the daemon's checkLinks under ops' lock and logs its
// failure.
func (o *ops) checkLinks() {
	o.mu.Lock()
	err := o.d.checkLinks()
	o.mu.Unlock()
	if err != nil {
		o.log.Error("restarting instances on their re-created interface", "err", err)
	}
}

// chans returns what the loop waits on this round. Called from ops' loop,
// the goroutine that starts, reloads and stops the VRRP part.
func (w *linkWatch) chans(o *ops) (<-chan time.Time, <-chan struct{}) {
	o.mu.RLock()
	var ev <-chan struct{}
	if o.d != nil && o.d.vrrp != nil {
		if l, ok := o.d.vrrp.m.(linkTable); ok {
			ev = l.LinkChanges()
		}
	}
	o.mu.RUnlock()
	period := linkPollInterval
	if ev != nil {
		period = linkBackstop
	}
	if period != w.period {
		w.period = period
		w.t.Reset(period)
	}
	return w.t.C, ev
}

var _ linkTable = (*vip.Manager)(nil)

// linkIndexes returns the index of every interface by name (linuxKernel's
// links).
func linkIndexes() (map[string]int, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	idx := make(map[string]int, len(ifs))
	for _, ifi := range ifs {
		idx[ifi.Name] = ifi.Index
	}
	return idx, nil
}

// goneLinks returns the names of those of insts whose socket is bound to
// an interface (or VMAC) that is missing from idx or has another index
// there now.
// Waiting instances have no socket and are watchLinks' business.
func goneLinks(insts []*vrrpInstance, idx map[string]int) []string {
	var names []string
	for _, inst := range insts {
		if inst.kernel == nil || inst.kernel.waiting {
			continue
		}
		k := inst.kernel
		i, ok := idx[inst.cfg.Interface]
		gone := !ok || i != k.ifindex
		if k.vmac != "" {
			i, ok := idx[k.vmac]
			gone = gone || !ok || i != k.vmacIndex
		}
		if gone {
			names = append(names, inst.cfg.Name)
		}
	}
	return names
}

// checkLinks rebuilds the instances whose interface was deleted or made
// again since their socket was opened (goneLinks): alone, or with the whole
// part when one is in a sync group. Called with ops' lock held.
func (d *daemon) checkLinks() error {
	v := d.vrrp
	if v == nil || len(v.insts) == 0 || v.runCtx == nil {
		return nil
	}
	// The address manager's table answers without a link dump when nothing
	// changed (the usual case, once a second); a difference it shows is
	// confirmed from the kernel, as the table may lag it by a notification.
	if l, ok := v.m.(linkTable); ok {
		if idx, ok := l.Links(); ok && len(goneLinks(v.insts, idx)) == 0 {
			return nil
		}
	}
	idx, err := d.kernel.links()
	if err != nil {
		return fmt.Errorf("check interfaces: %w", err)
	}
	gone := goneLinks(v.insts, idx)
	if len(gone) == 0 {
		return nil
	}
	var ifaces []string
	for _, inst := range v.insts {
		if slices.Contains(gone, inst.cfg.Name) && !slices.Contains(ifaces, inst.cfg.Interface) {
			ifaces = append(ifaces, inst.cfg.Interface)
		}
	}
	d.log.Warn("interface deleted or re-created: rebuilding the instances on it", "instances", gone, "interfaces", ifaces)
	for _, g := range d.cfg.SyncGroups {
		for _, m := range g.Group {
			if slices.Contains(gone, m) {
				return d.handoverVRRP(d.cfg)
			}
		}
	}
	return d.restartGone(gone)
}

// restartGone stops the instances names, whose interface went away, and
// builds them again from scratch: no state is handed over (their VIPs went
// with the interface). All are closed before any is rebuilt, so that none
// reopens a shared socket still bound to the old interface.
func (d *daemon) restartGone(names []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	v := d.vrrp
	var errs []error
	for _, inst := range v.insts {
		if !slices.Contains(names, inst.cfg.Name) {
			continue
		}
		if in, ok := inst.run.(*vrrp.Instance); ok {
			in.Abandon() // no advert can go out on a deleted interface
		}
		inst.cancel()
		<-inst.done
		// gone with the interface, mostly: what is left goes
		if err := inst.kernel.addrs.DelVIPs(ctx, inst.cfg.VIPs); err != nil {
			d.log.Debug("removing the VIPs of a deleted interface", "instance", inst.cfg.Name, "err", err)
		}
		_ = inst.kernel.addrs.DelRoutes(ctx, inst.cfg.Routes)
		_ = inst.kernel.addrs.DelRules(ctx, inst.cfg.Rules)
		v.closeKernel(inst.kernel)
	}
	kept := v.insts[:0]
	var rebuilt []*vrrpInstance
	for _, inst := range v.insts {
		if !slices.Contains(names, inst.cfg.Name) {
			kept = append(kept, inst)
			continue
		}
		var nc *config.VRRPInstance
		for k := range d.cfg.Instances {
			if d.cfg.Instances[k].Name == inst.cfg.Name {
				nc = &d.cfg.Instances[k]
			}
		}
		if nc == nil {
			continue
		}
		ni, err := v.build(ctx, nc)
		if err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", inst.cfg.Name, err))
			continue
		}
		if tg, ok := ni.run.(track.Target); ok && v.trk != nil {
			if err := v.trk.set.Bind(ni.cfg.Name, tg); err != nil {
				errs = append(errs, err)
			}
		}
		kept = append(kept, ni)
		rebuilt = append(rebuilt, ni)
	}
	v.insts = kept
	v.holdWaiting(rebuilt...)
	for _, ni := range rebuilt {
		v.launch(ni)
	}
	v.watchWaiting(rebuilt...)
	return errors.Join(errs...)
}
