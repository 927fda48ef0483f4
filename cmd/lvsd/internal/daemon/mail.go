package daemon

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/smtpalert"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
)

// mailPart is `lvsd run`'s e-mail alerts (keepalived's smtp_alert): VRRP
// instance and sync group transitions and real server health changes go
// to a smtpalert.Sender whose queue never blocks the caller. It is the
// first step, so that it runs before and after every part that mails.
type mailPart struct {
	log *slog.Logger
	s   *smtpalert.Sender
	// enqueue is s.Enqueue (tests record instead).
	enqueue func(smtpalert.Message) bool

	mu      sync.Mutex // guards the fields below
	smtp    config.SMTP
	router  string
	inst    map[string]bool // instance name → smtp_alert
	groups  map[string]bool // sync group name → smtp_alert
	servers map[rsKey]rsMail
	vss     map[string]vsMail // virtual server name → its quorum mail
	// last is the state last mailed per instance ("i NAME") and group
	// ("g NAME"): keepalived mails a state once (last_email_state).
	last map[string]smtpalert.VRRPState
	// up is the health last seen per real server (keepalived mails UP
	// only after DOWN, DOWN only after UP). Neither up nor servers is kept
	// while mail is off (no smtp_server or no recipient): a reload that
	// turns it on fills up from view.
	up map[rsKey]bool
	// view is the health part's current view (set by newDaemon; nil in
	// tests that have none).
	view   func() (healthcheck.HealthView, bool)
	cancel context.CancelFunc
	done   chan struct{}
}

type rsKey struct {
	vs   string
	addr netip.Addr
	port uint16
}

// vsMail is what a virtual server's quorum mail needs.
type vsMail struct {
	on bool   // smtp_alert (default: smtp_alert_checker, smtp_alert, off)
	vs string // keepalived's format
}

// rsMail is what a real server's mail needs.
type rsMail struct {
	on    bool
	vs    string // keepalived's format
	proto string // the virtual server's protocol, for name
	// checker is smtpalert.Check*: the kind of its first checker.
	checker string
	alpha   bool
}

// name is real server k in keepalived's format ("[IP]:tcp:PORT"), made
// when a mail needs it rather than kept for every real server.
func (m rsMail) name(k rsKey) string { return smtpalert.Trio(k.addr.String(), m.proto, k.port) }

func newMailPart(cfg *config.Config, log *slog.Logger) *mailPart {
	if cfg == nil { // tests build daemons without a configuration
		cfg = &config.Config{}
	}
	p := &mailPart{log: log.With("part", "mail")}
	p.s = smtpalert.New(senderConfig(cfg), smtpalert.Options{Logger: p.log})
	p.enqueue = p.s.Enqueue
	p.set(cfg)
	return p
}

func senderConfig(cfg *config.Config) smtpalert.Config {
	s := cfg.Global.SMTP
	return smtpalert.Config{Server: s.Server, Helo: s.HeloName, From: s.NotificationEmailFrom, To: s.NotificationEmail, Timeout: s.ConnectTimeout}
}

// set takes the alert switches of cfg (start, reload).
func (p *mailPart) set(cfg *config.Config) {
	g := cfg.Global.SMTP
	inst, groups, servers, vss := map[string]bool{}, map[string]bool{}, map[rsKey]rsMail{}, map[string]vsMail{}
	for _, in := range cfg.Instances {
		inst[in.Name] = g.AlertVRRP(in.SMTPAlert)
	}
	for _, sg := range cfg.SyncGroups {
		groups[sg.Name] = g.AlertVRRP(sg.SMTPAlert)
	}
	on := g.Enabled()
	for _, vs := range cfg.VirtualServers {
		vsf, name := keepalivedVS(vs), vs.Name()
		vss[name] = vsMail{on: g.AlertChecker(vs.SMTPAlert, false), vs: vsf}
		if !on {
			continue // no real server can be mailed: nothing kept
		}
		for _, rs := range vs.RealServers {
			k := rsKey{name, rs.IP.Unmap(), rs.Port}
			servers[k] = rsMail{on: g.AlertChecker(rs.SMTPAlert, true), proto: vs.Protocol,
				vs: vsf, checker: checkerKind(rs.Checks()), alpha: rs.Alpha}
		}
	}
	p.s.SetConfig(senderConfig(cfg))
	p.mu.Lock()
	// A reload that removes an alive real server takes it out of IPVS:
	// keepalived mails "=> Removing <=" for it (clear_service_rs), with
	// the old file's settings.
	var removed []smtpalert.Message
	for k, info := range p.servers {
		if next, kept := servers[k]; kept {
			if _, seen := p.up[k]; !seen && next.alpha != info.alpha && p.up != nil {
				// health keeps no record of a real server in its
				// initial state (!alpha); its new alpha must not
				// change what was seen.
				p.up[k] = !info.alpha
			}
			continue
		}
		if p.aliveLocked(k, info) && info.on && p.enabledLocked() {
			removed = append(removed, smtpalert.RealServerRemovedMessage(p.router, info.name(k), info.vs, false, time.Now()))
		}
		delete(p.up, k)
	}
	wasOn, started := p.smtp.Enabled(), p.last != nil
	p.smtp, p.router, p.inst, p.groups, p.servers, p.vss = g, cfg.Global.RouterID, inst, groups, servers, vss
	if !started || !on {
		p.up = map[rsKey]bool{}
	}
	if !started {
		p.last = map[string]smtpalert.VRRPState{}
	}
	p.mu.Unlock()
	if on && !wasOn && started {
		p.seedUp()
	}
	slices.SortFunc(removed, func(a, b smtpalert.Message) int { return strings.Compare(a.Subject, b.Subject) })
	for _, m := range removed {
		p.enqueue(m)
	}
}

// seedUp records, for mail just turned on by a reload, the real servers
// whose health is not their initial one, from the health part's view.
// Called after p.smtp is on: updates from then on are recorded, and each
// is at least as new as the view's entry for its key, so the view only
// fills the keys without a record.
func (p *mailPart) seedUp() {
	if p.view == nil {
		return
	}
	v, ok := p.view()
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, sh := range v.Servers {
		key := rsKey{k.VirtualServer, k.Addr.Unmap(), k.Port}
		info, known := p.servers[key]
		if _, seen := p.up[key]; !known || seen || sh.Up == !info.alpha {
			continue
		}
		p.up[key] = sh.Up
	}
}

// aliveLocked is a real server's health as last seen (before any result:
// up unless alpha); with p.mu held.
func (p *mailPart) aliveLocked(k rsKey, info rsMail) bool {
	if up, seen := p.up[k]; seen {
		return up
	}
	return !info.alpha
}

// quorum mails a virtual server's quorum change (keepalived's
// do_vs_notifies) when its smtp_alert applies. At shutdown (ev.Stopping,
// omega only) the alive real servers of the virtual server are mailed
// "Shutting down" first, as keepalived does.
func (p *mailPart) quorum(ev ipvs.Event) {
	p.mu.Lock()
	info, known := p.vss[ev.VirtualServer]
	router, enabled := p.router, p.enabledLocked()
	var out []smtpalert.Message
	if ev.Stopping && enabled {
		for k, rs := range p.servers {
			if k.vs == ev.VirtualServer && rs.on && p.aliveLocked(k, rs) {
				out = append(out, smtpalert.RealServerRemovedMessage(router, rs.name(k), rs.vs, true, time.Now()))
			}
		}
		slices.SortFunc(out, func(a, b smtpalert.Message) int { return strings.Compare(a.Subject, b.Subject) })
	}
	p.mu.Unlock()
	if known && info.on && enabled {
		out = append(out, smtpalert.VirtualServerMessage(router, info.vs, smtpalert.QuorumChange{
			Up: ev.QuorumUp, Init: ev.Init, Stopping: ev.Stopping, Quorum: ev.Quorum, Hysteresis: ev.Hysteresis,
			Threshold: ev.Threshold, Alive: ev.Alive}, time.Now()))
	}
	for _, m := range out {
		p.enqueue(m)
	}
}

// keepalivedVS is keepalived's FMT_VS: "[IP]:tcp:PORT", "FWM N" or "[GROUP]:PORT".
func keepalivedVS(vs config.VirtualServer) string {
	switch {
	case vs.Group != "":
		return "[" + vs.Group + "]:" + strconv.Itoa(int(vs.Port))
	case vs.FWMark != 0:
		return "FWM " + strconv.FormatUint(uint64(vs.FWMark), 10)
	}
	return smtpalert.Trio(vs.IP.Unmap().String(), vs.Protocol, vs.Port)
}

func checkerKind(c *config.Checkers) string {
	switch {
	case len(c.HTTPGet) > 0:
		return smtpalert.CheckHTTP
	case len(c.SSLGet) > 0:
		return smtpalert.CheckSSL
	case len(c.TCPCheck) > 0:
		return smtpalert.CheckTCP
	case len(c.PingCheck) > 0:
		return smtpalert.CheckPing
	case len(c.MiscCheck) > 0:
		return smtpalert.CheckMisc
	}
	return ""
}

// failedKind is the checker kind a failure reason comes from, "" when any.
func failedKind(r healthcheck.Reason) string {
	switch r {
	case healthcheck.ReasonScriptExit, healthcheck.ReasonScriptSignal, healthcheck.ReasonScriptStart:
		return smtpalert.CheckMisc
	case healthcheck.ReasonNoReply, healthcheck.ReasonPingError:
		return smtpalert.CheckPing
	case healthcheck.ReasonBadStatus, healthcheck.ReasonDigestMismatch, healthcheck.ReasonTLS, healthcheck.ReasonBadResponse:
		return smtpalert.CheckHTTP
	}
	return ""
}

func (p *mailPart) start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() { defer close(p.done); p.s.Run(ctx) }()
	return nil
}

// stop delivers what is queued (the STOP mails of the instances) within
// the shutdown's bound, then drops the rest (counted).
func (p *mailPart) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.s.Close()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.cancel()
		<-p.done
	}
	p.cancel()
	p.cancel = nil
	return nil
}

func mailState(s vrrp.State) (smtpalert.VRRPState, bool) {
	switch s {
	case vrrp.StateMaster:
		return smtpalert.Master, true
	case vrrp.StateBackup:
		return smtpalert.Backup, true
	case vrrp.StateFault:
		return smtpalert.Fault, true
	case vrrp.StateStop:
		return smtpalert.Stop, true
	}
	return 0, false
}

// enabled reports whether mail goes out at all; with p.mu held.
func (p *mailPart) enabledLocked() bool { return p.smtp.Enabled() }

// instance wraps an instance's OnTransition: after next, it queues the
// mail when the instance's smtp_alert applies (the STOP of an instance
// that deleted reports is mailed as "Deleted").
func (p *mailPart) instance(deleted func(string) bool, next func(vrrp.Transition)) func(vrrp.Transition) {
	return func(tr vrrp.Transition) {
		if next != nil {
			next(tr)
		}
		st, ok := mailState(tr.To)
		if !ok {
			return
		}
		if st == smtpalert.Stop && deleted != nil && deleted(tr.Instance) {
			st = smtpalert.Deleted
		}
		if m, ok := p.vrrpMail("i "+tr.Instance, p.instOn(tr.Instance), st, func(router string) (smtpalert.Message, bool) {
			return smtpalert.InstanceMessage(router, tr.Instance, st, tr.Time), true
		}); ok {
			p.enqueue(m)
		}
	}
}

func (p *mailPart) instOn(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inst[name]
}

// group is a sync group's transition hook (vrrpTracking.groupMail).
func (p *mailPart) group(tr vrrp.GroupTransition) {
	st, ok := mailState(tr.To)
	if !ok {
		return
	}
	p.mu.Lock()
	on := p.groups[tr.Group]
	p.mu.Unlock()
	if m, ok := p.vrrpMail("g "+tr.Group, on, st, func(router string) (smtpalert.Message, bool) {
		return smtpalert.GroupMessage(router, tr.Group, st, tr.Time)
	}); ok {
		p.enqueue(m)
	}
}

// vrrpMail applies keepalived's conditions: smtp_alert on, not a FAULT
// with no_email_faults, not the state last mailed.
func (p *mailPart) vrrpMail(key string, on bool, st smtpalert.VRRPState, mk func(router string) (smtpalert.Message, bool)) (smtpalert.Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !on || !p.enabledLocked() || st == smtpalert.Fault && p.smtp.NoEmailFaults {
		return smtpalert.Message{}, false
	}
	if last, ok := p.last[key]; ok && last == st {
		return smtpalert.Message{}, false
	}
	m, ok := mk(p.router)
	if ok {
		p.last[key] = st
	}
	return m, ok
}

// health wraps the health checks' OnUpdate: after next, a real server
// going DOWN after UP (or UP after DOWN) is mailed when its smtp_alert
// applies.
func (p *mailPart) health(next func(healthcheck.Update)) func(healthcheck.Update) {
	return func(u healthcheck.Update) {
		if next != nil {
			next(u)
		}
		k := rsKey{u.Key.VirtualServer, u.Key.Addr.Unmap(), u.Key.Port}
		p.mu.Lock()
		if !p.enabledLocked() {
			p.mu.Unlock() // nothing kept while mail is off (set, seedUp)
			return
		}
		info, known := p.servers[k]
		was, seen := p.up[k]
		if !seen {
			was = !info.alpha
		}
		if seen || u.Up != was {
			// A real server still in its initial state (up unless
			// alpha: the start's 10,000 "configured" updates) needs
			// no record (aliveLocked).
			p.up[k] = u.Up
		}
		send := known && info.on && p.enabledLocked() && was != u.Up
		router := p.router
		p.mu.Unlock()
		if !send {
			return
		}
		kind := info.checker
		if f := failedKind(u.Reason); !u.Up && f != "" {
			kind = f
		}
		p.enqueue(smtpalert.RealServerMessage(router, info.name(k), info.vs, u.Up, kind, time.Now()))
	}
}

// status is the mail part of lvsd status.
func (p *mailPart) status() *control.Mail {
	p.mu.Lock()
	enabled, server := p.smtp.Enabled(), p.smtp.Server
	p.mu.Unlock()
	st := p.s.Stats()
	m := &control.Mail{Enabled: enabled, Server: server, Sent: st.Sent, Queued: st.Queued, LastError: st.LastError, Failed: map[string]uint64{}}
	for _, r := range smtpalert.Reasons {
		m.Failed[string(r)] = st.Failed[r]
	}
	return m
}

// withoutMail is a shallow copy of c without the e-mail settings of
// [global], the instances and the sync groups: for the reload's
// comparisons, so that a change of them alone restarts no VRRP instance
// (the mail part takes them in set).
func withoutMail(c *config.Config) *config.Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Global.SMTP = config.SMTP{}
	out.Instances = append([]config.VRRPInstance(nil), c.Instances...)
	for i := range out.Instances {
		out.Instances[i].SMTPAlert = nil
	}
	out.SyncGroups = append([]config.SyncGroup(nil), c.SyncGroups...)
	for i := range out.SyncGroups {
		out.SyncGroups[i].SMTPAlert = nil
	}
	return &out
}
