package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/script"
	"github.com/lvsd/lvsd/vrrp/track"
	"github.com/lvsd/lvsd/vrrp/vipfw"
)

// daemon is `lvsd run`: a list of parts started in order and stopped in
// reverse order. Each part (VRRP now; IPVS, checkers, control socket and
// metrics later) adds one step in newDaemon.
type daemon struct {
	log   *slog.Logger
	cfg   *config.Config
	steps []step

	// started counts the steps whose start succeeded; only the daemon's
	// own goroutine (run) touches it.
	started int
	// fatal receives the error of a part that failed while running.
	fatal chan error
	// ipvs is the IPVS part (run_ipvs.go); VRRP transitions reach it.
	ipvs *ipvsPart
	// health runs the health checks (run_health.go); results go to ipvs.
	health *healthPart
	// bfd runs the BFD sessions (run_bfd.go); bfd_check and track_bfd
	// read them.
	bfd *bfdPart
	// vrrp is the VRRP part (status, reload: ops.go, reload.go).
	vrrp *vrrpPart
	// carp runs the carp_instance tables (carp.go); status reads it.
	carp *carpPart
	// bgp announces the VIPs by BGP (run_bgp.go); health results and VRRP
	// transitions reach it. Its step is the last: it stops first.
	bgp *bgpPart
	// prev is the state file of the previous run, read at start: instances
	// it records as MASTER may resume (restart without outage, reload.go).
	prev stateFile
	// inherit and inheritGroups: during a reload hand-over, the instances
	// and sync groups whose own configuration did not change, with the
	// states they take over quietly (quietHandover, reload.go); nil else.
	inherit       map[string]*vrrp.Stats
	inheritGroups map[string]vrrp.State
	// stateKick (capacity 1) wakes the state file writer on a transition
	// (ops.go); nil when none runs.
	stateKick chan struct{}
	// linkUp receives the names of the instances built without their
	// interface once it exists (watchLinks); ops' loop rebuilds them.
	linkUp chan string
	// mail sends the e-mail alerts (mail.go).
	mail *mailPart
	// static owns static_ipaddress, static_routes, static_rules (static.go).
	static *staticPart
	// snmp is the AgentX subagent (run_snmp.go); its step is the last.
	snmp *snmpPart
	// dontReleaseIPVS and dontReleaseVRRP are lvsd run's
	// --dont-release-ipvs and --dont-release-vrrp (keepalived's -I and
	// -V): at stop, keep the IPVS services lvsd owns / keep the VIPs and
	// routes and send no priority-0 advert. Set before start.
	dontReleaseIPVS, dontReleaseVRRP bool
	// handover: this daemon takes over from a process it replaces, or
	// hands over to one (a binary upgrade in place, upgrade.go): IPVS is
	// neither flushed at start nor released, nor are its sync daemon and
	// timeouts touched at stop, and no quorum script runs at stop.
	handover bool
	// scripts runs quorum and real-server notify scripts, bounded in time
	// and number; closed after every part stopped.
	scripts *scriptpool.Pool
	// kernel opens the VRRP instances' kernel resources (vrrpkernel.go);
	// a recording fake in tests.
	kernel vrrpKernelFactory
	// runScript runs vrrp_script checks (script.Run; a fake in tests).
	runScript func(context.Context, script.Spec) script.Result
	// lvsfifo writes RS and VS lines to notify_fifo and lvs_notify_fifo
	// (lvsfifo.go); nil without them.
	lvsfifo *lvsFIFO
}

// step is one part of the daemon.
type step struct {
	name  string
	start func(ctx context.Context) error
	// stop undoes start; it is given a context bounding the shutdown.
	stop func(ctx context.Context) error
}

func newDaemon(cfg *config.Config, log *slog.Logger) *daemon {
	d := &daemon{log: log, cfg: cfg, fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{Logger: log}), linkUp: make(chan string, 1),
		kernel: linuxKernel{vip: vipOptionsOf(cfg)}, runScript: script.Run}
	d.static = newStaticPart(d) // static.go: first in, last out
	d.steps = append(d.steps, step{name: "static", start: d.static.start, stop: d.static.stop})
	d.mail = newMailPart(cfg, log)
	d.mail.view = func() (healthcheck.HealthView, bool) {
		if d.health == nil {
			return healthcheck.HealthView{}, false
		}
		return d.health.view()
	}
	d.steps = append(d.steps, step{name: "mail", start: d.mail.start, stop: d.mail.stop})
	igmp := &igmpPart{d: d, path: igmpLLMReports} // igmp.go
	d.steps = append(d.steps, step{name: "igmp", start: igmp.start, stop: igmp.stop})
	d.steps = append(d.steps, step{name: "lvs_notify_fifo", start: d.startLVSFIFO, stop: d.stopLVSFIFO}) // lvsfifo.go
	d.ipvs = newIPVSPart(d)
	d.steps = append(d.steps, step{name: "ipvs", start: d.ipvs.start, stop: d.ipvs.stop})
	d.bfd = newBFDPart(d)
	d.steps = append(d.steps, step{name: "bfd", start: d.bfd.start, stop: d.bfd.stop})
	d.health = newHealthPart(d)
	d.steps = append(d.steps, step{name: "health", start: d.health.start, stop: d.health.stop})
	v := &vrrpPart{d: d}
	d.vrrp = v
	d.steps = append(d.steps, step{name: "vrrp", start: v.start, stop: v.stop})
	d.steps = append(d.steps, newCARPStep(d)) // carp.go
	d.bgp = newBGPPart(d)
	d.steps = append(d.steps, step{name: "bgp", start: d.bgp.start, stop: d.bgp.stop})
	d.snmp = newSNMPPart(d) // run_snmp.go: last in, first out
	d.steps = append(d.steps, step{name: "snmp", start: d.snmp.start, stop: d.snmp.stop})
	return d
}

// start runs the steps in order; on a failure it stops those already started.
func (d *daemon) start(ctx context.Context) error {
	for _, s := range d.steps {
		if err := s.start(ctx); err != nil {
			d.stop(context.Background())
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		d.started++
		d.log.Debug("started", "part", s.name)
	}
	return nil
}

// stopTimeout bounds the graceful stop of every part.
const stopTimeout = 10 * time.Second

// stop stops the started steps in reverse order and returns their errors.
func (d *daemon) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	var errs []error
	for i := d.started - 1; i >= 0; i-- {
		s := d.steps[i]
		if err := s.stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	d.started = 0
	if err := d.scripts.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop scripts: %w", err))
	}
	return errors.Join(errs...)
}

// failed reports a part that stopped on its own with an error.
func (d *daemon) failed(err error) {
	select {
	case d.fatal <- err:
	default:
	}
}

// vrrpPart runs every vrrp_instance.
type vrrpPart struct {
	d *daemon
	m vipManager
	// fw is the nftables table of the instances without Accept_Mode,
	// opened by the first (firewall), handed over on reload with m and
	// deleted at stop; nil while none needs it.
	fw     *vipfw.Firewall
	reg    vrrpSockets     // sockets shared per interface and family
	runCtx context.Context // parent of every instance's context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	insts  []*vrrpInstance
	trk    *vrrpTracking // trackers and notifications (vrrptrack.go)
	causes causeLog      // last transition cause per instance (status.go)
}

type vrrpInstance struct {
	cfg    vrrp.Config
	kernel *vrrpKernel
	run    vrrpRunner
	// cancel stops this instance alone and done is closed when its Run
	// returned (launch, reload.go).
	cancel context.CancelFunc
	done   chan struct{}
}

func (v *vrrpPart) start(ctx context.Context) error {
	if len(v.d.cfg.Instances) == 0 {
		if v.m != nil {
			v.m.Close()
			v.m = nil
		}
		return nil
	}
	if v.m == nil { // else handed over by the previous part (handoverVRRP)
		m, err := v.d.kernel.addrs()
		if err != nil {
			return err
		}
		v.m = m
	}
	if v.trk == nil { // else made and running already (handoverVRRP)
		trk, err := v.d.newVRRPTracking(v.d.cfg)
		if err != nil {
			v.closeAll()
			return err
		}
		v.trk = trk
		v.d.bfd.attach(trk.set) // track_bfd (run_bfd.go)
		// The trackers' first results come before the instances are
		// built: the decision to resume as master (resumable) is taken
		// when the instance is about to advertise.
		trk.run(v.d.failed)
		v.awaitTrackers(ctx)
	}
	v.trk.groupInherit = v.d.inheritGroups
	v.trk.groupMail = v.d.snmp.group(v.d.mail.group)
	for i := range v.d.cfg.Instances {
		in := &v.d.cfg.Instances[i]
		inst, err := v.build(ctx, in)
		if err != nil {
			_ = v.trk.stop(ctx) // running already (stop is idempotent)
			v.closeAll()
			return err
		}
		v.insts = append(v.insts, inst)
	}
	targets := map[string]track.Target{}
	for _, inst := range v.insts {
		if tg, ok := inst.run.(track.Target); ok {
			targets[inst.cfg.Name] = tg
		}
	}
	if err := v.trk.start(targets, v.d.failed); err != nil {
		v.trk.stop(ctx)
		v.closeAll()
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	v.runCtx, v.cancel = runCtx, cancel
	v.holdWaiting(v.insts...)
	for _, inst := range v.insts {
		v.launch(inst)
	}
	v.watchWaiting(v.insts...)
	return nil
}

// build prepares one instance: config, VMAC, socket, leftovers removed.
func (v *vrrpPart) build(ctx context.Context, in *config.VRRPInstance) (*vrrpInstance, error) {
	c, err := instanceConfig(&v.d.cfg.Global, in)
	if err != nil {
		return nil, err
	}
	if v.reg == nil {
		v.reg = v.d.kernel.sockets()
	}
	setUnknownHandler(v.reg, &v.d.cfg.Global, v.d.log)
	var k *vrrpKernel
	if !v.d.kernel.linkReady(in) {
		v.d.log.Warn("interface does not exist or has no address: instance held in FAULT until it is ready", "instance", in.Name, "interface", in.Interface)
		k = v.waitingKernel(in, &c)
	} else if k, err = openKernel(v.d.kernel, v.m, v.reg, &v.d.cfg.Global, v.d.cfg.GARPGroups, in, &c); err != nil {
		return nil, fmt.Errorf("instance %s: %w", in.Name, err)
	}
	if !k.waiting {
		k.ifindex = v.d.kernel.linkIndex(in.Interface)
		if k.vmac != "" {
			k.vmacIndex = v.d.kernel.linkIndex(k.vmac)
		}
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		v.closeKernel(k)
		return nil, err
	}
	log := v.d.log.With("instance", c.Name)
	if err := v.firewall(log, in, c, k); err != nil {
		v.closeKernel(k)
		return nil, fmt.Errorf("instance %s: %w", in.Name, err)
	}
	// A crashed daemon leaves its VIPs behind: remove them unless this node
	// is the address owner and becomes master at once.
	// A restarted master whose VIPs are still in place resumes (reload.go).
	// An unchanged master of a reload hand-over takes over quietly (its
	// VIPs are in place): no resume decision, no log about it.
	inherit := v.d.inherit[c.Name]
	resume := inherit != nil && inherit.State == vrrp.StateMaster || !k.waiting && v.resumable(ctx, log, k, c)
	if c.Priority < 255 && !resume && !k.waiting {
		v.removeLeftovers(ctx, log, k, c)
	}
	opts := v.trk.instanceOptions(c.Name)
	opts.OnTransition = v.d.stateChanged(v.causes.wrap(v.d.bgp.wrapTransition(v.d.ipvs.wrapTransition(v.causes.deletable(v.trk, opts.OnTransition)))))
	opts.OnTransition = v.d.mail.instance(v.causes.isDeleted, opts.OnTransition)
	opts.OnTransition = v.d.snmp.instance(opts.OnTransition) // run_snmp.go
	opts.Resume, opts.LateTimer = resume, v.d.cfg.Global.VRRPLateTimer
	if resume {
		opts.ResumeAHSeq = v.d.prev.ahResumeSeq(c.Name, time.Now(), c.AdvertInterval)
	}
	if g := &v.d.cfg.Global; g.MaxAutoPriority > 0 {
		procPriority.configure(0, g.MaxAutoPriority, g.MinAutoPriorityDelay, nil) // a reload's limits
		opts.OnLate = procPriority.late
	}
	opts.Inherit = inherit // quiet take-over (reload.go)
	r, err := newVRRPRunner(c, k, v.d.log, opts)
	if err != nil {
		v.closeKernel(k)
		return nil, fmt.Errorf("instance %s: %w", in.Name, err)
	}
	log.Info("instance ready", "interface", c.Interface, "vrid", c.VRID, "version", c.Version,
		"priority", c.Priority, "src", c.SrcAddr, "unicast", c.Unicast(), "vmac", k.vmac)
	return &vrrpInstance{cfg: c, kernel: k, run: r}, nil
}

// awaitTrackers waits for the trackers' first results (waitReady) at
// start. The VIPs a crashed run left behind go at once, or, for an
// instance that may resume (recorded as MASTER, fresh), as soon as it can
// no longer: a backup may take over from then on.
func (v *vrrpPart) awaitTrackers(ctx context.Context) {
	select {
	case <-v.trk.set.Ready():
		return
	default:
	}
	type pending struct {
		in    *config.VRRPInstance
		until time.Time
	}
	var wait []pending
	now := time.Now()
	for i := range v.d.cfg.Instances {
		in := &v.d.cfg.Instances[i]
		c, err := instanceConfig(&v.d.cfg.Global, in)
		if err != nil || c.Priority == 255 {
			continue // build reports it / the owner keeps its VIPs
		}
		c = c.WithDefaults()
		if st := v.d.inherit[c.Name]; st != nil && (st.State == vrrp.StateMaster || st.State == vrrp.StateBackup) {
			continue // taken over quietly (upgrade.go): its VIPs stay
		}
		if v.d.prev.wasMaster(c.Name, c.VRID, c.Interface) && v.d.prev.fresh(now, c.AdvertInterval) {
			wait = append(wait, pending{in, v.d.prev.alive.Add(freshLimit(c.AdvertInterval))})
			continue
		}
		v.removeLeftovers(ctx, v.d.log.With("instance", c.Name), v.leftoverAddrs(in), c)
	}
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		var next <-chan time.Time
		var t *time.Timer
		if len(wait) > 0 {
			first := 0
			for k, p := range wait {
				if p.until.Before(wait[first].until) {
					first = k
				}
			}
			t = time.NewTimer(time.Until(wait[first].until))
			next = t.C
		}
		var now time.Time
		select {
		case <-v.trk.set.Ready():
		case <-deadline.C:
			v.d.log.Warn("starting instances before every weight-0 vrrp_script has a result")
		case now = <-next:
		}
		if t != nil {
			t.Stop()
		}
		if now.IsZero() {
			return
		}
		kept := wait[:0]
		for _, p := range wait {
			if now.Before(p.until) {
				kept = append(kept, p)
				continue
			}
			log := v.d.log.With("instance", p.in.Name)
			log.Info("was master, but the trackers' first results came too late to resume (a backup may take over)")
			if c, err := instanceConfig(&v.d.cfg.Global, p.in); err == nil {
				v.removeLeftovers(ctx, log, v.leftoverAddrs(p.in), c)
			}
		}
		wait = kept
	}
}

// leftoverAddrs is the address manager of an instance not built yet: where
// its VIPs are if a previous run left them.
func (v *vrrpPart) leftoverAddrs(in *config.VRRPInstance) *vrrpKernel {
	dev := in.Interface
	if in.UseVMAC {
		dev = in.VMACName
		if v.d.kernel.linkIndex(dev) < 0 {
			dev = in.Interface // no VMAC left: nothing on it
		}
	}
	return &vrrpKernel{addrs: &addrManager{m: v.m, iface: in.Interface, dev: dev}}
}

func (v *vrrpPart) removeLeftovers(ctx context.Context, log *slog.Logger, k *vrrpKernel, c vrrp.Config) {
	missing, err := k.addrs.MissingVIPs(ctx, c.VIPs)
	if err != nil {
		log.Warn("cannot list addresses", "err", err)
	}
	if err == nil && len(missing) == len(c.VIPs) {
		return
	}
	log.Warn("removing virtual addresses left by a previous run", "present", len(c.VIPs)-len(missing))
	if err := k.addrs.DelVIPs(ctx, c.VIPs); err != nil {
		log.Warn("cannot remove leftover virtual addresses", "err", err)
	}
	if err := k.addrs.DelRoutes(ctx, c.Routes); err != nil {
		log.Warn("cannot remove leftover virtual routes", "err", err)
	}
	if err := k.addrs.DelRules(ctx, c.Rules); err != nil {
		log.Warn("cannot remove leftover virtual rules", "err", err)
	}
}

func (v *vrrpPart) closeKernel(k *vrrpKernel) {
	k.conn.Close()
	if k.announce != nil {
		k.announce.Close()
	}
	if k.vmac != "" && !k.keepVMAC {
		if err := v.m.DeleteVMAC(k.vmac); err != nil {
			v.d.log.Warn("cannot remove VMAC", "interface", k.vmac, "err", err)
		}
	}
	if k.promoted != "" {
		if err := unpromoteSecondaries(v.m, k.promoted); err != nil {
			v.d.log.Warn("cannot restore promote_secondaries", "interface", k.promoted, "err", err)
		}
	}
}

func (v *vrrpPart) closeAll() {
	v.closeInstances()
	if v.m != nil {
		v.m.Close()
	}
	if v.fw != nil {
		// --dont-release-vrrp leaves the VIPs, and so their drop rules
		// (the next run's Open replaces the table).
		if !v.d.dontReleaseVRRP {
			if err := v.fw.Close(); err != nil {
				v.d.log.Warn("cannot remove the firewall table", "err", err)
			}
		}
		v.fw = nil
	}
}

// firewall gives an instance without Accept_Mode (accept = false, or
// strict mode) the table that drops traffic to its VIPs while it is
// master, opening it for the first such instance. An instance that
// resumes or inherits mastership with its VIPs in place gets their rules
// now; one with Accept_Mode has any rule of its addresses removed (accept
// turned on by a reload).
func (v *vrrpPart) firewall(log *slog.Logger, in *config.VRRPInstance, c vrrp.Config, k *vrrpKernel) error {
	if in.AcceptMode(&v.d.cfg.Global) {
		if v.fw != nil {
			return v.fw.Accept(vipAddrs(c.VIPs))
		}
		return nil
	}
	if v.fw == nil {
		g := &v.d.cfg.Global
		fw, err := vipfw.OpenWith(vipfw.Options{Table: g.NFTables, Priority: int32(g.NFTablesPriority), Counters: g.NFTablesCounters})
		if err != nil {
			return err
		}
		v.fw = fw
		log.Info("firewall table for accept off", "table", "inet "+g.NFTables, "priority", g.NFTablesPriority, "counters", g.NFTablesCounters)
	}
	k.addrs.fw = v.fw
	if k.waiting {
		return nil
	}
	// VIPs already in place (resume, quiet reload take-over) keep being
	// dropped; AddVIPs adds the rules of the others.
	missing, err := k.addrs.MissingVIPs(context.Background(), c.VIPs)
	if err != nil {
		return err
	}
	gone := map[netip.Addr]bool{}
	for _, m := range missing {
		gone[m.Prefix.Addr()] = true
	}
	var present []netip.Addr
	for _, a := range vipAddrs(c.VIPs) {
		if !gone[a] {
			present = append(present, a)
		}
	}
	return v.fw.Drop(present)
}

// closeInstances closes every instance's kernel share (sockets, VMACs
// unless kept), leaving the address manager open.
func (v *vrrpPart) closeInstances() {
	for _, inst := range v.insts {
		v.closeKernel(inst.kernel)
	}
	v.insts = nil
}

// stop makes every instance leave gracefully (priority-0 advert as master,
// VIPs and routes removed), then makes sure nothing is left behind.
func (v *vrrpPart) stop(ctx context.Context) error {
	if v.cancel == nil {
		return nil
	}
	if v.d.dontReleaseVRRP {
		// --dont-release-vrrp: leave as a crash would, VIPs in place.
		for _, in := range v.instances() {
			in.Abandon()
		}
	}
	v.cancel()
	done := make(chan struct{})
	go func() { v.wg.Wait(); close(done) }()
	var errs []error
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("instances did not stop: %w", ctx.Err()))
	}
	for _, inst := range v.insts {
		if v.d.dontReleaseVRRP {
			// the VIPs stay, so must the VMAC that carries them
			inst.kernel.keepVMAC = true
			continue
		}
		// the runner removes them itself; this covers a runner that failed
		if err := inst.kernel.addrs.DelRules(ctx, inst.cfg.Rules); err != nil {
			errs = append(errs, err)
		}
		if err := inst.kernel.addrs.DelVIPs(ctx, inst.cfg.VIPs); err != nil {
			errs = append(errs, err)
		}
		if err := inst.kernel.addrs.DelRoutes(ctx, inst.cfg.Routes); err != nil {
			errs = append(errs, err)
		}
	}
	v.closeAll()
	if v.trk != nil {
		// After the instances: their STOP notifications are queued.
		if err := v.trk.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
