package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/track"
)

// resumable reports whether an instance resumes as MASTER at start: the
// previous run (state file, or the reload handing over) recorded it as
// MASTER on the same VRID and interface, and every VIP is still in place.
func (v *vrrpPart) resumable(ctx context.Context, log *slog.Logger, k *vrrpKernel, c vrrp.Config) bool {
	if !v.d.prev.wasMaster(c.Name, c.VRID, c.Interface) || len(c.VIPs) == 0 {
		return false
	}
	if v.d.prev.handover {
		log.Info("resuming as master across the reload")
		return true
	}
	if now := time.Now(); !v.d.prev.fresh(now, c.AdvertInterval) {
		log.Info("was master, but the previous run stopped too long ago (a backup may have taken over): starting as usual",
			"since_last_advert", now.Sub(v.d.prev.alive).Round(time.Millisecond), "limit", freshLimit(c.AdvertInterval))
		return false
	}
	missing, err := k.addrs.MissingVIPs(ctx, c.VIPs)
	if err != nil {
		log.Warn("cannot list addresses, not resuming", "err", err)
		return false
	}
	if len(missing) > 0 {
		log.Info("was master but virtual addresses are gone, starting as usual", "missing", len(missing))
		return false
	}
	log.Info("resuming as master: the previous run was master and the virtual addresses are in place")
	return true
}

// reload reads and validates the configuration file again and applies the
// difference. An invalid file changes nothing: every error is logged and
// returned (the control socket's reply carries them). Called by run only.
func (o *ops) reload() error {
	BeginLoad() // memory.go: no collection while parsing; releaseMemory ends it
	o.reloadStart.Store(time.Now().UnixNano())
	o.reloading.Store(true)
	defer o.reloading.Store(false)
	o.sd.Reloading()
	start := time.Now()
	err := o.reloadLocked()
	o.reloads.Add(1)
	o.lastReloadFailed.Store(err != nil)
	if err != nil {
		o.reloadsFailed.Add(1)
		o.log.Error("reload failed, the running configuration stays", "err", err)
	} else {
		o.log.Info("configuration reloaded", "took", time.Since(start).Round(time.Microsecond))
	}
	select {
	case o.d.stateKick <- struct{}{}: // instances may have come or gone
	default:
	}
	o.sd.Ready(o.summary())
	releaseMemory()
	return err
}

func (o *ops) reloadLocked() error {
	src, err := os.ReadFile(o.file)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	cfg, err := config.Parse(o.file, src)
	if err == nil {
		// What `lvsd check` refuses on this host (a missing script, an
		// unknown script user) is refused too; warnings are logged.
		err = CheckHost(o.log.With("op", "reload"), cfg, src)
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line != "" {
				o.log.Error("reload: invalid configuration", "err", line)
			}
		}
		return fmt.Errorf("reload: %w", err)
	}
	// Everything that can be refused is checked before anything changes.
	specs, err := ipvs.FromConfig(cfg)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if _, err := healthcheck.FromConfig(cfg, checkerScripts{}); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if _, err := quorumUsers(cfg); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if _, err := staticFromConfig(cfg); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.d
	old := d.cfg
	if err := reloadNetNamespace(old, cfg); err != nil { // netns.go
		return err
	}
	plan := planReload(old, cfg) // reloadplan.go: what changes, decided once
	plan.log(o.log)
	d.cfg = cfg
	o.loaded = time.Now()
	applyProcess(o.log, &old.Global, cfg.Global) // process.go
	d.lvsfifo.setConfig(cfg)                     // lvsfifo.go: the FIFOs stay
	if d.mail != nil {
		d.mail.set(cfg)
	}
	d.snmp.reload(cfg) // run_snmp.go
	var errs []error
	if d.static != nil {
		if err := d.static.reload(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if err := d.reloadIPVS(specs); err != nil {
		errs = append(errs, err)
	}
	if d.bfd != nil { // run_bfd.go
		if err := d.bfd.reload(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if d.health != nil {
		if err := d.health.reload(cfg, plan.checkers); err != nil {
			errs = append(errs, err)
		}
	}
	if d.bgp != nil {
		if err := d.bgp.reload(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if d.carp != nil {
		if err := d.carp.reload(old, plan.carp); err != nil {
			errs = append(errs, err)
		}
	}
	if plan.vrrp.unchanged {
		o.log.Info("reload: VRRP configuration unchanged, instances untouched")
	} else if err := d.reloadVRRP(old, plan.vrrp); err != nil {
		errs = append(errs, err)
	}
	d.fifoStatesOnReload() // fifostates.go
	return errors.Join(errs...)
}

// reloadIPVS hands the new desired table to the IPVS part, which applies
// only the difference (ipvs.Manager: one request per changed destination),
// and applies changed lvs_timeouts and lvs_sync_daemon (reloadGlobal).
// The part starts if the old configuration did not need it.
func (d *daemon) reloadIPVS(specs []ipvs.VirtualServer) error {
	p := d.ipvs
	if p == nil {
		return nil
	}
	if !ipvsRunning(p) {
		if !p.needed() {
			return nil
		}
		if err := p.start(context.Background()); err != nil {
			return fmt.Errorf("reload: start IPVS: %w", err)
		}
		return nil
	}
	// Quorum scripts run as the users of the new file (reloadLocked has
	// refused a file whose scripts cannot be resolved).
	users, err := quorumUsers(d.cfg)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	p.mu.Lock()
	p.specs, p.quorumUsers = specs, users
	reseedHealth(p.health, specs, d.cfg) // reload_health.go: one computation per reload
	p.mu.Unlock()
	p.kickLoop()
	return p.reloadGlobal(d.cfg)
}

// vrrpEqual reports whether two configurations have the same VRRP side:
// instances, sync groups, trackers and the global keys they use.
func vrrpEqual(a, b *config.Config) bool {
	a, b = withoutMail(a), withoutMail(b) // mail settings never restart VRRP (mail.go)
	return reflect.DeepEqual(vrrpGlobal(a.Global), vrrpGlobal(b.Global)) &&
		reflect.DeepEqual(a.Scripts, b.Scripts) &&
		reflect.DeepEqual(a.TrackProcesses, b.TrackProcesses) &&
		reflect.DeepEqual(a.TrackFiles, b.TrackFiles) &&
		reflect.DeepEqual(bfdTracked(a), bfdTracked(b)) &&
		reflect.DeepEqual(a.SyncGroups, b.SyncGroups) &&
		reflect.DeepEqual(a.Instances, b.Instances)
}

// vrrpGlobal is g without the keys that do not concern VRRP.
func vrrpGlobal(g config.Global) config.Global {
	g.LVSSyncDaemon, g.LVSTimeouts, g.LVSFlush, g.LVSFlushOnStop = nil, config.LVSTimeouts{}, false, false
	g.MetricsListen = ""
	g.SNMP = config.SNMP{} // the SNMP part takes it (run_snmp.go)
	g.SSLCA, g.SSLCertificate, g.SSLKey = "", "", ""
	g.VRRPRTPriority, g.VRRPNoSwap = 0, false
	g.Process, g.DisableLocalIGMP = config.Process{}, false
	return g
}

// reloadVRRP applies the VRRP side of a reload as planned (planReload):
// instance by instance when only instances changed or went away
// (reloadInstances), else by handing the whole part over (handoverVRRP).
func (d *daemon) reloadVRRP(old *config.Config, plan vrrpReload) error {
	if d.vrrp.trk != nil && !plan.whole {
		return d.reloadInstances(plan.instances)
	}
	return d.handoverVRRP(old)
}

// vrrpPlan is an instance-by-instance reload: instances to stop and
// instances to restart; all the others are left alone.
type vrrpPlan struct {
	removed, changed []string
}

// planVRRP returns the instance-by-instance plan from old to cfg, or false
// when the change needs the whole part handed over: a change of the VRRP
// global keys, trackers or sync groups, a new instance, or a changed
// instance whose trackers, interface or notify scripts changed, or that is
// in a sync group.
func planVRRP(old, cfg *config.Config) (vrrpPlan, bool) {
	var p vrrpPlan
	old, cfg = withoutMail(old), withoutMail(cfg)
	if !reflect.DeepEqual(vrrpGlobal(old.Global), vrrpGlobal(cfg.Global)) ||
		!reflect.DeepEqual(old.Scripts, cfg.Scripts) ||
		!reflect.DeepEqual(old.TrackProcesses, cfg.TrackProcesses) ||
		!reflect.DeepEqual(old.TrackFiles, cfg.TrackFiles) ||
		!reflect.DeepEqual(bfdTracked(old), bfdTracked(cfg)) ||
		!reflect.DeepEqual(old.SyncGroups, cfg.SyncGroups) {
		return p, false
	}
	grouped := map[string]bool{}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Group {
			grouped[m] = true
		}
	}
	next := map[string]*config.VRRPInstance{}
	for k := range cfg.Instances {
		next[cfg.Instances[k].Name] = &cfg.Instances[k]
	}
	prev := map[string]bool{}
	for k := range old.Instances {
		o := &old.Instances[k]
		prev[o.Name] = true
		n, ok := next[o.Name]
		switch {
		case !ok && grouped[o.Name]:
			return p, false
		case !ok:
			p.removed = append(p.removed, o.Name)
		case reflect.DeepEqual(o, n):
		case grouped[o.Name] || !sameTracking(o, n):
			return p, false
		default:
			p.changed = append(p.changed, o.Name)
		}
	}
	for name := range next {
		if !prev[name] {
			return p, false
		}
	}
	return p, true
}

// sameTracking reports whether two versions of an instance have the same
// trackers, interface and notifications (what the running tracking set and
// notifier were built with).
func sameTracking(a, b *config.VRRPInstance) bool {
	return a.Interface == b.Interface && a.DontTrackPrimary == b.DontTrackPrimary &&
		reflect.DeepEqual(a.TrackScripts, b.TrackScripts) &&
		reflect.DeepEqual(a.TrackProcesses, b.TrackProcesses) &&
		reflect.DeepEqual(a.TrackFiles, b.TrackFiles) &&
		reflect.DeepEqual(a.TrackInterfaces, b.TrackInterfaces) &&
		reflect.DeepEqual(a.TrackBFDs, b.TrackBFDs) &&
		reflect.DeepEqual(a.Notify, b.Notify)
}

// reloadInstances stops the removed instances gracefully and restarts the
// changed ones; every other instance runs on untouched. A changed instance
// that was MASTER is abandoned and its successor resumes as MASTER (VIPs
// kept, new ones added, the ones no longer configured removed).
func (d *daemon) reloadInstances(p vrrpPlan) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	v := d.vrrp
	d.log.Info("reload: VRRP instances changed", "restarted", p.changed, "removed", p.removed)
	index := func(name string) int {
		for k, inst := range v.insts {
			if inst.cfg.Name == name {
				return k
			}
		}
		return -1
	}
	var errs []error
	for _, name := range p.removed {
		k := index(name)
		if k < 0 {
			continue
		}
		inst := v.insts[k]
		v.causes.markDeleted(name)
		inst.cancel()
		<-inst.done
		errs = append(errs, inst.kernel.addrs.DelRules(ctx, inst.cfg.Rules), inst.kernel.addrs.DelVIPs(ctx, inst.cfg.VIPs), inst.kernel.addrs.DelRoutes(ctx, inst.cfg.Routes))
		v.closeKernel(inst.kernel)
		v.insts = append(v.insts[:k], v.insts[k+1:]...)
	}
	next := map[string]*config.VRRPInstance{}
	for k := range d.cfg.Instances {
		next[d.cfg.Instances[k].Name] = &d.cfg.Instances[k]
	}
	for _, name := range p.changed {
		k := index(name)
		if k < 0 {
			continue
		}
		inst, nc := v.insts[k], next[name]
		handover := stateFile{NetNS: netnsID(), Written: time.Now(), Instances: map[string]instanceState{}, handover: true}
		if in, ok := inst.run.(*vrrp.Instance); ok {
			in.Abandon()
			handover.Instances[name] = instanceState{State: in.State().String(), VRID: inst.cfg.VRID, Interface: inst.cfg.Interface, AHSeq: in.Stats().AHSeq}
			inst.kernel.keepVMAC = keepVMAC(inst, nc)
		}
		inst.cancel()
		<-inst.done
		if handover.Instances[name].State == vrrp.StateMaster.String() {
			if ncfg, err := instanceConfig(&d.cfg.Global, nc); err == nil {
				if gone := minus(inst.cfg.Rules, ncfg.Rules); len(gone) > 0 {
					errs = append(errs, inst.kernel.addrs.DelRules(ctx, gone))
				}
				if gone := minus(inst.cfg.VIPs, ncfg.VIPs); len(gone) > 0 {
					errs = append(errs, inst.kernel.addrs.DelVIPs(ctx, gone))
				}
				if gone := minus(inst.cfg.Routes, ncfg.Routes); len(gone) > 0 {
					errs = append(errs, inst.kernel.addrs.DelRoutes(ctx, gone))
				}
			}
		}
		v.closeKernel(inst.kernel)
		d.prev = handover
		ni, err := v.build(ctx, nc)
		d.prev = stateFile{}
		if err != nil {
			if inst.kernel.keepVMAC {
				errs = append(errs, v.m.DeleteVMAC(inst.kernel.vmac))
			}
			v.insts = append(v.insts[:k], v.insts[k+1:]...)
			errs = append(errs, fmt.Errorf("reload: instance %s: %w", name, err))
			continue
		}
		if err := v.trk.set.SetBase(name, int(nc.Priority)); err != nil {
			errs = append(errs, err)
		}
		if tg, ok := ni.run.(track.Target); ok {
			if err := v.trk.set.Bind(name, tg); err != nil {
				errs = append(errs, err)
			}
		}
		v.insts[k] = ni
		v.holdWaiting(ni)
		v.launch(ni)
		v.watchWaiting(ni)
	}
	return errors.Join(errs...)
}

// handoverVRRP replaces the VRRP part by one built from d.cfg without leaving
// a VIP unserved: an instance that continues (same name, VRID and
// interface) is abandoned (no priority-0 advert, VIPs kept, no STOP
// notification) and its successor resumes as MASTER if it was MASTER and
// its VIPs are in place; VIPs it no longer has are removed. Instances that
// are gone stop gracefully (priority 0, VIPs removed, STOP notification).
// old is the configuration the running part was built from.
func (d *daemon) handoverVRRP(old *config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	next := map[string]*config.VRRPInstance{}
	for k := range d.cfg.Instances {
		next[d.cfg.Instances[k].Name] = &d.cfg.Instances[k]
	}
	prevIf := map[string]string{}
	for _, in := range old.Instances {
		prevIf[in.Name] = in.Interface
	}
	v := d.vrrp
	// The new trackers run, and the weight-0 scripts get their first
	// results, while the old instances still advertise: a continuing master
	// goes silent only for the moment the instances are swapped.
	var ntrk *vrrpTracking
	if len(d.cfg.Instances) > 0 {
		t, err := d.newVRRPTracking(d.cfg)
		if err == nil {
			d.bfd.attach(t.set) // track_bfd (run_bfd.go)
		}
		if err != nil {
			d.cfg = old
			return fmt.Errorf("reload: %w", err)
		}
		ntrk = t
		ntrk.run(d.failed)
		ntrk.waitReady()
	}
	handover := stateFile{NetNS: netnsID(), Written: time.Now(), Instances: map[string]instanceState{}, handover: true}
	var stale []staleAddrs
	for _, inst := range v.insts {
		in, ok := inst.run.(*vrrp.Instance)
		if !ok {
			continue
		}
		c := inst.cfg
		nc, ok := next[c.Name]
		if !ok {
			continue // removed: graceful stop
		}
		ncfg, err := instanceConfig(&d.cfg.Global, nc)
		if err != nil || ncfg.VRID != c.VRID || nc.Interface != prevIf[c.Name] {
			continue // a different router now: graceful stop
		}
		in.Abandon()
		inst.kernel.keepVMAC = keepVMAC(inst, nc)
		st := in.State()
		handover.Instances[c.Name] = instanceState{State: st.String(), VRID: c.VRID, Interface: c.Interface, AHSeq: in.Stats().AHSeq}
		if st == vrrp.StateMaster {
			stale = append(stale, staleAddrs{k: inst.kernel, vips: minus(c.VIPs, ncfg.VIPs), routes: minus(c.Routes, ncfg.Routes), rules: minus(c.Rules, ncfg.Rules)})
		}
	}
	d.log.Info("reload: VRRP configuration changed, handing over to new instances",
		"continuing", len(handover.Instances), "running", len(v.insts), "configured", len(d.cfg.Instances))
	// Stop the part: abandoned instances leave their VIPs; the others stop
	// gracefully, notified as deleted.
	for _, inst := range v.insts {
		if _, ok := handover.Instances[inst.cfg.Name]; !ok {
			v.causes.markDeleted(inst.cfg.Name)
		}
	}
	var errs []error
	if v.cancel != nil { // nil: the old part had no instance
		v.cancel()
		v.wg.Wait()
	}
	// The abandoned instances' final states (they ran until cancelled):
	// the record the successors resume from, and what those whose own
	// configuration did not change take over quietly.
	final := map[string]vrrp.Stats{}
	for _, inst := range v.insts {
		rec, ok := handover.Instances[inst.cfg.Name]
		in, isInst := inst.run.(*vrrp.Instance)
		if !ok || !isInst {
			continue
		}
		st := in.Stats()
		final[inst.cfg.Name] = st
		rec.State = st.State.String()
		handover.Instances[inst.cfg.Name] = rec
	}
	quiet, quietGroups := quietHandover(old, d.cfg, final)
	if len(quiet) > 0 {
		names := make([]string, 0, len(quiet))
		for name := range quiet {
			names = append(names, name)
		}
		slices.Sort(names)
		d.log.Info("reload: unchanged instances take over their state quietly", "instances", names, "sync_groups", len(quietGroups))
	}
	for _, s := range stale {
		if err := s.k.addrs.DelRules(ctx, s.rules); err != nil {
			errs = append(errs, err)
		}
		if len(s.vips) > 0 {
			if err := s.k.addrs.DelVIPs(ctx, s.vips); err != nil {
				errs = append(errs, err)
			}
		}
		if len(s.routes) > 0 {
			if err := s.k.addrs.DelRoutes(ctx, s.routes); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, inst := range v.insts {
		if _, ok := handover.Instances[inst.cfg.Name]; ok {
			continue
		}
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
	// The address manager goes to the new part with the VMACs it keeps
	// (and the interfaces' ARP settings it will restore).
	v.closeInstances()
	// The old notifications (the STOP of removed instances among them)
	// are delivered after the new instances started.
	if oldTrk := v.trk; oldTrk != nil {
		defer func() {
			if err := oldTrk.stop(ctx); err != nil {
				d.log.Warn("reload: previous notifications", "err", err)
			}
		}()
	}
	nv := &vrrpPart{d: d, m: v.m, fw: v.fw, trk: ntrk}
	v.m, v.fw = nil, nil
	// The quiet successors keep their predecessors' last cause in the status.
	// (nv runs nothing yet: its causeLog needs no lock.)
	for name := range quiet {
		if c := v.causes.get(name); c != "" {
			if nv.causes.m == nil {
				nv.causes.m = map[string]string{}
			}
			nv.causes.m[name] = c
		}
	}
	d.vrrp = nv
	d.setVRRPStep(nv)
	d.prev, d.inherit, d.inheritGroups = handover, quiet, quietGroups
	defer func() { d.prev, d.inherit, d.inheritGroups = stateFile{}, nil, nil }()
	if err := nv.start(context.Background()); err != nil {
		// Go back to the old instances rather than run no VRRP at all.
		errs = append(errs, fmt.Errorf("reload: start VRRP: %w", err))
		d.log.Error("reload: cannot start the new VRRP instances, restarting the previous ones", "err", err)
		d.cfg = old
		if nv.trk != nil {
			_ = nv.trk.stop(ctx)
		}
		nv = &vrrpPart{d: d}
		d.vrrp = nv
		d.setVRRPStep(nv)
		if err := nv.start(context.Background()); err != nil {
			d.failed(fmt.Errorf("reload: restart VRRP: %w", err))
		}
	}
	return errors.Join(errs...)
}

// keepVMAC reports whether an abandoned instance's VMAC is the one its
// successor nc uses (same name, parent, VRID and family): the hand-over
// then leaves it in place, with its VIPs, and the successor reuses it
// (vip.Manager.EnsureVMAC), instead of deleting it and creating it again,
// which would take the VIPs down with it for a moment.
func keepVMAC(inst *vrrpInstance, nc *config.VRRPInstance) bool {
	c := inst.cfg
	return inst.kernel.vmac != "" && nc.UseVMAC && nc.VMACName == inst.kernel.vmac &&
		nc.Interface == c.Interface && uint8(nc.VirtualRouterID) == c.VRID && (nc.Family == 6) == c.IPv6()
}

type staleAddrs struct {
	k      *vrrpKernel
	vips   []vrrp.VIP
	routes []vrrp.Route
	rules  []vrrp.Rule
}

// minus returns the elements of a that are not in b (VIPs or routes that a
// reload removes).
func minus[T any](a, b []T) []T {
	var out []T
	for _, x := range a {
		found := false
		for _, y := range b {
			if reflect.DeepEqual(x, y) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// launch runs one instance under a context of its own (a child of the
// part's), so that a reload can stop it alone.
func (v *vrrpPart) launch(inst *vrrpInstance) {
	ctx, cancel := context.WithCancel(v.runCtx)
	inst.cancel, inst.done = cancel, make(chan struct{})
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer close(inst.done)
		if err := inst.run.Run(ctx); err != nil && ctx.Err() == nil {
			v.d.failed(fmt.Errorf("vrrp instance %s: %w", inst.cfg.Name, err))
		}
	}()
}

// setVRRPStep makes nv the part the daemon's "vrrp" step starts and stops.
func (d *daemon) setVRRPStep(nv *vrrpPart) {
	for k := range d.steps {
		if d.steps[k].name == "vrrp" {
			d.steps[k] = step{name: "vrrp", start: nv.start, stop: nv.stop}
		}
	}
}

// quietHandover returns the instances of a whole-part hand-over that take
// over their predecessors' states quietly (vrrp.Options.Inherit: no
// transition, notify or GARP), with those states, and the sync groups whose
// members all do (vrrp.GroupOptions.Inherit), with the group's state. An
// instance qualifies when it was MASTER or BACKUP and its own configuration
// did not change: the same vrrp_instance block and the same effective
// settings under the new global keys; a sync group member also needs its
// group unchanged and every other member qualifying in the same state (a
// group in the middle of a change goes through today's hand-over). Every
// other instance is handed over as before (resumed if it was MASTER).
// final holds the abandoned instances' last Stats.
func quietHandover(old, cfg *config.Config, final map[string]vrrp.Stats) (map[string]*vrrp.Stats, map[string]vrrp.State) {
	own := map[string]bool{}
	for _, name := range ownUnchanged(old, cfg) { // reloadplan.go
		own[name] = true
	}
	quiet := map[string]*vrrp.Stats{}
	for k := range cfg.Instances {
		n := &cfg.Instances[k]
		st, had := final[n.Name]
		if !own[n.Name] || !had || (st.State != vrrp.StateMaster && st.State != vrrp.StateBackup) {
			continue
		}
		quiet[n.Name] = &st
	}
	groupOf := func(c *config.Config, name string) *config.SyncGroup {
		for k := range c.SyncGroups {
			for _, m := range c.SyncGroups[k].Group {
				if m == name {
					return &c.SyncGroups[k]
				}
			}
		}
		return nil
	}
	groups := map[string]vrrp.State{}
	var drop []string
	for name, st := range quiet {
		og, ng := groupOf(old, name), groupOf(cfg, name)
		if og == nil && ng == nil {
			continue
		}
		ok := og != nil && ng != nil && reflect.DeepEqual(og, ng)
		if ok {
			for _, m := range ng.Group {
				if ms, q := quiet[m]; !q || ms.State != st.State {
					ok = false
				}
			}
		}
		if !ok {
			drop = append(drop, name)
			continue
		}
		groups[ng.Name] = st.State
	}
	for _, name := range drop {
		delete(quiet, name)
	}
	return quiet, groups
}

// bfdTracked is what the VRRP trackers use of the bfd instances: their
// names and weights (their timers are the BFD part's alone).
func bfdTracked(c *config.Config) []config.BFDInstance {
	var out []config.BFDInstance
	for _, b := range c.BFDInstances {
		out = append(out, config.BFDInstance{Name: b.Name, Weight: b.Weight, WeightReverse: b.WeightReverse})
	}
	return out
}
