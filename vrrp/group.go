package vrrp

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lvsd/lvsd/vrrp/fsm"
)

// GroupTransition is a state change of a sync group as a whole.
type GroupTransition struct {
	Group    string
	From, To State
	Time     time.Time
}

// GroupOptions are a SyncGroup's optional hooks.
type GroupOptions struct {
	Logger *slog.Logger
	// OnTransition is called for every change of the group's state (for
	// group notify scripts: `GROUP VG_1 MASTER 0`), under the group's lock:
	// it must not block.
	OnTransition func(GroupTransition)
	// Inherit, MASTER or BACKUP, is the state of a predecessor group whose
	// members all take over their predecessors' states quietly
	// (Options.Inherit): the group starts in it, and keeps it without a
	// transition while members have not started yet, so that a reload
	// hand-over fires no group notification either.
	Inherit State
}

// SyncGroup is a vrrp_sync_group: its members move together, with
// keepalived's semantics:
//   - a member in FAULT puts every other member in FAULT (a master among
//     them sends priority 0 and removes its addresses) until no member has
//     a fault of its own;
//   - while any member is BACKUP (and has not seen its Master_Down_Interval
//     pass), INIT or FAULT, no member is MASTER: a master member goes
//     BACKUP, e.g. when another member heard a higher priority;
//   - a member whose master-down timer expires waits until every member
//     wants MASTER (or is MASTER); then all become MASTER together;
//   - a member that resumes as MASTER (restart without outage,
//     Options.Resume) stays MASTER while the others have not started yet;
//     if one of them then starts as BACKUP, all go BACKUP.
//
// The members' event handling is serialised on the group's lock, so a
// member's event can move the others atomically.
//
// An abandoned member (Instance.Abandon: reload hand-over, restart) is
// never driven by the others once Abandon is called, and it leaves the
// group when its Run returns: from then on the group's rules and state are
// those of the remaining members, and nothing fires for it any more (its
// successor, resumed or not, joins a new group).
type SyncGroup struct {
	name string
	opts GroupOptions
	log  *slog.Logger

	// mu is every member's lk: it guards members, the members' state
	// machines and state.
	mu sync.Mutex
	// members are the members that have not left (guarded by mu).
	members []*Instance
	// state is the group's state (guarded by mu).
	state State
	// holding: the state is inherited and held until every member has
	// started (guarded by mu).
	holding bool
}

// NewSyncGroup ties instances into a sync group. It must be called before
// any member runs, and an instance can belong to one group only.
func NewSyncGroup(name string, opts GroupOptions, members ...*Instance) (*SyncGroup, error) {
	if len(members) == 0 {
		return nil, errors.New("vrrp: sync group " + name + " has no members")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := &SyncGroup{name: name, opts: opts, log: opts.Logger.With("group", name), members: members}
	seen := map[*Instance]bool{}
	for _, m := range members {
		m.mu.Lock()
		bad := m.running || m.group != nil || seen[m]
		m.mu.Unlock()
		if bad {
			return nil, errors.New("vrrp: sync group " + name + ": instance " + m.cfg.Name + " is running, repeated or in another group")
		}
		seen[m] = true
	}
	if opts.Inherit == fsm.Master || opts.Inherit == fsm.Backup {
		g.state, g.holding = opts.Inherit, true
	}
	for _, m := range members {
		m.group = g
		m.lk = &g.mu
		m.m.SetGated(true)
	}
	return g, nil
}

// Name returns the group's name.
func (g *SyncGroup) Name() string { return g.name }

// State returns the group's state: FAULT if a member is in FAULT, MASTER if
// every running member is MASTER, STOP when all are stopped, INIT before
// any started, else BACKUP.
func (g *SyncGroup) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state
}

// drive applies a machine operation to a member that has started (a member
// in INIT has no timers yet and is left alone).
func drive(m *Instance, now time.Time, acts []fsm.Action) {
	m.apply(now, acts)
	m.armTimer(now)
}

// leave removes an abandoned member whose Run returns. The remaining
// members are not moved by its departure (it is being replaced, usually
// with them); they are reconciled at their next event. The group's state
// is not recomputed either, so that a hand-over of every member fires no
// group transition (no `GROUP VG_1 STOP`). Called with g.mu held.
func (g *SyncGroup) leave(i *Instance) {
	for k, m := range g.members {
		if m == i {
			g.members = append(g.members[:k:k], g.members[k+1:]...)
			return
		}
	}
}

// reconcile enforces the group's rules after an event of one member.
// Called with g.mu held.
func (g *SyncGroup) reconcile(now time.Time) {
	anyFault := false
	for _, m := range g.members {
		if m.m.Fault() {
			anyFault = true
		}
	}
	for _, m := range g.members {
		if m.abandon.Load() {
			continue // being handed over: never driven (see SyncGroup)
		}
		if st := m.m.State(); st == fsm.Init || st == fsm.Stop {
			m.m.SetSyncFault(now, anyFault, nil) // remembered for Start
			continue
		}
		drive(m, now, m.m.SetSyncFault(now, anyFault, m.acts[:0]))
	}

	blocked, ready := false, true
	for _, m := range g.members {
		switch m.m.State() {
		case fsm.Stop, fsm.Master:
		case fsm.Backup:
			if !m.m.WantsMaster() {
				blocked, ready = true, false
			}
		case fsm.Init:
			// Not started yet: no member becomes master, but a resumed
			// master (Options.Resume) stays so until this one starts, as
			// a backup (then all go BACKUP) or resumed too.
			ready = false
		default: // Fault
			blocked, ready = true, false
		}
	}
	for _, m := range g.members {
		switch {
		case m.abandon.Load():
		case blocked && m.m.State() == fsm.Master:
			drive(m, now, m.m.SyncBackup(now, m.acts[:0]))
		case ready && m.m.WantsMaster():
			drive(m, now, m.m.SyncMaster(now, m.acts[:0]))
		}
	}

	st := g.compute()
	if g.holding {
		for _, m := range g.members {
			if m.m.State() == fsm.Init {
				return // an inherited state waits for every member
			}
		}
		g.holding = false
	}
	if st != g.state && len(g.members) > 0 {
		from := g.state
		g.state = st
		g.log.Info("sync group entering "+st.String()+" state", "from", from.String())
		if g.opts.OnTransition != nil {
			g.opts.OnTransition(GroupTransition{Group: g.name, From: from, To: st, Time: now})
		}
	}
}

func (g *SyncGroup) compute() State {
	var n, master, stop, init int
	for _, m := range g.members {
		n++
		switch m.m.State() {
		case fsm.Fault:
			return fsm.Fault
		case fsm.Master:
			master++
		case fsm.Stop:
			stop++
		case fsm.Init:
			init++
		}
	}
	switch {
	case stop == n:
		return fsm.Stop
	case init == n:
		return fsm.Init
	case master > 0 && master+stop == n:
		return fsm.Master
	}
	return fsm.Backup
}
