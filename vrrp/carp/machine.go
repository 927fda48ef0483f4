package carp

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// State is a virtual host's state, as ucarp names them.
type State uint8

// The states.
const (
	Init State = iota
	Backup
	Master
)

func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	}
	return "UNKNOWN"
}

// DefaultDeadRatio is ucarp's --deadratio default.
const DefaultDeadRatio = 3

// MachineConfig is what the election depends on (ucarp's options).
type MachineConfig struct {
	AdvBase uint8 // --advbase, seconds
	AdvSkew uint8 // --advskew, 1/256 s
	// DeadRatio is --deadratio: a backup declares the master down after
	// DeadRatio x advbase + advskew/256 without an advertisement. 0 means
	// DefaultDeadRatio.
	DeadRatio uint
	Preempt   bool // --preempt: take over from a slower master
	Neutral   bool // --neutral: no down script at the start-up BACKUP
	// IgnoreIfState is --ignoreifstate: ignore the interface's link state.
	IgnoreIfState bool
	// Src is our source address (--srcip), the tie-break between two
	// masters advertising at the same rate.
	Src netip.Addr
}

// Interval is advbase seconds plus advskew/256 s, truncated to the
// microsecond as ucarp computes its timevals.
func Interval(advbase, advskew uint8) time.Duration {
	return time.Duration(advbase)*time.Second + time.Duration(uint64(advskew)*1000000/256)*time.Microsecond
}

// Actions is what the shell must do after a Machine method returns, in
// this order: run the down script (and remove the address), send an
// advertisement, run the up script (and install the address), send a
// gratuitous ARP. ucarp's order on takeover is up script, GARP, advert; the
// shell runs scripts without waiting for them, so the advert goes first.
type Actions struct {
	// To is the new state when the call changed it (zero value Init: no
	// change).
	To     State
	Up     bool // run the up script / install the address
	Down   bool // run the down script / remove the address
	Advert bool // send one advertisement now
	GARP   bool // send one gratuitous ARP for the address
}

// Changed reports whether the state changed.
func (a Actions) Changed() bool { return a.To != Init }

// Peer is what the election uses of an accepted advertisement.
type Peer struct {
	AdvBase, AdvSkew uint8
	Src              netip.Addr
}

// Machine is ucarp 1.5.2's CARP election for one virtual host, as a value
// over explicit time. The shell calls Start once, Advance when the time of
// Next has come, Receive for every accepted advertisement, and Link when
// the interface's running state changes. A Machine never reads the clock.
type Machine struct {
	cfg   MachineConfig
	state State
	// advertAt is when the next advertisement is due (MASTER), zero if none.
	advertAt time.Time
	// downAt is when the master is declared down (BACKUP), zero if none.
	downAt time.Time
	// delayedARP counts adverts until the second gratuitous ARP; -1: none.
	delayedARP int
	linkDown   bool
}

// NewMachine returns a machine in INIT.
func NewMachine(cfg MachineConfig) *Machine {
	if cfg.DeadRatio == 0 {
		cfg.DeadRatio = DefaultDeadRatio
	}
	return &Machine{cfg: cfg, delayedARP: -1}
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Next returns when Advance must be called next; zero when no timer runs.
func (m *Machine) Next() time.Time {
	switch {
	case m.state == Master && !m.advertAt.IsZero():
		return m.advertAt
	case m.state == Backup && !m.downAt.IsZero():
		return m.downAt
	}
	return time.Time{}
}

// interval is our advertisement interval.
func (m *Machine) interval() time.Duration { return Interval(m.cfg.AdvBase, m.cfg.AdvSkew) }

// MasterDown is the time a backup waits for an advertisement:
// DeadRatio x advbase + advskew/256 (3.0 s at advbase 1, advskew 0).
func (m *Machine) MasterDown() time.Duration {
	return time.Duration(m.cfg.DeadRatio)*time.Duration(m.cfg.AdvBase)*time.Second +
		Interval(0, m.cfg.AdvSkew)
}

func (m *Machine) setState(s State, act *Actions) {
	if m.state == s {
		return
	}
	switch s {
	case Backup:
		if m.state != Init || !m.cfg.Neutral {
			act.Down = true
		}
	case Master:
		act.Up = true
		act.GARP = true
	}
	m.state = s
	act.To = s
}

// setrun is ucarp's carp_setrun: (re)arm the timer of the current state.
func (m *Machine) setrun(now time.Time, act *Actions) {
	switch m.state {
	case Init:
		m.setState(Backup, act)
		m.setrun(now, act)
	case Backup:
		m.advertAt = time.Time{}
		m.downAt = now.Add(m.MasterDown())
	case Master:
		m.downAt = time.Time{}
	}
}

// sendAdvert records an advertisement the shell sends now.
func (m *Machine) sendAdvert(now time.Time, act *Actions) {
	act.Advert = true
	if m.delayedARP > 0 {
		m.delayedARP--
	}
	if m.delayedARP == 0 {
		if m.state == Master {
			act.GARP = true
		}
		m.delayedARP = -1
	}
	m.advertAt = now.Add(m.interval())
}

// masterDown is ucarp's carp_master_down.
func (m *Machine) masterDown(now time.Time, act *Actions) {
	if m.state != Backup {
		return
	}
	m.setState(Master, act)
	m.sendAdvert(now, act)
	m.delayedARP = 2
	m.setrun(now, act)
}

// Start leaves INIT: BACKUP (the down script runs unless Neutral), master
// down timer armed.
func (m *Machine) Start(now time.Time) Actions {
	var act Actions
	m.setrun(now, &act)
	return act
}

// Resume leaves INIT for s, the state a predecessor process handed over
// (an upgrade in place), quietly: no up or down script, no address change,
// no gratuitous ARP. A MASTER advertises at once, so the segment hears it
// within an interval of the predecessor's last advert; a BACKUP arms its
// master-down timer from now. Any other s starts as Start does.
func (m *Machine) Resume(now time.Time, s State) Actions {
	var act Actions
	switch s {
	case Master:
		m.state, act.To = Master, Master
		m.sendAdvert(now, &act)
		m.setrun(now, &act)
	case Backup:
		m.state, act.To = Backup, Backup
		m.setrun(now, &act)
	default:
		m.setrun(now, &act)
	}
	return act
}

// Advance runs the timers that are due at now.
func (m *Machine) Advance(now time.Time) Actions {
	var act Actions
	if m.linkDown {
		return act
	}
	switch m.state {
	case Backup:
		if !m.downAt.IsZero() && !now.Before(m.downAt) {
			m.masterDown(now, &act)
		}
	case Master:
		if !m.advertAt.IsZero() && !now.Before(m.advertAt) {
			m.sendAdvert(now, &act)
		}
	}
	return act
}

// Receive applies an accepted advertisement from another node.
func (m *Machine) Receive(now time.Time, p Peer) Actions {
	var act Actions
	if m.linkDown {
		return act
	}
	local := m.interval()
	remote := Interval(p.AdvBase, p.AdvSkew)
	switch m.state {
	case Master:
		if local > remote || (local == remote && addrLess(p.Src, m.cfg.Src)) {
			// A preferred master: tell it once more, then step down.
			m.sendAdvert(now, &act)
			m.setState(Backup, &act)
			m.setrun(now, &act)
		} else if local < remote || (local == remote && addrLess(m.cfg.Src, p.Src)) {
			// A non-preferred master: reassert with gratuitous ARPs.
			act.GARP = true
			m.delayedARP = 2
		}
	case Backup:
		if m.cfg.Preempt && local < remote {
			m.masterDown(now, &act)
			break
		}
		dead := time.Duration(m.cfg.DeadRatio)*time.Duration(m.cfg.AdvBase)*time.Second + Interval(0, m.cfg.AdvSkew)
		if dead < remote {
			// The master advertises too slowly to stay master (or is
			// leaving: advbase 255, advskew 255).
			m.masterDown(now, &act)
			break
		}
		m.setrun(now, &act)
	}
	return act
}

// Link tells the machine whether the interface is running. Unless
// IgnoreIfState is set, a link that stops running forces BACKUP (the down
// script runs if we were master) and stops the timers; when it runs again
// the master down timer restarts.
func (m *Machine) Link(now time.Time, running bool) Actions {
	var act Actions
	if m.cfg.IgnoreIfState || m.state == Init {
		return act
	}
	if !running {
		if !m.linkDown {
			m.linkDown = true
			m.setState(Backup, &act)
			m.advertAt, m.downAt = time.Time{}, time.Time{}
		}
		return act
	}
	if m.linkDown {
		m.linkDown = false
		m.setrun(now, &act)
	}
	return act
}

// Stop is a graceful stop: it reports whether we were master (the shell
// then sends a leaving advertisement, advbase and advskew 255, removes the
// address and, with --shutdown, runs the down script).
func (m *Machine) Stop() (wasMaster bool) {
	wasMaster = m.state == Master
	m.state = Init
	m.advertAt, m.downAt = time.Time{}, time.Time{}
	return wasMaster
}

// addrLess is ucarp's `a.s_addr < b.s_addr`: the two addresses' network
// byte order words compared as native integers, which on the little-endian
// hosts ucarp runs on (amd64, arm64) compares the last octet first.
func addrLess(a, b netip.Addr) bool {
	x, y := a.As4(), b.As4()
	return binary.LittleEndian.Uint32(x[:]) < binary.LittleEndian.Uint32(y[:])
}
