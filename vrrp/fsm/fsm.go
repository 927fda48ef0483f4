package fsm

import (
	"errors"
	"net/netip"
	"time"
)

// State is a VRRP instance state.
type State uint8

// States: the RFC's Initialize, Backup and Master plus keepalived's Fault and Stop.
const (
	Init State = iota
	Backup
	Master
	Fault
	Stop
)

var stateNames = [...]string{Init: "INIT", Backup: "BACKUP", Master: "MASTER", Fault: "FAULT", Stop: "STOP"}

// String returns keepalived's name of the state (as notify scripts get it).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// Cause says why a transition happened.
type Cause uint8

// Causes of transitions.
const (
	CauseNone Cause = iota
	// CauseStart: the initial state at start.
	CauseStart
	// CauseOwner: priority 255, the address owner becomes master at once.
	CauseOwner
	// CauseMasterDown: Master_Down_Interval passed without an acceptable advert.
	CauseMasterDown
	// CausePriorityZero: the master announced it stopped (priority 0) and Skew_Time passed.
	CausePriorityZero
	// CausePreempt: we preempted a lower-priority master.
	CausePreempt
	// CauseHigherPriority: a master heard a higher priority.
	CauseHigherPriority
	// CauseEqualPriorityHigherAddr: a master heard its own priority from a higher address.
	CauseEqualPriorityHigherAddr
	// CauseFault: the instance was forced into Fault (tracker, interface down).
	CauseFault
	// CauseFaultCleared: the fault was released.
	CauseFaultCleared
	// CauseShutdown: the instance was stopped.
	CauseShutdown
	// CauseSyncGroup: another member of the sync group moved the instance.
	CauseSyncGroup
	// CauseResume: a restarted daemon resumed as master (Resume).
	CauseResume
)

var causeNames = [...]string{
	CauseNone:                    "none",
	CauseStart:                   "start",
	CauseOwner:                   "address_owner",
	CauseMasterDown:              "master_down",
	CausePriorityZero:            "priority_zero",
	CausePreempt:                 "preempt",
	CauseHigherPriority:          "higher_priority",
	CauseEqualPriorityHigherAddr: "equal_priority_higher_address",
	CauseFault:                   "fault",
	CauseFaultCleared:            "fault_cleared",
	CauseShutdown:                "shutdown",
	CauseSyncGroup:               "sync_group",
	CauseResume:                  "resume",
}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "unknown"
}

// ActionKind is what the caller must do.
type ActionKind uint8

// Actions.
const (
	// SendAdvert: send an advertisement with Action.Priority (0 when stopping).
	SendAdvert ActionKind = iota + 1
	// AddVIPs: install the virtual addresses and routes.
	AddVIPs
	// RemoveVIPs: remove the virtual addresses and routes (also at start, to
	// clean up what a crashed daemon left behind).
	RemoveVIPs
	// Announce: send gratuitous ARPs / unsolicited NAs (Action.Announce says which burst).
	Announce
	// Transition: the state changed (notify scripts, status, metrics).
	Transition
	// RxLowerPriority: a master heard a lower-priority advert (keepalived's
	// notify_master_rx_lower_pri).
	RxLowerPriority
)

var actionNames = [...]string{SendAdvert: "send_advert", AddVIPs: "add_vips", RemoveVIPs: "remove_vips",
	Announce: "announce", Transition: "transition", RxLowerPriority: "rx_lower_priority"}

func (k ActionKind) String() string {
	if int(k) < len(actionNames) && actionNames[k] != "" {
		return actionNames[k]
	}
	return "unknown"
}

// AnnounceKind says which announcement burst an Announce action asks for.
type AnnounceKind uint8

// Announcement bursts.
const (
	// AnnounceMaster: becoming master: garp_master_repeat now, again after
	// garp_master_delay, then every garp_master_refresh.
	AnnounceMaster AnnounceKind = iota + 1
	// AnnounceLowerPrio: a lower-priority master was heard: garp_lower_prio_repeat.
	AnnounceLowerPrio
)

// Action is one thing the caller must do, in order.
type Action struct {
	Kind ActionKind
	// Priority: the priority to send (SendAdvert), or the effective
	// priority at the transition (Transition).
	Priority uint8
	// From, To and Cause describe a Transition.
	From, To State
	Cause    Cause
	// Announce is the burst of an Announce action.
	Announce AnnounceKind
	// Src is the source of the advert behind RxLowerPriority.
	Src netip.Addr
}

// Config is what the state machine needs of an instance.
type Config struct {
	Version uint8 // 2 or 3
	// Priority is the base priority, 1..255 (255 = address owner).
	Priority uint8
	// AdvertInterval is our Advertisement_Interval.
	AdvertInterval time.Duration
	// NoPreempt: a backup accepts a lower-priority master.
	NoPreempt bool
	// PreemptDelay: keepalived's preempt_delay.
	PreemptDelay time.Duration
	// LocalAddr is our primary address, compared with the sender's on equal priority.
	LocalAddr netip.Addr
	// LowerPrioNoAdvert: a master does not answer a lower-priority advert.
	LowerPrioNoAdvert bool
	// StartupUntil is the end of keepalived's vrrp_startup_delay (the
	// daemon's start plus the delay; zero: none). Before it, a backup's
	// master-down timer runs from StartupUntil instead of now, as
	// keepalived 2.2.7 arms it, so no backup takes over before the delay
	// and a full Master_Down_Interval after it.
	StartupUntil time.Time
	// DownTimerAdverts is keepalived's down_timer_adverts, 1..100: the
	// number of Master_Adver_Intervals in Master_Down_Interval (the RFCs'
	// 3). 0 means 3.
	DownTimerAdverts int
	// HigherPrioSendAdvert is keepalived's higher_prio_send_advert: a
	// master that hears a higher priority (or its own from a higher
	// address) sends one advert of its own before it becomes backup, so
	// that a third router that still believes it is master hears it.
	HigherPrioSendAdvert bool
}

// Advert is what the machine needs of a received, validated advertisement.
type Advert struct {
	Priority uint8
	// Interval is the sender's advertisement interval (learnt by VRRPv3 backups).
	Interval time.Duration
	// Src is the sender's primary address.
	Src netip.Addr
}

// Machine is one instance's state machine. The zero value is not usable; use New.
type Machine struct {
	cfg   Config
	state State
	prio  uint8 // effective priority
	// fault is set by SetFault, syncFault by SetSyncFault; either holds the machine in Fault.
	fault, syncFault bool
	// gated: a sync group member, which becomes master only through
	// SyncMaster; wantMaster: its master-down timer expired while gated.
	gated, wantMaster bool
	// masterAdverInt is Master_Adver_Interval (own interval, or learnt from the master in VRRPv3).
	masterAdverInt time.Duration
	// deadline is the advert timer (Master) or the master-down timer (Backup); zero when none.
	deadline time.Time
	// downCause is the cause a master-down expiry will report.
	downCause Cause
	// preemptAt is when a preempt_delay started by a lower-priority master ends; zero when not running.
	preemptAt time.Time
	// master and masterPrio are the sender and priority of the last accepted advert.
	master     netip.Addr
	masterPrio uint8
	// announceDue: a resumed master announces its addresses with its first
	// periodic advert (see Resume).
	announceDue bool
}

// New returns a machine in Init. It fails on an invalid configuration.
func New(cfg Config) (*Machine, error) {
	if cfg.Version != 2 && cfg.Version != 3 {
		return nil, errors.New("fsm: version must be 2 or 3")
	}
	if cfg.Priority == 0 {
		return nil, errors.New("fsm: priority must be 1..255")
	}
	if cfg.AdvertInterval <= 0 {
		return nil, errors.New("fsm: advert interval must be positive")
	}
	if cfg.DownTimerAdverts == 0 {
		cfg.DownTimerAdverts = 3
	}
	if cfg.DownTimerAdverts < 1 || cfg.DownTimerAdverts > 100 {
		return nil, errors.New("fsm: down timer adverts must be 1..100")
	}
	return &Machine{cfg: cfg, prio: cfg.Priority, masterAdverInt: cfg.AdvertInterval}, nil
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.prio }

// Deadline returns when Timer must be called next; zero when no timer runs.
func (m *Machine) Deadline() time.Time { return m.deadline }

// MasterAdverInterval returns Master_Adver_Interval.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInt }

// Master returns the address and priority of the master last heard (invalid when none).
func (m *Machine) Master() (netip.Addr, uint8) { return m.master, m.masterPrio }

// SkewTime returns Skew_Time for a version, priority and Master_Adver_Interval.
// VRRPv2: (256-prio)/256 s. VRRPv3: ((256-prio)*interval)/256. Exact to the nanosecond.
func SkewTime(version, prio uint8, masterAdverInt time.Duration) time.Duration {
	if version == 2 {
		return time.Duration(256-int64(prio)) * time.Second / 256
	}
	return time.Duration(256-int64(prio)) * masterAdverInt / 256
}

// MasterDownInterval returns 3*Master_Adver_Interval + Skew_Time.
func MasterDownInterval(version, prio uint8, masterAdverInt time.Duration) time.Duration {
	return MasterDownIntervalN(3, version, prio, masterAdverInt)
}

// MasterDownIntervalN returns adverts*Master_Adver_Interval + Skew_Time:
// keepalived's Master_Down_Interval with down_timer_adverts (the RFCs'
// adverts is 3).
func MasterDownIntervalN(adverts int, version, prio uint8, masterAdverInt time.Duration) time.Duration {
	return time.Duration(adverts)*masterAdverInt + SkewTime(version, prio, masterAdverInt)
}

func (m *Machine) skew() time.Duration {
	return SkewTime(m.cfg.Version, m.prio, m.masterAdverInt)
}

func (m *Machine) mdi() time.Duration {
	return MasterDownIntervalN(m.cfg.DownTimerAdverts, m.cfg.Version, m.prio, m.masterAdverInt)
}

func (m *Machine) transition(out []Action, to State, cause Cause) []Action {
	from := m.state
	m.state = to
	m.announceDue = false
	return append(out, Action{Kind: Transition, From: from, To: to, Cause: cause, Priority: m.prio})
}

// becomeMaster sends the first advert, installs and announces the addresses
// (keepalived's order: the old master must see our advert before our GARPs).
func (m *Machine) becomeMaster(now time.Time, out []Action, cause Cause) []Action {
	m.wantMaster = false
	out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
	out = append(out, Action{Kind: AddVIPs})
	out = append(out, Action{Kind: Announce, Announce: AnnounceMaster})
	out = m.transition(out, Master, cause)
	m.deadline = now.Add(m.cfg.AdvertInterval)
	m.preemptAt = time.Time{}
	return out
}

// downAt is when a backup's master-down timer of length d armed at now
// expires (StartupUntil delays it).
func (m *Machine) downAt(now time.Time, d time.Duration) time.Time {
	if now.Before(m.cfg.StartupUntil) {
		now = m.cfg.StartupUntil
	}
	return now.Add(d)
}

// becomeBackup arms the master-down timer with our own interval.
func (m *Machine) enterBackup(now time.Time, out []Action, cause Cause) []Action {
	m.wantMaster = false
	m.masterAdverInt = m.cfg.AdvertInterval
	m.deadline = m.downAt(now, m.mdi())
	m.downCause = CauseMasterDown
	m.preemptAt = time.Time{}
	return m.transition(out, Backup, cause)
}

// Start leaves Init: to Fault if a fault is set, to Master for the address
// owner, else to Backup (removing any addresses a previous run left behind).
func (m *Machine) Start(now time.Time, out []Action) []Action {
	if m.state != Init {
		return out
	}
	switch {
	case m.fault || m.syncFault:
		out = append(out, Action{Kind: RemoveVIPs})
		m.deadline = time.Time{}
		return m.transition(out, Fault, CauseFault)
	case m.cfg.Priority == 255 && now.Before(m.cfg.StartupUntil):
		// keepalived makes the owner a backup whose timer expires at once,
		// which vrrp_startup_delay defers to its end
		out = append(out, Action{Kind: RemoveVIPs})
		out = m.enterBackup(now, out, CauseStart)
		m.deadline, m.downCause = m.cfg.StartupUntil, CauseOwner
		return out
	case m.cfg.Priority == 255:
		return m.becomeMaster(now, out, CauseOwner)
	}
	out = append(out, Action{Kind: RemoveVIPs})
	return m.enterBackup(now, out, CauseStart)
}

// Resume leaves Init straight to Master, keeping the addresses in place: a
// daemon restarted on the master (crash, upgrade, reload hand-over) whose
// VIPs are still on the interface takes up its role at once, sending an
// advert now, instead of removing them and waiting Master_Down_Interval as
// a backup. The actions are an advert, AddVIPs (which finds them present,
// or adds those a reload brought) and the Transition with CauseResume.
//
// A higher-priority master, if any, is handled as by any master: its first
// advert makes the machine a backup at once, and a master that answers a
// lower priority (RFC 9568) answers our first advert at once. So the
// announcement (gratuitous ARP / unsolicited NA, AnnounceMaster) is not
// sent at resume but with the first periodic advert, one advert interval
// later, if the machine is still master then: the VIPs never moved, so the
// neighbours' caches already point at us and nothing is lost by waiting;
// a refresh then is harmless and repairs caches that moved anyway (a backup
// that took over during a starved moment); and were a higher-priority
// master running, announcing at once would pull its traffic to us for the
// moment before we step down, and leave it unserved after.
//
// A sync group member (gated) resumes the same way; its group then keeps
// it MASTER only if every other member resumes too (vrrp.SyncGroup).
//
// With a fault set, or outside Init, Resume is Start.
func (m *Machine) Resume(now time.Time, out []Action) []Action {
	if m.state != Init || m.fault || m.syncFault {
		return m.Start(now, out)
	}
	m.wantMaster = false
	out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
	out = append(out, Action{Kind: AddVIPs})
	out = m.transition(out, Master, CauseResume)
	m.deadline = now.Add(m.cfg.AdvertInterval)
	m.preemptAt = time.Time{}
	m.announceDue = true
	return out
}

// Inherit leaves Init straight to st, the state of a predecessor that
// this machine replaces without anyone noticing: a reload rebuilt the
// instance although its own configuration did not change. Unlike Start and
// Resume it emits no Transition and no Announce: the neighbours' caches
// already point where they should, and notify scripts, status and metrics
// must not see a change that did not happen.
//
// Master: an advert now (the predecessor's schedule is lost; an early
// advert is harmless and keeps the backups' timers well inside
// Master_Down_Interval) and AddVIPs (which finds them present); then the
// machine is a master like any other: it steps down at a higher advert and
// answers a lower one. Backup: RemoveVIPs (a backup has none; it cleans up
// as Start does) and the master-down timer armed from now with our own
// interval, which is safe: the master's next advert re-arms it.
//
// With a fault set, outside Init, or for any other st, Inherit is Start.
func (m *Machine) Inherit(now time.Time, st State, out []Action) []Action {
	if m.state != Init || m.fault || m.syncFault || (st != Master && st != Backup) {
		return m.Start(now, out)
	}
	m.wantMaster = false
	m.preemptAt = time.Time{}
	m.announceDue = false
	if st == Master {
		out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
		out = append(out, Action{Kind: AddVIPs})
		m.state = Master
		m.deadline = now.Add(m.cfg.AdvertInterval)
		return out
	}
	out = append(out, Action{Kind: RemoveVIPs})
	m.masterAdverInt = m.cfg.AdvertInterval
	m.state = Backup
	m.deadline = m.downAt(now, m.mdi())
	m.downCause = CauseMasterDown
	return out
}

// Timer handles the expiry of Deadline. Calls before the deadline do nothing.
func (m *Machine) Timer(now time.Time, out []Action) []Action {
	if m.deadline.IsZero() || now.Before(m.deadline) {
		return out
	}
	switch m.state {
	case Master:
		out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
		if m.announceDue {
			m.announceDue = false
			out = append(out, Action{Kind: Announce, Announce: AnnounceMaster})
		}
		next := m.deadline.Add(m.cfg.AdvertInterval)
		if !next.After(now) {
			next = now.Add(m.cfg.AdvertInterval)
		}
		m.deadline = next
	case Backup:
		if m.gated {
			// Wait for the rest of the sync group (SyncMaster).
			m.wantMaster = true
			m.deadline = time.Time{}
			return out
		}
		out = m.becomeMaster(now, out, m.downCause)
	default:
		m.deadline = time.Time{}
	}
	return out
}

// Advert handles a received advertisement that passed validation.
func (m *Machine) Advert(now time.Time, a Advert, out []Action) []Action {
	switch m.state {
	case Backup:
		return m.backupRx(now, a, out)
	case Master:
		return m.masterRx(now, a, out)
	}
	return out // Init, Fault, Stop: ignored
}

func (m *Machine) backupRx(now time.Time, a Advert, out []Action) []Action {
	if a.Priority == 0 {
		// The master is leaving: take over after Skew_Time.
		m.wantMaster = false
		m.deadline = m.downAt(now, m.skew())
		m.downCause = CausePriorityZero
		return out
	}
	delayRunning := m.cfg.PreemptDelay > 0 && (m.preemptAt.IsZero() || now.Before(m.preemptAt))
	if m.cfg.NoPreempt || a.Priority >= m.prio || delayRunning {
		// Accept this master.
		m.wantMaster = false
		if m.cfg.Version == 3 && a.Interval > 0 {
			m.masterAdverInt = a.Interval
		}
		m.deadline = m.downAt(now, m.mdi())
		m.downCause = CauseMasterDown
		m.master, m.masterPrio = a.Src, a.Priority
		if m.cfg.PreemptDelay > 0 {
			if a.Priority >= m.prio {
				m.preemptAt = time.Time{}
			} else if m.preemptAt.IsZero() {
				m.preemptAt = now.Add(m.cfg.PreemptDelay)
			}
		}
		return out
	}
	// A lower-priority master and we preempt: ignore its adverts, so the
	// running master-down timer makes us master.
	m.downCause = CausePreempt
	m.master, m.masterPrio = a.Src, a.Priority
	return out
}

func (m *Machine) masterRx(now time.Time, a Advert, out []Action) []Action {
	if a.Priority == 0 {
		// Another master is leaving: assert ourselves at once (RFC 5798 6.4.3).
		out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
		m.deadline = now.Add(m.cfg.AdvertInterval)
		return out
	}
	cmp := a.Src.Compare(m.cfg.LocalAddr)
	switch {
	case a.Priority > m.prio || (a.Priority == m.prio && cmp > 0):
		cause := CauseHigherPriority
		if a.Priority == m.prio {
			cause = CauseEqualPriorityHigherAddr
		}
		if m.cfg.Version == 3 && a.Interval > 0 {
			m.masterAdverInt = a.Interval
		}
		if m.cfg.HigherPrioSendAdvert {
			// keepalived: one last advert of ours, sent before stepping down.
			out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
		}
		m.master, m.masterPrio = a.Src, a.Priority
		m.deadline = m.downAt(now, m.mdi())
		m.downCause = CauseMasterDown
		out = append(out, Action{Kind: RemoveVIPs})
		return m.transition(out, Backup, cause)
	case a.Priority < m.prio || cmp < 0:
		// Someone else believes it is master: answer at once (RFC 9568)
		// and refresh the neighbours' ARP caches.
		if !m.cfg.LowerPrioNoAdvert {
			out = append(out, Action{Kind: SendAdvert, Priority: m.prio})
		}
		out = append(out, Action{Kind: Announce, Announce: AnnounceLowerPrio})
		out = append(out, Action{Kind: RxLowerPriority, Src: a.Src, Priority: a.Priority})
	}
	// Equal priority from our own address: our advert looped back; ignore.
	return out
}

// Shutdown moves to Stop: a master sends priority 0 and removes its addresses.
// Every later call does nothing.
func (m *Machine) Shutdown(now time.Time, out []Action) []Action {
	if m.state == Stop {
		return out
	}
	if m.state == Master {
		out = append(out, Action{Kind: SendAdvert, Priority: 0})
		out = append(out, Action{Kind: RemoveVIPs})
	}
	m.deadline = time.Time{}
	return m.transition(out, Stop, CauseShutdown)
}

// SetFault forces (fault true) or releases (false) the Fault state. A
// master entering Fault sends priority 0 and removes its addresses; leaving
// Fault goes to Backup (Master for the address owner).
func (m *Machine) SetFault(now time.Time, fault bool, out []Action) []Action {
	was := m.fault || m.syncFault
	m.fault = fault
	return m.faultChanged(now, was, CauseFault, out)
}

// SetSyncFault is SetFault on behalf of a sync group: another member is in
// Fault. The machine is in Fault while either its own or the group's fault is set.
func (m *Machine) SetSyncFault(now time.Time, fault bool, out []Action) []Action {
	was := m.fault || m.syncFault
	m.syncFault = fault
	return m.faultChanged(now, was, CauseSyncGroup, out)
}

func (m *Machine) faultChanged(now time.Time, was bool, cause Cause, out []Action) []Action {
	fault := m.fault || m.syncFault
	if was == fault {
		return out
	}
	switch m.state {
	case Init, Stop:
		return out // Start honours the fault
	case Fault:
		if fault {
			return out
		}
		if m.cfg.Priority == 255 && !m.gated {
			m.masterAdverInt = m.cfg.AdvertInterval
			return m.becomeMaster(now, out, CauseFaultCleared)
		}
		return m.enterBackup(now, out, CauseFaultCleared)
	}
	if !fault {
		return out
	}
	if m.state == Master {
		out = append(out, Action{Kind: SendAdvert, Priority: 0})
		out = append(out, Action{Kind: RemoveVIPs})
	}
	m.deadline = time.Time{}
	m.wantMaster = false
	return m.transition(out, Fault, cause)
}

// SetGated makes the machine a sync group member (before Start): its
// master-down expiry only sets WantsMaster, and SyncMaster makes it master.
func (m *Machine) SetGated(gated bool) { m.gated = gated }

// WantsMaster reports whether a gated backup's master-down timer has
// expired: it is ready to become master with the rest of its group.
func (m *Machine) WantsMaster() bool { return m.state == Backup && m.wantMaster }

// SyncMaster makes a backup that WantsMaster master (the sync group decided
// all its members go master together).
func (m *Machine) SyncMaster(now time.Time, out []Action) []Action {
	if !m.WantsMaster() {
		return out
	}
	return m.becomeMaster(now, out, m.downCause)
}

// SyncBackup moves a master to Backup because another member of its sync
// group left Master: it removes its addresses and arms Master_Down_Interval.
func (m *Machine) SyncBackup(now time.Time, out []Action) []Action {
	if m.state != Master {
		return out
	}
	m.masterAdverInt = m.cfg.AdvertInterval
	m.deadline = m.downAt(now, m.mdi())
	m.downCause = CauseMasterDown
	m.wantMaster = false
	out = append(out, Action{Kind: RemoveVIPs})
	return m.transition(out, Backup, CauseSyncGroup)
}

// Fault reports whether a fault is set.
func (m *Machine) Fault() bool { return m.fault }

// SetPriority sets the effective priority (base adjusted by trackers),
// clamped to 1..254. The address owner's priority is never adjusted. A
// backup's master-down timer moves by the change in Skew_Time (keepalived);
// a master advertises the new priority from its next advert on.
func (m *Machine) SetPriority(now time.Time, p int, out []Action) []Action {
	if m.cfg.Priority == 255 {
		return out
	}
	p = max(1, min(254, p))
	if uint8(p) == m.prio {
		return out
	}
	oldMDI := m.mdi()
	m.prio = uint8(p)
	if m.state == Backup && !m.deadline.IsZero() {
		m.deadline = m.deadline.Add(m.mdi() - oldMDI)
	}
	return out
}
