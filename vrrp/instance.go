package vrrp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/internal/ratelimit"
	"github.com/lvsd/lvsd/vrrp/packet"
)

// State is an instance state (keepalived's names: INIT, BACKUP, MASTER, FAULT, STOP).
type State = fsm.State

// States.
const (
	StateInit   = fsm.Init
	StateBackup = fsm.Backup
	StateMaster = fsm.Master
	StateFault  = fsm.Fault
	StateStop   = fsm.Stop
)

// Transition is one state change of an instance, for notify scripts,
// status and metrics.
type Transition struct {
	Instance string
	From, To State
	Cause    fsm.Cause
	// Priority is the effective priority at the transition.
	Priority uint8
	Time     time.Time
}

// Options are an Instance's optional hooks.
type Options struct {
	// Logger receives the instance's logs (slog.Default() when nil).
	Logger *slog.Logger
	// OnTransition is called on the instance goroutine for every state
	// change, in order. It must not block (hand the value to a queue).
	OnTransition func(Transition)
	// OnMasterRxLowerPri is called on the instance goroutine when the master
	// hears a lower-priority advert (keepalived's
	// notify_master_rx_lower_pri). It must not block.
	OnMasterRxLowerPri func(instance string, src netip.Addr, priority uint8)
	// DropLogInterval is the minimum time between two log lines for the same
	// drop reason (10 s when zero).
	DropLogInterval time.Duration
	// Resume makes Run resume as master at once (fsm.Machine.Resume) instead
	// of starting as backup: for a restarted daemon that was master and
	// whose VIPs are still in place (restart without outage).
	Resume bool
	// Inherit, when set with State MASTER or BACKUP, makes Run take over
	// that state from a predecessor quietly (fsm.Machine.Inherit): for an
	// instance a reload rebuilt although its own configuration did not
	// change. No Transition (so no OnTransition, no state-change log at
	// Info), no gratuitous ARP burst; the counters, the last transition
	// time and the master last heard continue from Inherit (the
	// predecessor's Stats, taken after its Run returned). With a fault set
	// at start, or another State, Run starts as usual (Resume applies).
	Inherit *Stats
	// ResumeAHSeq, with Resume and auth_type AH, is where the sequence
	// counter starts (the state file's estimate of the predecessor's; 0:
	// from 1, as keepalived): backups accept only numbers above the last
	// they heard, so a resumed master that starts from 1 is not heard.
	ResumeAHSeq uint32
	// OnLate, when set, is told how late every advert / master-down timer
	// fired (only when it is late); it runs on the instance goroutine and
	// must return quickly (keepalived's max_auto_priority raises the
	// process's priority from it).
	OnLate func(late time.Duration)
	// LateTimer, when positive, logs a warning and counts Stats.LateTimers
	// whenever the advert / master-down timer fires later than this after
	// its deadline (a starved process loses VIPs).
	LateTimer time.Duration
}

// Stats is a snapshot of an instance's counters.
type Stats struct {
	State    State
	Priority uint8

	AdvertsSent          uint64 // including priority 0, one per destination
	AdvertsReceived      uint64 // accepted adverts
	PriorityZeroSent     uint64
	PriorityZeroReceived uint64
	// ChecksumNoPseudoHeaderReceived counts accepted VRRPv3/IPv4 adverts whose
	// checksum was of the RFC 9568 variant (without the pseudo-header).
	ChecksumNoPseudoHeaderReceived uint64
	// Drops counts rejected messages by reason (index: packet.DropReason).
	Drops [packet.NumDropReasons]uint64

	Transitions    uint64
	BecameMaster   uint64
	ReleasedMaster uint64
	VIPsRestored   uint64 // VIPs put back while master after someone removed them
	// LateTimers counts timer expiries handled later than Options.LateTimer.
	LateTimers uint64

	SendErrors     uint64
	ReadErrors     uint64
	AddrErrors     uint64 // AddrManager failures
	AnnounceErrors uint64

	// Master and MasterPriority are the sender and priority of the last
	// advert a backup accepted (or ignored as lower priority); invalid
	// before any.
	Master         netip.Addr
	MasterPriority uint8
	// LastTransition is the time of the last state change.
	LastTransition time.Time
	// LastAdvertSent is when the last advert with a priority above 0 was
	// sent (to one destination at least); zero before any. A backup's
	// Master_Down_Interval runs from it.
	LastAdvertSent time.Time
	// AHSeq is auth_type AH's sequence counter (0 otherwise): a successor
	// (Options.Inherit) continues from it.
	AHSeq uint32 `json:",omitempty"`
}

// DropsTotal returns the total of s.Drops.
func (s *Stats) DropsTotal() uint64 {
	var n uint64
	for _, d := range s.Drops {
		n += d
	}
	return n
}

// counters are updated atomically by the instance and reader goroutines.
type counters struct {
	state, priority                                     atomic.Uint32
	sent, received, prio0Sent, prio0Received, noPseudo  atomic.Uint64
	drops                                               [packet.NumDropReasons]atomic.Uint64
	transitions, becameMaster, releasedMaster, restored atomic.Uint64
	lateTimers                                          atomic.Uint64
	sendErrors, readErrors, addrErrors, announceErrors  atomic.Uint64
	lastSent                                            atomic.Int64 // unix ns of the last advert sent with a priority above 0
}

// rxAdvert is an accepted advert handed from the reader to the instance goroutine.
type rxAdvert struct {
	adv fsm.Advert
	at  time.Time
}

// Instance runs one VRRP instance. Create it with New and run it with Run.
type Instance struct {
	cfg   Config
	conn  Conn
	addrs AddrManager
	ann   Announcer
	opts  Options
	log   *slog.Logger

	// filter is built by New and read-only afterwards (shared by the reader).
	filter packet.Filter
	// ah is auth_type AH's state (nil otherwise); see ahState.
	ah *ahState
	// mcastDst is the multicast destination (invalid in unicast mode).
	mcastDst netip.Addr
	// oldCsum is the pseudo-header destination of old_unicast_checksum
	// (invalid when off, or not a unicast VRRPv3/IPv4 instance).
	oldCsum netip.Addr
	// vips, advertAddrs and announceAddrs are derived from cfg by New; read-only.
	vips          []VIP
	advertAddrs   []netip.Addr
	announceAddrs []netip.Addr

	c counters

	// statMu guards master, masterPrio and lastTransition (written by the
	// goroutine holding lk, read by Stats).
	statMu         sync.Mutex
	master         netip.Addr
	masterPrio     uint8
	lastTransition time.Time

	// mu guards wantPrio, prioSet, wantFault and running.
	mu        sync.Mutex
	wantPrio  int  // effective priority requested by SetPriority
	prioSet   bool // SetPriority was called
	wantFault bool // fault requested by SetFault
	running   bool
	// configFault holds the instance in FAULT for good: unicast_fault_no_peer
	// without a peer. Set by New, read-only afterwards.
	configFault bool
	// abandon: Run returns without the graceful stop (see Abandon).
	abandon atomic.Bool
	// poke wakes the instance goroutine after SetPriority/SetFault (capacity 1).
	poke chan struct{}

	// lk serialises event handling: it is ownLock, or the sync group's lock
	// when the instance is a member (members then drive each other).
	lk      sync.Locker
	ownLock sync.Mutex
	// group is the sync group (nil when none); set before Run, then read-only.
	group *SyncGroup

	// Owned by the goroutine holding lk while Run runs.
	m          *fsm.Machine
	acts       []fsm.Action
	out        packet.Advert
	sendBuf    []byte // sized at the first send (sendTo): a backup never sends
	ctx        context.Context
	timer      *time.Timer
	garpTimer  *time.Timer // second burst after garp_master_delay
	refresh    *time.Timer // garp_master_refresh
	lowerTimer *time.Timer // second burst after garp_lower_prio_delay
	extraTimer *time.Timer // garp_extra_if
	lastPrio   int
	lastFault  bool
	sendLimit  ratelimit.Limit
	addrLimit  ratelimit.Limit
	lowerLimit ratelimit.Limit

	// Owned by the reader goroutine.
	readLimit  ratelimit.Limit
	dropLimits [packet.NumDropReasons]ratelimit.Limit
}

// New checks cfg (after applying keepalived's defaults) and returns an
// Instance that is not yet running. conn, addrs and ann are the kernel
// boundary (see interfaces.go).
func New(cfg Config, conn Conn, addrs AddrManager, ann Announcer, opts Options) (*Instance, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if conn == nil || addrs == nil || ann == nil {
		return nil, errors.New("vrrp: New needs a Conn, an AddrManager and an Announcer")
	}
	interval, err := packet.EncodeInterval(cfg.Version, cfg.AdvertInterval)
	if err != nil {
		return nil, fmt.Errorf("vrrp: instance %s: %w", cfg.Name, err)
	}
	m, err := fsm.New(fsm.Config{
		Version:           cfg.Version,
		Priority:          cfg.Priority,
		AdvertInterval:    cfg.AdvertInterval,
		NoPreempt:         cfg.NoPreempt,
		PreemptDelay:      cfg.PreemptDelay,
		LocalAddr:         cfg.SrcAddr,
		LowerPrioNoAdvert: cfg.LowerPrioNoAdvert,
		StartupUntil:      cfg.StartupUntil,
		DownTimerAdverts:  cfg.DownTimerAdverts,

		HigherPrioSendAdvert: cfg.HigherPrioSendAdvert,
	})
	if err != nil {
		return nil, fmt.Errorf("vrrp: instance %s: %w", cfg.Name, err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DropLogInterval == 0 {
		opts.DropLogInterval = 10 * time.Second
	}
	i := &Instance{
		cfg:   cfg,
		conn:  conn,
		addrs: addrs,
		ann:   ann,
		opts:  opts,
		log:   opts.Logger.With("instance", cfg.Name, "vrid", cfg.VRID),
		poke:  make(chan struct{}, 1),
		m:     m,
		acts:  make([]fsm.Action, 0, 8),
	}
	i.lk = &i.ownLock
	i.lastPrio = int(cfg.Priority)
	i.vips = append([]VIP(nil), cfg.VIPs...)
	i.cfg.ExtraIfAddrs = append([]netip.Addr(nil), cfg.ExtraIfAddrs...)
	for _, v := range i.vips {
		i.announceAddrs = append(i.announceAddrs, v.Prefix.Addr())
		if !v.Excluded {
			i.advertAddrs = append(i.advertAddrs, v.Prefix.Addr())
		}
	}
	if !cfg.Unicast() {
		i.mcastDst = cfg.McastGroup
		if !i.mcastDst.IsValid() {
			i.mcastDst = packet.Group4
			if cfg.IPv6() {
				i.mcastDst = packet.Group6
			}
		}
	}
	if cfg.OldUnicastChecksum && cfg.Unicast() && cfg.Version == packet.Version3 && !cfg.IPv6() {
		i.oldCsum = cfg.ChecksumGroup
		if !i.oldCsum.IsValid() {
			i.oldCsum = packet.Group4
		}
	}
	i.filter = packet.Filter{
		Version:    cfg.Version,
		VRID:       cfg.VRID,
		IPv6:       cfg.IPv6(),
		AuthType:   cfg.AuthType,
		AuthPass:   packet.PassData(cfg.AuthPass),
		Interval:   interval,
		Unicast:    cfg.Unicast(),
		Peers:      append([]packet.Peer(nil), cfg.Peers...),
		Local:      []netip.Addr{cfg.SrcAddr},
		Addrs:      i.advertAddrs,
		CheckAddrs: !cfg.SkipCheckAdvAddr,
		AnySource:  cfg.AnyUnicastSource,
	}
	i.out = packet.Advert{
		Version:  cfg.Version,
		Type:     packet.TypeAdvertisement,
		VRID:     cfg.VRID,
		AuthType: cfg.AuthType,
		Interval: interval,
		Addrs:    i.advertAddrs,
	}
	if cfg.AuthType == packet.AuthPass {
		i.out.AuthData = packet.PassData(cfg.AuthPass)
	}
	if cfg.AuthType == packet.AuthAH {
		i.ah = newAHState(&i.cfg)
		i.sendBuf = make([]byte, packet.IPv4HeaderLen+packet.AHLen+packet.MaxLen)
	}
	i.c.priority.Store(uint32(cfg.Priority))
	i.configFault = cfg.UnicastFaultNoPeer && !cfg.Unicast()
	return i, nil
}

// Config returns the instance's configuration (with defaults applied).
func (i *Instance) Config() Config { return i.cfg }

// State returns the current state.
func (i *Instance) State() State { return State(i.c.state.Load()) }

// Stats returns a snapshot of the instance's counters.
func (i *Instance) Stats() Stats {
	s := Stats{
		State:                          State(i.c.state.Load()),
		Priority:                       uint8(i.c.priority.Load()),
		AdvertsSent:                    i.c.sent.Load(),
		AdvertsReceived:                i.c.received.Load(),
		PriorityZeroSent:               i.c.prio0Sent.Load(),
		PriorityZeroReceived:           i.c.prio0Received.Load(),
		ChecksumNoPseudoHeaderReceived: i.c.noPseudo.Load(),
		Transitions:                    i.c.transitions.Load(),
		BecameMaster:                   i.c.becameMaster.Load(),
		ReleasedMaster:                 i.c.releasedMaster.Load(),
		VIPsRestored:                   i.c.restored.Load(),
		LateTimers:                     i.c.lateTimers.Load(),
		SendErrors:                     i.c.sendErrors.Load(),
		ReadErrors:                     i.c.readErrors.Load(),
		AddrErrors:                     i.c.addrErrors.Load(),
		AnnounceErrors:                 i.c.announceErrors.Load(),
	}
	if ns := i.c.lastSent.Load(); ns != 0 {
		s.LastAdvertSent = time.Unix(0, ns)
	}
	for r := range s.Drops {
		s.Drops[r] = i.c.drops[r].Load()
	}
	i.statMu.Lock()
	s.Master, s.MasterPriority, s.LastTransition = i.master, i.masterPrio, i.lastTransition
	i.statMu.Unlock()
	if i.ah != nil {
		s.AHSeq = i.ah.seqNow()
	}
	return s
}

// SetPriority sets the effective priority (the base priority adjusted by
// trackers, e.g. base + weights); it is clamped to 1..254 and ignored for an
// address owner. Safe from any goroutine; applied by the running instance at
// once, or at start when called before Run.
func (i *Instance) SetPriority(p int) {
	i.mu.Lock()
	i.wantPrio, i.prioSet = p, true
	i.mu.Unlock()
	i.wake()
}

// SetFault forces the instance into FAULT (true) or releases it (false).
// Safe from any goroutine; a fault set before Run makes the instance start in FAULT.
func (i *Instance) SetFault(fault bool) {
	i.mu.Lock()
	i.wantFault = fault
	i.mu.Unlock()
	i.wake()
}

// Abandon makes Run, once its context is cancelled, return without the
// graceful stop: no priority-0 advert, the VIPs and routes stay in place,
// no STOP transition. A daemon that restarts or reloads an instance and
// resumes it at once (Options.Resume) calls it before cancelling, so that
// the VIP is never unserved. In a sync group, the other members no longer
// drive an abandoned instance, and it leaves the group when Run returns
// (see SyncGroup). Safe from any goroutine.
func (i *Instance) Abandon() { i.abandon.Store(true) }

func (i *Instance) wake() {
	select {
	case i.poke <- struct{}{}:
	default:
	}
}

// Run runs the instance until ctx is cancelled, then stops it gracefully
// (priority-0 advert and VIP removal if master, STOP transition), closes the
// Conn and returns nil. It returns an error only if the instance was already
// run. Run may be called once.
func (i *Instance) Run(ctx context.Context) error {
	i.mu.Lock()
	if i.running {
		i.mu.Unlock()
		return errors.New("vrrp: instance " + i.cfg.Name + " already run")
	}
	i.running = true
	i.mu.Unlock()

	i.initRun(ctx)

	rx := make(chan rxAdvert, rxQueue)
	done := make(chan struct{})
	var wg sync.WaitGroup
	if pc, ok := i.conn.(PushConn); !ok || !pc.Push(i.receiver(rx)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i.readLoop(rx, done)
		}()
	}

	i.log.Info("starting", "version", i.cfg.Version, "priority", i.cfg.Priority,
		"interval", i.cfg.AdvertInterval, "unicast", i.cfg.Unicast(), "src", i.cfg.SrcAddr)
	if i.configFault {
		i.log.Warn("unicast_fault_no_peer: no unicast peer, staying in FAULT state")
	}
	i.lk.Lock()
	now := time.Now()
	i.applyWanted(now)
	switch {
	case i.opts.Inherit != nil && (i.opts.Inherit.State == fsm.Master || i.opts.Inherit.State == fsm.Backup):
		i.inherit(now, i.opts.Inherit)
	case i.opts.Resume:
		if i.ah != nil {
			i.ah.continueFrom(i.opts.ResumeAHSeq)
		}
		i.apply(now, i.m.Resume(now, i.acts[:0]))
	default:
		i.apply(now, i.m.Start(now, i.acts[:0]))
	}
	i.armTimer(now)
	i.settle(now)
	i.lk.Unlock()

	for {
		select {
		case <-ctx.Done():
			i.lk.Lock()
			now := time.Now()
			i.stopTimers()
			if i.abandon.Load() {
				// Nothing is sent or removed, and a sync group no longer
				// counts or drives this instance.
				if i.group != nil {
					i.group.leave(i)
				}
			} else {
				i.apply(now, i.m.Shutdown(now, i.acts[:0]))
				i.settle(now)
			}
			i.lk.Unlock()
			close(done)
			err := i.conn.Close()
			wg.Wait()
			if err != nil {
				i.log.Warn("closing connection", "err", err)
			}
			i.log.Info("stopped")
			return nil
		case r := <-rx:
			i.lk.Lock()
			i.onAdvert(r)
			i.settle(r.at)
			i.lk.Unlock()
		case <-i.timer.C:
			i.lk.Lock()
			now := time.Now()
			i.checkLate(now)
			i.onTimer(now)
			i.settle(now)
			i.lk.Unlock()
		case <-i.garpTimer.C:
			i.lk.Lock()
			if i.m.State() == fsm.Master {
				i.announce(i.cfg.GARPMasterRepeat)
			}
			i.lk.Unlock()
		case <-i.lowerTimer.C:
			i.lk.Lock()
			if i.m.State() == fsm.Master && i.cfg.GARPLowerPrioRepeat > 0 {
				i.announce(i.cfg.GARPLowerPrioRepeat)
			}
			i.lk.Unlock()
		case <-i.refresh.C:
			i.lk.Lock()
			if i.m.State() == fsm.Master {
				i.announce(i.cfg.GARPMasterRefreshRepeat)
				i.refresh.Reset(i.cfg.GARPMasterRefresh)
			}
			i.lk.Unlock()
		case <-i.extraTimer.C:
			i.lk.Lock()
			if i.m.State() == fsm.Master {
				i.announceAddrsN(i.cfg.ExtraIfAddrs, 1)
				i.extraTimer.Reset(i.cfg.ExtraIfInterval)
			}
			i.lk.Unlock()
		case <-i.poke:
			i.lk.Lock()
			now := time.Now()
			i.applyWanted(now)
			i.armTimer(now)
			i.settle(now)
			i.lk.Unlock()
		}
	}
}

// inherit takes over a predecessor's state and counters (Options.Inherit).
// Called with i.lk held, at start.
func (i *Instance) inherit(now time.Time, h *Stats) {
	i.c.sent.Store(h.AdvertsSent)
	i.c.received.Add(h.AdvertsReceived)
	i.c.prio0Sent.Store(h.PriorityZeroSent)
	if !h.LastAdvertSent.IsZero() {
		i.c.lastSent.Store(h.LastAdvertSent.UnixNano())
	}
	i.c.prio0Received.Add(h.PriorityZeroReceived)
	i.c.noPseudo.Add(h.ChecksumNoPseudoHeaderReceived)
	for r, n := range h.Drops {
		i.c.drops[r].Add(n)
	}
	i.c.transitions.Store(h.Transitions)
	i.c.becameMaster.Store(h.BecameMaster)
	i.c.releasedMaster.Store(h.ReleasedMaster)
	i.c.restored.Store(h.VIPsRestored)
	i.c.lateTimers.Store(h.LateTimers)
	i.c.sendErrors.Store(h.SendErrors)
	i.c.readErrors.Add(h.ReadErrors)
	i.c.addrErrors.Store(h.AddrErrors)
	i.c.announceErrors.Store(h.AnnounceErrors)
	if i.ah != nil {
		i.ah.continueFrom(h.AHSeq)
	}
	i.statMu.Lock()
	i.lastTransition = h.LastTransition
	if h.State == fsm.Backup {
		i.master, i.masterPrio = h.Master, h.MasterPriority
	}
	i.statMu.Unlock()
	i.apply(now, i.m.Inherit(now, h.State, i.acts[:0]))
	if st := i.m.State(); st == h.State {
		// No Transition action: publish the state here.
		i.c.state.Store(uint32(st))
		i.log.Debug("took over the predecessor's state", "state", st.String(), "last_transition", h.LastTransition)
		if st == fsm.Master && i.cfg.GARPMasterRefresh > 0 {
			i.refresh.Reset(i.cfg.GARPMasterRefresh)
		}
		if st == fsm.Master {
			i.armExtraIf()
		}
	}
}

// settle lets the sync group, if any, reconcile its members after an event
// of this instance. Called with i.lk held.
func (i *Instance) settle(now time.Time) {
	if i.group != nil {
		i.group.reconcile(now)
	}
}

// initRun prepares the state the instance goroutine owns.
func (i *Instance) initRun(ctx context.Context) {
	// Address operations at shutdown must run even though ctx is done.
	i.ctx = context.WithoutCancel(ctx)
	i.timer = time.NewTimer(time.Hour)
	i.timer.Stop()
	i.garpTimer = time.NewTimer(time.Hour)
	i.garpTimer.Stop()
	i.refresh = time.NewTimer(time.Hour)
	i.refresh.Stop()
	i.lowerTimer = time.NewTimer(time.Hour)
	i.lowerTimer.Stop()
	i.extraTimer = time.NewTimer(time.Hour)
	i.extraTimer.Stop()
}

// armExtraIf starts garp_extra_if's period (becoming master).
func (i *Instance) armExtraIf() {
	if i.cfg.ExtraIfInterval > 0 && len(i.cfg.ExtraIfAddrs) > 0 {
		i.extraTimer.Reset(i.cfg.ExtraIfInterval)
	}
}

// onAdvert handles an accepted advert.
func (i *Instance) onAdvert(r rxAdvert) {
	i.apply(r.at, i.m.Advert(r.at, r.adv, i.acts[:0]))
	i.armTimer(r.at)
	i.noteMaster()
}

// onTimer handles the fsm deadline: the periodic advert of a master (with
// the check that our VIPs are still in place) or the master-down expiry.
func (i *Instance) onTimer(now time.Time) {
	wasMaster := i.m.State() == fsm.Master
	i.apply(now, i.m.Timer(now, i.acts[:0]))
	if wasMaster && i.m.State() == fsm.Master {
		i.restoreVIPs()
	}
	i.armTimer(now)
}

// checkLate logs and counts a timer handled later than Options.LateTimer
// after the machine's deadline. Called with i.lk held.
func (i *Instance) checkLate(now time.Time) {
	d := i.m.Deadline()
	if d.IsZero() {
		return
	}
	late := now.Sub(d)
	if i.opts.OnLate != nil && late > 0 {
		i.opts.OnLate(late)
	}
	if i.opts.LateTimer <= 0 {
		return
	}
	if late > i.opts.LateTimer {
		i.c.lateTimers.Add(1)
		i.log.Warn("timer fired late", "late", late, "threshold", i.opts.LateTimer, "state", i.m.State().String())
	}
}

// applyWanted feeds SetPriority/SetFault requests to the machine.
func (i *Instance) applyWanted(now time.Time) {
	i.mu.Lock()
	p, set, f := i.wantPrio, i.prioSet, i.wantFault || i.configFault
	i.mu.Unlock()
	if set && p != i.lastPrio {
		i.lastPrio = p
		old := i.m.Priority()
		i.apply(now, i.m.SetPriority(now, p, i.acts[:0]))
		if np := i.m.Priority(); np != old {
			i.c.priority.Store(uint32(np))
			i.log.Info("effective priority changed", "from", old, "to", np)
		}
	}
	if f != i.lastFault {
		i.lastFault = f
		i.apply(now, i.m.SetFault(now, f, i.acts[:0]))
	}
}

// armTimer sets the timer to the machine's deadline (measured from the
// clock, not from the event's time, so a late event does not delay it).
func (i *Instance) armTimer(time.Time) {
	d := i.m.Deadline()
	if d.IsZero() {
		i.timer.Stop()
		return
	}
	i.timer.Reset(time.Until(d))
}

func (i *Instance) stopTimers() {
	i.timer.Stop()
	i.garpTimer.Stop()
	i.refresh.Stop()
	i.lowerTimer.Stop()
	i.extraTimer.Stop()
}

// apply performs the machine's actions in order.
func (i *Instance) apply(now time.Time, acts []fsm.Action) {
	for _, a := range acts {
		switch a.Kind {
		case fsm.SendAdvert:
			i.sendAdvert(a.Priority)
		case fsm.AddVIPs:
			i.addVIPs()
		case fsm.RemoveVIPs:
			i.removeVIPs()
		case fsm.Announce:
			switch a.Announce {
			case fsm.AnnounceMaster:
				i.announce(i.cfg.GARPMasterRepeat)
				if i.cfg.GARPMasterDelay > 0 {
					i.garpTimer.Reset(i.cfg.GARPMasterDelay)
				}
				if i.cfg.GARPMasterRefresh > 0 {
					i.refresh.Reset(i.cfg.GARPMasterRefresh)
				}
				i.armExtraIf()
			case fsm.AnnounceLowerPrio:
				if i.cfg.GARPLowerPrioRepeat > 0 {
					i.announce(i.cfg.GARPLowerPrioRepeat)
					if i.cfg.GARPLowerPrioDelay > 0 {
						i.lowerTimer.Reset(i.cfg.GARPLowerPrioDelay)
					}
				}
			}
		case fsm.Transition:
			i.transition(now, a)
		case fsm.RxLowerPriority:
			if ok, sup := i.lowerLimit.Allow(now, i.opts.DropLogInterval); ok {
				i.log.Info("master received lower priority advert, answering", "src", a.Src, "priority", a.Priority, "ours", i.m.Priority(), "suppressed", sup)
			}
			if i.opts.OnMasterRxLowerPri != nil {
				i.opts.OnMasterRxLowerPri(i.cfg.Name, a.Src, a.Priority)
			}
		}
	}
}

// noteMaster publishes the master last heard for Stats.
func (i *Instance) noteMaster() {
	addr, prio := i.m.Master()
	i.statMu.Lock()
	i.master, i.masterPrio = addr, prio
	i.statMu.Unlock()
}

func (i *Instance) transition(now time.Time, a fsm.Action) {
	i.statMu.Lock()
	i.lastTransition = now
	i.statMu.Unlock()
	i.c.state.Store(uint32(a.To))
	i.c.transitions.Add(1)
	if a.To == fsm.Master {
		i.c.becameMaster.Add(1)
		if i.ah != nil {
			i.ah.becameMaster()
		}
	}
	if a.From == fsm.Master {
		i.c.releasedMaster.Add(1)
		i.garpTimer.Stop()
		i.refresh.Stop()
		i.lowerTimer.Stop()
		i.extraTimer.Stop()
	}
	i.log.Info("entering "+a.To.String()+" state", "from", a.From.String(), "cause", a.Cause.String(), "priority", a.Priority)
	if i.opts.OnTransition != nil {
		i.opts.OnTransition(Transition{Instance: i.cfg.Name, From: a.From, To: a.To, Cause: a.Cause, Priority: a.Priority, Time: now})
	}
}

// sendAdvert sends one advert with prio to the group or to every peer.
func (i *Instance) sendAdvert(prio uint8) {
	i.out.Priority = prio
	if i.ah != nil {
		i.ah.nextAdvert()
	}
	if !i.cfg.Unicast() {
		i.sendTo(i.mcastDst)
	} else {
		for _, p := range i.cfg.Peers {
			i.sendTo(p.Addr)
		}
	}
}

func (i *Instance) sendTo(dst netip.Addr) {
	csDst := dst
	if i.oldCsum.IsValid() {
		csDst = i.oldCsum // old_unicast_checksum
	}
	var n int
	var err error
	if i.ah != nil {
		n, err = i.ah.seal(i.sendBuf, &i.out, i.cfg.SrcAddr, dst)
	} else {
		if need := i.out.Len(); need > len(i.sendBuf) {
			i.sendBuf = make([]byte, need)
		}
		n, err = i.out.MarshalTo(i.sendBuf, i.cfg.SrcAddr, csDst, i.cfg.ChecksumVariant)
	}
	if err == nil {
		err = i.conn.WriteTo(i.sendBuf[:n], dst)
	}
	if err != nil {
		i.c.sendErrors.Add(1)
		if ok, sup := i.sendLimit.Allow(time.Now(), i.opts.DropLogInterval); ok {
			i.log.Warn("sending advert", "dst", dst, "err", err, "suppressed", sup)
		}
		return
	}
	i.c.sent.Add(1)
	if i.out.Priority == 0 {
		i.c.prio0Sent.Add(1)
	} else {
		i.c.lastSent.Store(time.Now().UnixNano())
	}
}

func (i *Instance) addrError(op string, err error) {
	i.c.addrErrors.Add(1)
	if ok, sup := i.addrLimit.Allow(time.Now(), i.opts.DropLogInterval); ok {
		i.log.Error(op, "err", err, "suppressed", sup)
	}
}

func (i *Instance) addVIPs() {
	if len(i.vips) > 0 {
		if err := i.addrs.AddVIPs(i.ctx, i.vips); err != nil {
			i.addrError("adding virtual addresses", err)
		}
	}
	if len(i.cfg.Routes) > 0 {
		if err := i.addrs.AddRoutes(i.ctx, i.cfg.Routes); err != nil {
			i.addrError("adding virtual routes", err)
		}
	}
	if len(i.cfg.Rules) > 0 {
		if err := i.addrs.AddRules(i.ctx, i.cfg.Rules); err != nil {
			i.addrError("adding virtual rules", err)
		}
	}
}

func (i *Instance) removeVIPs() {
	if len(i.cfg.Rules) > 0 {
		if err := i.addrs.DelRules(i.ctx, i.cfg.Rules); err != nil {
			i.addrError("removing virtual rules", err)
		}
	}
	if len(i.cfg.Routes) > 0 {
		if err := i.addrs.DelRoutes(i.ctx, i.cfg.Routes); err != nil {
			i.addrError("removing virtual routes", err)
		}
	}
	if len(i.vips) > 0 {
		if err := i.addrs.DelVIPs(i.ctx, i.vips); err != nil {
			i.addrError("removing virtual addresses", err)
		}
	}
}

// restoreVIPs puts back VIPs that disappeared while we are master.
func (i *Instance) restoreVIPs() {
	if len(i.vips) == 0 {
		return
	}
	missing, err := i.addrs.MissingVIPs(i.ctx, i.vips)
	if err != nil {
		i.addrError("checking virtual addresses", err)
		return
	}
	if len(missing) == 0 {
		return
	}
	for _, v := range missing {
		i.log.Warn("virtual address missing while master, restoring", "vip", v.Prefix, "dev", v.Dev)
	}
	if err := i.addrs.AddVIPs(i.ctx, missing); err != nil {
		i.addrError("restoring virtual addresses", err)
		return
	}
	i.c.restored.Add(uint64(len(missing)))
	addrs := make([]netip.Addr, len(missing))
	for k, v := range missing {
		addrs[k] = v.Prefix.Addr()
	}
	i.announceAddrsN(addrs, i.cfg.GARPMasterRepeat)
}

func (i *Instance) announce(n int) { i.announceAddrsN(i.announceAddrs, n) }

func (i *Instance) announceAddrsN(addrs []netip.Addr, n int) {
	if len(addrs) == 0 {
		return
	}
	for range n {
		if err := i.ann.Announce(addrs); err != nil {
			i.c.announceErrors.Add(1)
			if ok, sup := i.addrLimit.Allow(time.Now(), i.opts.DropLogInterval); ok {
				i.log.Warn("announcing virtual addresses", "err", err, "suppressed", sup)
			}
			return
		}
	}
}

// rxQueue is the number of accepted adverts that may wait for the instance
// goroutine; with a PushConn, a valid advert beyond them is dropped
// (packet.DropQueueFull).
const rxQueue = 4

// receiver returns the PushConn's deliver function: it decodes, checks and
// counts one payload on the Conn's reader and queues an accepted advert
// for the instance goroutine without blocking. The Conn never calls it
// concurrently, so it owns adv and the reader's rate limits.
func (i *Instance) receiver(rx chan<- rxAdvert) func([]byte, RecvMeta) {
	adv := packet.Advert{Addrs: make([]netip.Addr, 0, max(len(i.advertAddrs), 1))}
	return func(b []byte, meta RecvMeta) {
		if r := i.accept(b, meta, &adv); r != packet.DropNone {
			i.drop(r, meta)
			return
		}
		r := rxAdvert{adv: fsm.Advert{Priority: adv.Priority, Interval: adv.IntervalDuration(), Src: meta.Src}, at: time.Now()}
		if i.handleInline(r) {
			i.count(&adv)
			return
		}
		select {
		case rx <- r:
			i.count(&adv)
		default:
			i.drop(packet.DropQueueFull, meta)
		}
	}
}

// handleInline handles an accepted advert on the Conn's reader, without
// the hop to the instance goroutine, when that cannot block the reader: the
// instance is in no sync group, its lock is free, and it is BACKUP, where
// an advert only moves the master-down deadline (fsm.Machine.Advert returns
// no action there). The hop (channel send, waking the instance goroutine
// and often an idle thread) was most of a backup's CPU per advert. A timer
// event the instance goroutine took meanwhile finds the new deadline not
// yet reached and does nothing (fsm.Machine.Timer).
func (i *Instance) handleInline(r rxAdvert) bool {
	if i.lk != sync.Locker(&i.ownLock) || !i.ownLock.TryLock() {
		return false
	}
	defer i.ownLock.Unlock()
	if i.m.State() != fsm.Backup {
		return false
	}
	i.onAdvert(r)
	return true
}

// readLoop reads, decodes and validates adverts and hands accepted ones to
// the instance goroutine, for a Conn that does not push. It returns when
// done is closed (after the Conn is closed).
func (i *Instance) readLoop(rx chan<- rxAdvert, done <-chan struct{}) {
	buf := make([]byte, packet.MaxLen+64)
	adv := packet.Advert{Addrs: make([]netip.Addr, 0, max(len(i.advertAddrs), 1))}
	for {
		n, meta, err := i.conn.ReadFrom(buf)
		if err != nil {
			select {
			case <-done:
				return
			default:
			}
			i.c.readErrors.Add(1)
			if ok, sup := i.readLimit.Allow(time.Now(), i.opts.DropLogInterval); ok {
				i.log.Warn("reading adverts", "err", err, "suppressed", sup)
			}
			if errors.Is(err, net.ErrClosed) {
				<-done
				return
			}
			// Do not spin on a persistent error.
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if r := i.accept(buf[:n], meta, &adv); r != packet.DropNone {
			i.drop(r, meta)
			continue
		}
		i.count(&adv)
		select {
		case rx <- rxAdvert{adv: fsm.Advert{Priority: adv.Priority, Interval: adv.IntervalDuration(), Src: meta.Src}, at: time.Now()}:
		case <-done:
			return
		}
	}
}

// accept decodes and validates one received payload into adv.
func (i *Instance) accept(b []byte, meta RecvMeta, adv *packet.Advert) packet.DropReason {
	dst := meta.Dst
	if !dst.IsValid() {
		dst = i.mcastDst
		if !dst.IsValid() {
			dst = i.cfg.SrcAddr
		}
	}
	if i.ah != nil {
		return i.acceptAH(b, meta, dst, adv)
	}
	r := packet.Decode(b, meta.Src, dst, adv)
	if r == packet.DropBadChecksum && i.oldCsum.IsValid() {
		r = packet.Decode(b, meta.Src, i.oldCsum, adv) // old_unicast_checksum
	}
	if r != packet.DropNone {
		return r
	}
	return i.filter.Check(adv, meta.Src, meta.TTL)
}

// count counts an accepted advert.
func (i *Instance) count(adv *packet.Advert) {
	i.c.received.Add(1)
	if adv.Priority == 0 {
		i.c.prio0Received.Add(1)
	}
	if adv.Version == packet.Version3 && adv.Variant == packet.ChecksumNoPseudoHeader && !i.cfg.IPv6() {
		i.c.noPseudo.Add(1)
	}
}

// drop counts a rejected message and logs it, rate-limited per reason.
// Another group's traffic (unknown VRID) is logged at debug level only.
func (i *Instance) drop(r packet.DropReason, meta RecvMeta) {
	i.c.drops[r].Add(1)
	if ok, sup := i.dropLimits[r].Allow(time.Now(), i.opts.DropLogInterval); ok {
		level := slog.LevelWarn
		if r == packet.DropUnknownVRID || r == packet.DropLoopedBack {
			level = slog.LevelDebug
		}
		i.log.Log(context.Background(), level, "dropped advert", "reason", r.String(), "src", meta.Src, "ttl", meta.TTL, "suppressed", sup)
	}
}
