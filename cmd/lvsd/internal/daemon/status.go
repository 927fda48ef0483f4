package daemon

import (
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/notify"
	"github.com/lvsd/lvsd/vrrp/packet"
	"github.com/lvsd/lvsd/vrrp/vrrpnet"
)

// snapshot builds the status from the running parts. Called with o.mu held
// for reading.
func (o *ops) snapshot(now time.Time) *control.Status {
	d := o.d
	s := &control.Status{
		Version: o.flags.version, PID: os.Getpid(), Started: o.started,
		ConfigFile: o.file, ConfigLoaded: o.loaded,
		Reloads: o.reloads.Load(), ReloadsFailed: o.reloadsFailed.Load(), LastReloadFailed: o.lastReloadFailed.Load(),
		Instances:      []control.Instance{},
		VirtualServers: []control.VirtualServer{},
	}
	byName := map[string]*config.VRRPInstance{}
	for k := range d.cfg.Instances {
		byName[d.cfg.Instances[k].Name] = &d.cfg.Instances[k]
	}
	for _, in := range d.vrrp.instances() {
		s.Instances = append(s.Instances, d.vrrp.instanceStatus(in, byName[in.Config().Name]))
	}
	for _, g := range d.cfg.SyncGroups {
		s.SyncGroups = append(s.SyncGroups, control.SyncGroup{Name: g.Name, State: groupState(g, s.Instances), Members: g.Group})
	}
	s.VRRPSockets = d.vrrp.socketStatus()
	s.VirtualServers = d.virtualServerStatus()
	if d.mail != nil {
		s.Mail = d.mail.status()
	}
	s.SNMP = d.snmp.status()                   // run_snmp.go
	s.CARPInstances = d.carp.status()          // carp.go
	s.BFDSessions, s.BFDDrops = d.bfd.status() // run_bfd.go
	if p := d.ipvs; p != nil {
		p.mu.Lock()
		m := p.m
		p.mu.Unlock()
		if m != nil {
			s.IPVSRequests = m.Requests()
		}
	}
	s.BGP = d.bgpStatus()
	return s
}

// instanceStatus is one VRRP instance in the status.
func (v *vrrpPart) instanceStatus(in *vrrp.Instance, cin *config.VRRPInstance) control.Instance {
	c := in.Config()
	st := in.Stats()
	out := control.Instance{
		Name: c.Name, Interface: c.Interface, VRID: int(c.VRID), Version: int(c.Version),
		State: st.State.String(), BasePriority: int(c.Priority), EffectivePriority: int(st.Priority),
		LastTransition: st.LastTransition, AdvertsSent: st.AdvertsSent, AdvertsReceived: st.AdvertsReceived,
		Transitions: st.Transitions, LateTimers: st.LateTimers,
	}
	switch {
	case st.State == vrrp.StateMaster:
		out.Master = c.SrcAddr.String()
	case st.Master.IsValid():
		out.Master = st.Master.String()
	}
	out.LastCause = v.causes.get(c.Name)
	for _, p := range c.VIPs {
		out.VIPs = append(out.VIPs, p.Prefix.String())
	}
	for r, n := range st.Drops {
		if n > 0 && packet.DropReason(r) != packet.DropNone {
			if out.Drops == nil {
				out.Drops = map[string]uint64{}
			}
			out.Drops[packet.DropReason(r).String()] = n
		}
	}
	if cin != nil && v.trk != nil {
		out.Trackers = v.trackerStatus(cin)
	}
	return out
}

// socketStatus lists the sockets the instances share (one per interface
// and address family) with the adverts each received for a VRID none of
// its instances has. An instance with a socket of its own (use_vmac with
// unicast peers) drops nothing of the kind: its socket receives only what
// is sent to it.
func (v *vrrpPart) socketStatus() []control.VRRPSocket {
	if v == nil || v.reg == nil {
		return nil
	}
	reg, ok := v.reg.(*vrrpnet.Registry)
	if !ok {
		return nil // a fake kernel (tests)
	}
	var out []control.VRRPSocket
	for _, k := range reg.Sockets() {
		cs := control.VRRPSocket{Interface: k.Interface, Family: "inet", UnknownVRID: k.Unknown}
		if k.IPv6 {
			cs.Family = "inet6"
		}
		for _, vrid := range k.VRIDs {
			cs.VRIDs = append(cs.VRIDs, int(vrid))
			for _, inst := range v.insts {
				// received on the base interface, or on the VMAC
				onIt := inst.cfg.Interface == k.Interface || inst.kernel != nil && inst.kernel.vmac == k.Interface
				if inst.cfg.VRID == vrid && inst.cfg.SrcAddr.Is6() == k.IPv6 && onIt {
					cs.Instances = append(cs.Instances, inst.cfg.Name)
				}
			}
		}
		out = append(out, cs)
	}
	return out
}

// trackerStatus lists an instance's trackers. The tracking set exposes the
// trackers that hold the instance in FAULT and those still waiting for a
// first result; the others show OK (their weight is in the effective
// priority).
func (v *vrrpPart) trackerStatus(cin *config.VRRPInstance) []control.Tracker {
	cfg := v.d.cfg
	fault, waiting := map[string]bool{}, map[string]bool{}
	if e, ok := v.trk.set.Effect(cin.Name); ok {
		for _, n := range e.Fault {
			fault[n] = true
		}
		for _, n := range e.Waiting {
			waiting[n] = true
		}
	}
	var out []control.Tracker
	add := func(kind string, refs []config.TrackRef) {
		for _, r := range refs {
			state := "OK"
			switch {
			case fault[r.Name]:
				state = "FAULT"
			case waiting[r.Name]:
				state = "WAITING"
			}
			out = append(out, control.Tracker{Name: r.Name, Kind: kind, State: state, Weight: trackWeight(cfg, kind, r)})
		}
	}
	add("script", cin.TrackScripts)
	add("process", cin.TrackProcesses)
	add("file", cin.TrackFiles)
	add("interface", cin.TrackInterfaces)
	return out
}

func groupState(g config.SyncGroup, ins []control.Instance) string {
	state := ""
	for _, m := range g.Group {
		for _, in := range ins {
			if in.Name != m {
				continue
			}
			if state == "" {
				state = in.State
			} else if state != in.State {
				return "MIXED"
			}
		}
	}
	return state
}

// virtualServerStatus lists the configured virtual servers with their real
// servers' health (from the health part) and the kernel's view (from the
// IPVS part's manager).
func (d *daemon) virtualServerStatus() []control.VirtualServer {
	view, haveHealth := healthcheck.HealthView{}, false
	if d.health != nil {
		view, haveHealth = d.health.view()
	}
	running := ipvsRunning(d.ipvs)
	var out []control.VirtualServer
	for _, vs := range d.cfg.VirtualServers {
		name := vs.Name()
		cvs := control.VirtualServer{
			Protocol: vs.Protocol, Address: name, Scheduler: vs.LBAlgo,
			Persistence: int(vs.PersistenceTimeout / time.Second), InKernel: running,
		}
		if vs.FWMark != 0 {
			cvs.Protocol = "FWM"
		}
		for _, rs := range vs.RealServers {
			port := rs.Port
			crs := control.RealServer{
				Address: netip.AddrPortFrom(rs.IP, port).String(), Forward: forwardName(rs.LBKind, vs.LBKind),
				ConfiguredWeight: rs.Weight, Weight: -1, Health: "UP",
			}
			if haveHealth {
				if h, ok := view.Servers[healthcheck.RealServerKey{VirtualServer: name, Addr: rs.IP, Port: port}]; ok {
					if !h.Up {
						crs.Health = "DOWN"
					}
					crs.Weight = h.Weight
					for _, c := range h.Checks {
						for r, n := range c.Results {
							if n > 0 {
								if crs.Checks == nil {
									crs.Checks = map[string]uint64{}
								}
								crs.Checks[healthcheck.Reason(r).String()] += n
							}
						}
						if c.Since.After(crs.LastCheck) {
							crs.LastCheck = c.Since
							crs.LastResult = c.Name + ": " + c.Reason.String()
						}
					}
				}
			}
			cvs.RealServers = append(cvs.RealServers, crs)
		}
		out = append(out, cvs)
	}
	if running {
		d.ipvs.kernelStatus(out)
	}
	return out
}

// kernelStatus adds the kernel's view to the virtual servers (in the
// configuration's order, as ipvs.FromConfig keeps it): whether every
// service is in the table, counters and rates, and per real server the
// current weight (-1 when absent) and connections, summed over the
// services of a virtual_server_group.
func (p *ipvsPart) kernelStatus(vss []control.VirtualServer) {
	p.mu.Lock()
	specs, m := p.specs, p.m
	p.mu.Unlock()
	if m == nil || len(specs) != len(vss) {
		return
	}
	stats, err := m.Stats()
	if err != nil {
		p.log.Warn("status: cannot read the IPVS table", "err", err)
		return
	}
	byKey := map[ipvs.ServiceKey]*ipvs.VirtualServiceStats{}
	for k := range stats {
		byKey[stats[k].ServiceKey] = &stats[k]
	}
	for i, spec := range specs {
		vs := &vss[i]
		vs.InKernel = len(spec.Services) > 0
		for _, svc := range spec.Services {
			st, ok := byKey[svc.ServiceKey]
			if !ok {
				vs.InKernel = false
				continue
			}
			addCounters(&vs.Counters, st.Stats)
			for j := range vs.RealServers {
				rs := &vs.RealServers[j]
				ap, err := netip.ParseAddrPort(rs.Address)
				if err != nil {
					continue
				}
				for _, dst := range st.Destinations {
					if dst.Addr == ap.Addr() && dst.Port == ap.Port() {
						rs.Weight = int(dst.Weight)
						rs.ActiveConns += uint64(dst.ActiveConns)
						rs.InactiveConns += uint64(dst.InactiveConns)
						addCounters(&rs.Counters, dst.Stats)
					}
				}
			}
		}
	}
}

func addCounters(c *control.Counters, s ipvs.Stats) {
	c.Conns += s.Connections
	c.InPkts += s.InPackets
	c.OutPkts += s.OutPackets
	c.InBytes += s.InBytes
	c.OutBytes += s.OutBytes
	c.CPS += s.CPS
	c.InPPS += s.InPPS
	c.OutPPS += s.OutPPS
	c.InBPS += s.InBPS
	c.OutBPS += s.OutBPS
}

func forwardName(kind, def string) string {
	if kind == "" {
		kind = def
	}
	switch kind {
	case "DR":
		return "Route"
	case "TUN":
		return "Tunnel"
	}
	return "Masq"
}

// trackWeight is the weight an instance uses for a tracker: its own
// override, else the tracker's.
func trackWeight(cfg *config.Config, kind string, r config.TrackRef) int {
	if r.WeightSet {
		return r.Weight
	}
	switch kind {
	case "script":
		for _, s := range cfg.Scripts {
			if s.Name == r.Name {
				return s.Weight
			}
		}
	case "process":
		for _, p := range cfg.TrackProcesses {
			if p.Name == r.Name {
				return p.Weight
			}
		}
	case "file":
		for _, f := range cfg.TrackFiles {
			if f.Name == r.Name {
				return f.Weight
			}
		}
	}
	return 0
}

// causeLog records the cause of each instance's last transition for the
// status, and which instances a reload deletes. Written by the instances'
// goroutines (OnTransition) and the reload, read by status.
type causeLog struct {
	mu      sync.Mutex // guards m and deleted
	m       map[string]string
	deleted map[string]bool
}

// markDeleted makes the instance's coming STOP notified as DELETED
// (notify_deleted; FAULT without it, as keepalived).
func (l *causeLog) markDeleted(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.deleted == nil {
		l.deleted = map[string]bool{}
	}
	l.deleted[name] = true
}

// deletable turns the STOP of an instance deleted by a reload into a
// DELETED notification; every other transition goes to next.
func (l *causeLog) deletable(t *vrrpTracking, next func(vrrp.Transition)) func(vrrp.Transition) {
	return func(tr vrrp.Transition) {
		l.mu.Lock()
		del := l.deleted[tr.Instance] && tr.To == vrrp.StateStop
		l.mu.Unlock()
		if !del {
			if next != nil {
				next(tr)
			}
			return
		}
		t.notifier.Notify(t.scripts[tr.Instance], notify.Event{Name: tr.Instance, State: notify.Deleted, Priority: int(tr.Priority), Time: tr.Time})
	}
}

// isDeleted reports whether instance was deleted by a reload.
func (l *causeLog) isDeleted(instance string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deleted[instance]
}

func (l *causeLog) get(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[name]
}

// wrap records the cause, then calls next (when set).
func (l *causeLog) wrap(next func(vrrp.Transition)) func(vrrp.Transition) {
	return func(tr vrrp.Transition) {
		l.mu.Lock()
		if l.m == nil {
			l.m = map[string]string{}
		}
		l.m[tr.Instance] = tr.Cause.String()
		l.mu.Unlock()
		if next != nil {
			next(tr)
		}
	}
}

// ipvsRunning reports whether the IPVS part has started (called with o.mu
// held, which orders it after the part's start and stop).
func ipvsRunning(p *ipvsPart) bool { return p != nil && p.cancel != nil }
