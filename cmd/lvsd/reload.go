package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
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
	o.sd.Reloading()
	start := time.Now()
	err := o.reloadLocked()
	if err != nil {
		o.log.Error("reload failed, the running configuration stays", "err", err)
	} else {
		o.log.Info("configuration reloaded", "took", time.Since(start).Round(time.Microsecond))
	}
	o.sd.Ready(o.summary())
	return err
}

func (o *ops) reloadLocked() error {
	cfg, err := config.Load(o.file)
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
	if _, err := healthcheck.FromConfig(cfg); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.d
	old := d.cfg
	sameVRRP := vrrpEqual(old, cfg)
	d.cfg = cfg
	o.loaded = time.Now()
	var errs []error
	if err := d.reloadIPVS(specs); err != nil {
		errs = append(errs, err)
	}
	if d.health != nil {
		if err := d.health.reload(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if sameVRRP {
		o.log.Info("reload: VRRP configuration unchanged, instances untouched")
	} else if err := d.reloadVRRP(old); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reloadIPVS hands the new desired table to the IPVS part, which applies
// only the difference (ipvs.Manager: one request per changed destination).
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
	p.mu.Lock()
	p.specs = specs
	p.mu.Unlock()
	p.kickLoop()
	return nil
}

// vrrpEqual reports whether two configurations have the same VRRP side:
// instances, sync groups, trackers and the global keys they use.
func vrrpEqual(a, b *config.Config) bool {
	return reflect.DeepEqual(vrrpGlobal(a.Global), vrrpGlobal(b.Global)) &&
		reflect.DeepEqual(a.Scripts, b.Scripts) &&
		reflect.DeepEqual(a.TrackProcesses, b.TrackProcesses) &&
		reflect.DeepEqual(a.TrackFiles, b.TrackFiles) &&
		reflect.DeepEqual(a.SyncGroups, b.SyncGroups) &&
		reflect.DeepEqual(a.Instances, b.Instances)
}

// vrrpGlobal is g without the keys that do not concern VRRP.
func vrrpGlobal(g config.Global) config.Global {
	g.LVSSyncDaemon, g.LVSTimeouts, g.LVSFlush, g.LVSFlushOnStop = nil, config.LVSTimeouts{}, false, false
	g.MetricsListen = ""
	g.SSLCA, g.SSLCertificate, g.SSLKey = "", "", ""
	g.VRRPRTPriority, g.VRRPNoSwap = 0, false
	return g
}

// reloadVRRP replaces the VRRP part by one built from d.cfg without leaving
// a VIP unserved: an instance that continues (same name, VRID and
// interface) is abandoned (no priority-0 advert, VIPs kept, no STOP
// notification) and its successor resumes as MASTER if it was MASTER and
// its VIPs are in place; VIPs it no longer has are removed. Instances that
// are gone stop gracefully (priority 0, VIPs removed, STOP notification).
// old is the configuration the running part was built from.
func (d *daemon) reloadVRRP(old *config.Config) error {
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
	handover := stateFile{NetNS: netnsID(), Instances: map[string]instanceState{}, handover: true}
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
		st := in.State()
		handover.Instances[c.Name] = instanceState{State: st.String(), VRID: c.VRID, Interface: c.Interface}
		if st == vrrp.StateMaster {
			stale = append(stale, staleAddrs{k: inst.kernel, vips: vipsMinus(c.VIPs, ncfg.VIPs), routes: routesMinus(c.Routes, ncfg.Routes)})
		}
	}
	d.log.Info("reload: VRRP configuration changed, handing over to new instances",
		"continuing", len(handover.Instances), "running", len(v.insts), "configured", len(d.cfg.Instances))
	// Stop the part: abandoned instances leave their VIPs; the others stop gracefully.
	var errs []error
	v.cancel()
	v.wg.Wait()
	for _, s := range stale {
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
		if err := inst.kernel.addrs.DelVIPs(ctx, inst.cfg.VIPs); err != nil {
			errs = append(errs, err)
		}
		if err := inst.kernel.addrs.DelRoutes(ctx, inst.cfg.Routes); err != nil {
			errs = append(errs, err)
		}
	}
	v.closeAll()
	if v.trk != nil {
		if err := v.trk.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	nv := &vrrpPart{d: d}
	d.vrrp = nv
	for k := range d.steps {
		if d.steps[k].name == "vrrp" {
			d.steps[k] = step{name: "vrrp", start: nv.start, stop: nv.stop}
		}
	}
	d.prev = handover
	defer func() { d.prev = stateFile{} }()
	if err := nv.start(context.Background()); err != nil {
		// Go back to the old instances rather than run no VRRP at all.
		errs = append(errs, fmt.Errorf("reload: start VRRP: %w", err))
		d.log.Error("reload: cannot start the new VRRP instances, restarting the previous ones", "err", err)
		d.cfg = old
		nv = &vrrpPart{d: d}
		d.vrrp = nv
		for k := range d.steps {
			if d.steps[k].name == "vrrp" {
				d.steps[k] = step{name: "vrrp", start: nv.start, stop: nv.stop}
			}
		}
		if err := nv.start(context.Background()); err != nil {
			d.failed(fmt.Errorf("reload: restart VRRP: %w", err))
		}
	}
	return errors.Join(errs...)
}

type staleAddrs struct {
	k      *vrrpKernel
	vips   []vrrp.VIP
	routes []vrrp.Route
}

func vipsMinus(a, b []vrrp.VIP) []vrrp.VIP {
	var out []vrrp.VIP
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

func routesMinus(a, b []vrrp.Route) []vrrp.Route {
	var out []vrrp.Route
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
