package daemon

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/snmp"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/packet"
)

// snmpPart is `lvsd run`'s AgentX subagent (keepalived's enable_snmp_*
// and enable_traps): an agentx.Session with snmpd serving the MIBs of
// package snmp, built from the daemon's state under the status lock, and a
// goroutine that sends the traps. Its step is started after every other
// and stopped first. The hooks it puts on VRRP transitions, health
// updates and quorum changes run under the callers' locks: they only
// enqueue (non-blocking; a full queue is counted).
type snmpPart struct {
	d   *daemon
	log *slog.Logger
	// read runs f with the daemon's configuration and parts held against
	// a change (ops' status lock), within ctx; false when it could not.
	// nil: f runs without a lock (tests).
	read func(ctx context.Context, f func()) bool
	// events carries the hooks' events to the trap goroutine.
	events chan snmpEvent
	// hookDrops counts events the hooks could not queue.
	hookDrops atomic.Uint64
	// busyDrops counts traps not sent because the daemon stayed busy
	// (a reload held the status lock past snmpReadBudget).
	busyDrops atomic.Uint64
	retry     time.Duration // between two dials; 0: agentx's default (5 s)
	version   string        // lvsd's version (KEEPALIVED-MIB::version)

	mu      sync.Mutex // guards the fields below
	cfg     config.SNMP
	sess    *agentx.Session
	stopRun context.CancelFunc // ends sess.Run
	runDone chan struct{}
	// alpha: the real servers that start as failed.
	alpha map[rsKey]bool
	// up is when each instance left INIT (vrrpv3OperationsUpTime);
	// reason its last vrrpv3StatisticsNewMasterReason.
	up     map[string]time.Time
	reason map[string]int
	// rsUp is each real server's health as last reported.
	rsUp map[rsKey]bool

	cancel context.CancelFunc // ends the trap goroutine
	done   chan struct{}

	// last is what was served last, answered while the status lock is
	// busy. Its own lock: a reload holds mu while the session ends.
	lastMu sync.Mutex
	last   []agentx.VarBind
}

type snmpEventKind int

const (
	snmpInstance snmpEventKind = iota
	snmpGroup
	snmpRealServer
	snmpQuorum
)

// snmpEvent is one state change waiting for its trap.
type snmpEvent struct {
	kind  snmpEventKind
	name  string // instance, group or virtual server name
	state vrrp.State
	cause fsm.Cause
	rs    rsKey
	up    bool
}

// snmpQueue bounds the events waiting for the trap goroutine.
const snmpQueue = 256

// Trap drop reasons of the part (agentx.DropReason has the session's).
const (
	dropHookQueueFull = "hook_queue_full" // the hooks' queue was full
	dropBusy          = "daemon_busy"     // the status lock stayed held
)

func newSNMPPart(d *daemon) *snmpPart {
	return &snmpPart{d: d, log: d.log.With("part", "snmp"), events: make(chan snmpEvent, snmpQueue),
		up: map[string]time.Time{}, reason: map[string]int{}, rsUp: map[rsKey]bool{}}
}

func (p *snmpPart) start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() { defer close(p.done); p.sendTraps(ctx) }()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = p.d.cfg.Global.SNMP
	p.alpha = alphas(p.d.cfg)
	p.openLocked()
	return nil
}

// openLocked starts a session when the configuration asks for one. It
// never waits for snmpd: the session dials (and dials again every retry)
// in its own goroutine.
func (p *snmpPart) openLocked() {
	if !p.cfg.Enabled() {
		return
	}
	network, addr := p.cfg.SocketAddr()
	en := snmpEnabled(p.cfg)
	s := agentx.NewSession(agentx.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		ID: snmp.Keepalived, Descr: "lvsd " + p.version, Subtrees: snmp.Subtrees(en),
		Snapshot: func() []agentx.VarBind { return p.objects(en) },
		Retry:    p.retry,
		Logger:   p.log,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	p.sess, p.stopRun, p.runDone = s, cancel, done
	p.log.Info("SNMP subagent started (connects to snmpd in the background)", "snmp_socket", p.cfg.Socket,
		"vrrp", p.cfg.VRRP, "checker", p.cfg.Checker, "rfcv2", p.cfg.RFCv2, "rfcv3", p.cfg.RFCv3, "traps", p.cfg.Traps)
}

// closeLocked ends the session (AgentX Close, reason shutdown).
func (p *snmpPart) closeLocked() {
	if p.sess == nil {
		return
	}
	p.stopRun()
	<-p.runDone
	p.sess, p.stopRun, p.runDone = nil, nil, nil
}

func (p *snmpPart) stop(context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	<-p.done
	p.cancel = nil
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	return nil
}

// reload takes the new enable switches; a new socket or a new set of
// MIBs opens a new session (registrations are per session).
func (p *snmpPart) reload(cfg *config.Config) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.cfg
	p.cfg = cfg.Global.SNMP
	p.alpha = alphas(cfg)
	if p.cancel == nil { // not started
		return
	}
	if old.Socket == p.cfg.Socket && old.Enabled() == p.cfg.Enabled() &&
		slices.EqualFunc(snmp.Subtrees(snmpEnabled(old)), snmp.Subtrees(snmpEnabled(p.cfg)), func(a, b agentx.OID) bool { return agentx.Compare(a, b) == 0 }) &&
		old.Checker == p.cfg.Checker && old.RFCv2 == p.cfg.RFCv2 {
		return
	}
	p.closeLocked()
	p.openLocked()
}

func snmpEnabled(c config.SNMP) snmp.Enabled {
	return snmp.Enabled{VRRP: c.VRRP, RFCv3: c.RFCv3, Traps: c.Traps && c.VRRP, RFCv3T: c.Traps && c.RFCv3,
		Checker: c.Checker, RFCv2: c.RFCv2}
}

// enqueue hands an event to the trap goroutine without blocking.
func (p *snmpPart) enqueue(ev snmpEvent) {
	select {
	case p.events <- ev:
	default:
		p.hookDrops.Add(1)
	}
}

// instance wraps an instance's OnTransition.
func (p *snmpPart) instance(next func(vrrp.Transition)) func(vrrp.Transition) {
	if p == nil {
		return next
	}
	return func(tr vrrp.Transition) {
		if next != nil {
			next(tr)
		}
		p.enqueue(snmpEvent{kind: snmpInstance, name: tr.Instance, state: tr.To, cause: tr.Cause})
	}
}

// group wraps the sync groups' transition hook.
func (p *snmpPart) group(next func(vrrp.GroupTransition)) func(vrrp.GroupTransition) {
	if p == nil {
		return next
	}
	return func(tr vrrp.GroupTransition) {
		if next != nil {
			next(tr)
		}
		p.enqueue(snmpEvent{kind: snmpGroup, name: tr.Group, state: tr.To})
	}
}

// health wraps the health checks' OnUpdate: a real server's change of
// health is realServerStateChange.
func (p *snmpPart) health(next func(healthcheck.Update)) func(healthcheck.Update) {
	if p == nil {
		return next
	}
	return func(u healthcheck.Update) {
		if next != nil {
			next(u)
		}
		p.enqueue(snmpEvent{kind: snmpRealServer, rs: rsKey{u.Key.VirtualServer, u.Key.Addr.Unmap(), u.Key.Port}, up: u.Up})
	}
}

// quorum is a virtual server's quorum change
// (virtualServerQuorumStateChange).
func (p *snmpPart) quorum(ev ipvs.Event) {
	if p == nil || ev.Stopping || ev.Init {
		return
	}
	p.enqueue(snmpEvent{kind: snmpQuorum, name: ev.VirtualServer, up: ev.QuorumUp})
}

// sendTraps turns the hooks' events into traps until ctx ends.
func (p *snmpPart) sendTraps(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-p.events:
			p.trap(ctx, ev)
		}
	}
}

func (p *snmpPart) trap(ctx context.Context, ev snmpEvent) {
	p.mu.Lock()
	now := time.Now()
	switch ev.kind {
	case snmpInstance:
		if _, ok := p.up[ev.name]; !ok && ev.state != vrrp.StateInit {
			p.up[ev.name] = now
		}
		if ev.state == vrrp.StateMaster {
			p.reason[ev.name] = newMasterReason(ev.cause)
		} else {
			p.reason[ev.name] = 0
		}
	case snmpRealServer:
		was, seen := p.rsUp[ev.rs]
		p.rsUp[ev.rs] = ev.up
		if seen && was == ev.up || !seen && ev.up && !p.alphaLocked(ev.rs) {
			p.mu.Unlock()
			return // no change (a server starts up unless alpha)
		}
	}
	s, cfg := p.sess, p.cfg
	p.mu.Unlock()
	if s == nil || !cfg.Traps {
		return
	}
	var snap snmp.Snapshot
	if !p.locked(ctx, func() { snap = p.snapshot(now) }) {
		p.busyDrops.Add(1)
		return
	}
	en := snmpEnabled(cfg)
	switch ev.kind {
	case snmpInstance:
		i := slices.IndexFunc(snap.Instances, func(in snmp.Instance) bool { return in.Name == ev.name })
		if i < 0 {
			return
		}
		snap.Instances[i].State = snmp.ParseState(ev.state.String())
		if en.Traps {
			_ = s.Notify(snmp.TrapInstanceStateChange, snmp.InstanceStateChange(snap, i))
		}
		if ev.state == vrrp.StateMaster {
			if en.RFCv3T {
				if vbs := snmp.V3NewMaster(snap, i); vbs != nil {
					_ = s.Notify(snmp.TrapV3NewMaster, vbs)
				}
			}
			if cfg.Traps && cfg.RFCv2 {
				if vbs := snmp.V2NewMaster(snap, i); vbs != nil {
					_ = s.Notify(snmp.TrapV2NewMaster, vbs)
				}
			}
		}
	case snmpGroup:
		i := slices.IndexFunc(snap.SyncGroups, func(g snmp.SyncGroup) bool { return g.Name == ev.name })
		if i < 0 || !en.Traps {
			return
		}
		snap.SyncGroups[i].State = snmp.ParseState(ev.state.String())
		_ = s.Notify(snmp.TrapSyncGroupStateChange, snmp.SyncGroupStateChange(snap, i))
	case snmpRealServer:
		if !cfg.Checker {
			return
		}
		vi, ri := snap.RealServerIndex(ev.rs.vs, ev.rs.addr, ev.rs.port)
		if vi < 0 {
			return
		}
		_ = s.Notify(snmp.TrapRealServerStateChange, snmp.RealServerStateChange(snap, vi, ri))
	case snmpQuorum:
		if !cfg.Checker {
			return
		}
		vi := slices.IndexFunc(snap.VirtualServers, func(v snmp.VirtualServer) bool { return v.Key == ev.name })
		if vi < 0 {
			return
		}
		snap.VirtualServers[vi].QuorumUp = ev.up
		_ = s.Notify(snmp.TrapVirtualServerQuorumStateChange, snmp.VirtualServerQuorumStateChange(snap, vi))
	}
}

// alphaLocked reports whether a real server starts as failed (alpha):
// its first result is a change only then, or when it is DOWN.
func (p *snmpPart) alphaLocked(k rsKey) bool { return p.alpha[k] }

func alphas(cfg *config.Config) map[rsKey]bool {
	out := map[rsKey]bool{}
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			if rs.Alpha {
				out[rsKey{vs.Name(), rs.IP.Unmap(), rs.Port}] = true
			}
		}
	}
	return out
}

// newMasterReason is vrrpv3StatisticsNewMasterReason for a transition to
// MASTER: priority(1) for an address owner, preempted(2), else
// masterNoResponse(3).
func newMasterReason(c fsm.Cause) int {
	switch c {
	case fsm.CauseOwner:
		return 1
	case fsm.CausePreempt:
		return 2
	}
	return 3
}

// snmpReadBudget bounds how long an SNMP request waits for the status
// lock (a reload holds it); past it, the last answer is served again.
const snmpReadBudget = 2 * time.Second

func (p *snmpPart) locked(ctx context.Context, f func()) bool {
	if p.read == nil {
		f()
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, snmpReadBudget)
	defer cancel()
	return p.read(ctx, f)
}

// objects is the session's Snapshot: every object of the enabled MIBs.
func (p *snmpPart) objects(en snmp.Enabled) []agentx.VarBind {
	var snap snmp.Snapshot
	if !p.locked(context.Background(), func() { snap = p.snapshot(time.Now()) }) {
		p.lastMu.Lock()
		defer p.lastMu.Unlock()
		return p.last
	}
	out := snmp.Objects(snap, en)
	p.lastMu.Lock()
	p.last = out
	p.lastMu.Unlock()
	return out
}

// snapshot is the MIBs' view of the daemon, with the status lock held.
func (p *snmpPart) snapshot(now time.Time) snmp.Snapshot {
	d := p.d
	cfg := d.cfg
	s := snmp.Snapshot{Version: "lvsd " + p.version, RouterID: cfg.Global.RouterID}
	running := map[string]*vrrpInstance{}
	if d.vrrp != nil {
		for _, inst := range d.vrrp.insts {
			running[inst.cfg.Name] = inst
		}
	}
	group := map[string]string{}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Group {
			group[m] = g.Name
		}
	}
	p.mu.Lock()
	up, reason := p.up, p.reason
	defer p.mu.Unlock()
	states := map[string]snmp.State{}
	for k := range cfg.Instances {
		ci := &cfg.Instances[k]
		in := snmp.Instance{
			Name: ci.Name, VRID: ci.VirtualRouterID, State: snmp.StateInit, InitialState: snmp.ParseState(ci.State),
			BasePriority: ci.Priority, EffectivePriority: ci.Priority, Interface: ci.Interface,
			TrackInterface: !ci.DontTrackPrimary, AdvertInt: ci.AdvertInt, Preempt: !ci.NoPreempt,
			PreemptDelay: ci.PreemptDelay, SyncGroup: group[ci.Name], GARPDelay: ci.GARPMasterDelay,
			SMTPAlert: cfg.Global.SMTP.AlertVRRP(ci.SMTPAlert), NotifyExec: notifyExec(ci.Notify),
			ScriptMaster: ci.Notify.Master.Line, ScriptBackup: ci.Notify.Backup.Line, ScriptFault: ci.Notify.Fault.Line,
			ScriptStop: ci.Notify.Stop.Line, Script: ci.Notify.Notify.Line, Accept: ci.AcceptMode(&cfg.Global),
			Version: ci.Version, IPv6: ci.Family == 6, VIPCount: len(ci.VIPs), NewMasterReason: reason[ci.Name],
		}
		switch ci.Auth.Type {
		case "PASS":
			in.AuthType = 1
		case "AH":
			in.AuthType = 2
		}
		if inst := running[ci.Name]; inst != nil {
			c := inst.cfg
			in.Primary = c.SrcAddr
			in.AdvertInt = c.AdvertInterval
			for _, v := range c.VIPs {
				in.VIPs = append(in.VIPs, v.Prefix.Addr())
			}
			if inst.kernel != nil {
				in.IfIndex = inst.kernel.ifindex
			}
			if c.AuthType == packet.AuthPass {
				in.AuthType = 1
			}
			if vi, ok := inst.run.(*vrrp.Instance); ok {
				st := vi.Stats()
				in.State = snmp.ParseState(st.State.String())
				in.EffectivePriority = int(st.Priority)
				in.Master = st.Master
			}
		}
		in.WantedState = in.State
		in.VIPsAllSet = in.State == snmp.StateMaster
		if t, ok := up[ci.Name]; ok {
			in.Up = now.Sub(t)
		}
		states[ci.Name] = in.State
		s.Instances = append(s.Instances, in)
	}
	for _, g := range cfg.SyncGroups {
		sg := snmp.SyncGroup{Name: g.Name, State: groupSNMPState(g.Group, states), Members: g.Group,
			SMTPAlert: cfg.Global.SMTP.AlertVRRP(g.SMTPAlert), NotifyExec: notifyExec(g.Notify),
			ScriptMaster: g.Notify.Master.Line, ScriptBackup: g.Notify.Backup.Line, ScriptFault: g.Notify.Fault.Line,
			ScriptStop: g.Notify.Stop.Line, Script: g.Notify.Notify.Line, TrackingWeight: g.SyncGroupTrackingWeight}
		s.SyncGroups = append(s.SyncGroups, sg)
	}
	s.VirtualServers = p.virtualServers(now)
	return s
}

func notifyExec(n config.NotifySet) bool {
	return !n.Notify.IsZero() || !n.Master.IsZero() || !n.Backup.IsZero() || !n.Fault.IsZero() || !n.Stop.IsZero()
}

// virtualServers is the checker MIB's view: the configuration, the health
// part's results and, where IPVS runs, the kernel's weights and
// connections (what lvsd status shows); with the status lock held.
func (p *snmpPart) virtualServers(now time.Time) []snmp.VirtualServer {
	d := p.d
	cfg := d.cfg
	if len(cfg.VirtualServers) == 0 {
		return nil
	}
	view, haveHealth := healthcheck.HealthView{}, false
	if d.health != nil {
		view, haveHealth = d.health.view()
	}
	st := d.virtualServerStatus()
	out := make([]snmp.VirtualServer, 0, len(cfg.VirtualServers))
	for i, vs := range cfg.VirtualServers {
		name := vs.Name()
		v := snmp.VirtualServer{
			Key: name, Group: vs.Group, FWMark: vs.FWMark, Addr: vs.IP, Port: vs.Port, Protocol: vs.Protocol,
			Algo: vs.LBAlgo, Kind: vs.LBKind, VirtualHost: vs.Virtualhost, Persist: vs.PersistenceTimeout > 0,
			PersistTimeout: vs.PersistenceTimeout, DelayLoop: vs.DelayLoop, HASuspend: vs.HASuspend,
			Alpha: vs.Alpha, Omega: vs.Omega, Quorum: vs.Quorum, QuorumUpScript: vs.QuorumUp.Line,
			QuorumDownScript: vs.QuorumDown.Line, Hysteresis: vs.Hysteresis, OPS: vs.OPS,
			SMTPAlert: cfg.Global.SMTP.AlertChecker(vs.SMTPAlert, false), Name: vs.SNMPName,
		}
		if vs.PersistenceGranularity > 0 {
			v.Granularity = vs.PersistenceGranularity
		}
		alive := 0
		for j, rs := range vs.RealServers {
			r := snmp.RealServer{
				Addr: rs.IP, Port: rs.Port, Alive: !rs.Alpha, Weight: rs.Weight, UThreshold: rs.UThreshold,
				LThreshold: rs.LThreshold, Inhibit: rs.InhibitOnFailure, NotifyUp: rs.NotifyUp.Line,
				NotifyDown: rs.NotifyDown.Line, Kind: rs.LBKind, VirtualHost: rs.Virtualhost, Alpha: rs.Alpha,
				SMTPAlert: cfg.Global.SMTP.AlertChecker(rs.SMTPAlert, true), Name: rs.SNMPName,
				DelayLoop: vs.DelayLoop,
			}
			if up, ok := p.rsUp[rsKey{name, rs.IP.Unmap(), rs.Port}]; ok {
				r.Alive = up
			}
			if haveHealth {
				if h, ok := view.Servers[healthcheck.RealServerKey{VirtualServer: name, Addr: rs.IP, Port: rs.Port}]; ok {
					r.Alive = h.Up
					for _, c := range h.Checks {
						if !c.Up {
							r.FailedChecks++
						}
					}
				}
			}
			if i < len(st) && j < len(st[i].RealServers) {
				crs := st[i].RealServers[j]
				if crs.Weight >= 0 && st[i].InKernel {
					r.Weight = crs.Weight
				}
				r.ActiveConns, r.InactiveConns = crs.ActiveConns, crs.InactiveConns
			}
			if r.Alive {
				alive += rs.Weight
			}
			v.RealServers = append(v.RealServers, r)
		}
		v.QuorumUp = alive >= max(1, vs.Quorum)
		if i < len(st) && st[i].Quorum != "" {
			v.QuorumUp = st[i].Quorum == "up"
		}
		if s := vs.SorryServer; s != nil {
			v.RealServers = append(v.RealServers, snmp.RealServer{Addr: s.IP, Port: s.Port, Sorry: true,
				Alive: i < len(st) && st[i].SorryServer != "", Kind: vs.SorryServerLVSMethod})
		}
		out = append(out, v)
	}
	_ = now
	return out
}

// groupSNMPState is a sync group's state: its members' when they agree,
// else unknown.
func groupSNMPState(members []string, states map[string]snmp.State) snmp.State {
	st, seen := snmp.StateUnknown, false
	for _, m := range members {
		s, ok := states[m]
		if !ok {
			continue
		}
		if !seen {
			st, seen = s, true
		} else if s != st {
			return snmp.StateUnknown
		}
	}
	return st
}

// status is the SNMP part of lvsd status (nil when it is off).
func (p *snmpPart) status() *control.SNMP {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	s, socket := p.sess, p.cfg.Socket
	p.mu.Unlock()
	hook := p.hookDrops.Load()
	if s == nil && hook == 0 {
		return nil
	}
	out := &control.SNMP{Socket: socket, TrapsDropped: map[string]uint64{dropHookQueueFull: hook, dropBusy: p.busyDrops.Load()}}
	if s != nil {
		st := s.Stats()
		out.Connected, out.Sessions, out.Requests, out.TrapsSent = st.Connected, st.Sessions, st.Requests, st.Notifications
		for r, n := range st.Dropped {
			out.TrapsDropped[agentx.DropReason(r).String()] = n
		}
	}
	return out
}

// withStatusLock runs f with o.mu held for reading (within ctx and
// statusWait): snmpPart.read.
func (o *ops) withStatusLock(ctx context.Context, f func()) bool {
	if err := o.rlock(ctx); err != nil {
		return false
	}
	defer o.mu.RUnlock()
	f()
	return true
}
