package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/metrics"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/nslock"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/sdnotify"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
)

// opsFlags are `lvsd run`'s operational options.
type opsFlags struct {
	socket    string // control socket ("" or "none": no socket)
	socketSet bool   // --socket was given: failing to listen is fatal
	pidFile   string // "" : no pid file
	stateFile string // "" or "none": no state file, no resume
	// dontReleaseIPVS / dontReleaseVRRP: keep the IPVS services / the VIPs
	// at stop (daemon).
	dontReleaseIPVS, dontReleaseVRRP bool
	version                          string // status's running version
	// lock is the namespace lock held by main (an upgrade hands it over);
	// upgrade is set in a process an upgrade started (upgrade.go).
	lock    *nslock.Lock
	upgrade *Upgrade
}

// ops runs the daemon for an operator: control socket, metrics, sd_notify
// and watchdog, pid and state files, signals and reload. Its main goroutine
// (run) owns every change of the daemon: start, reload, stop.
type ops struct {
	log     *slog.Logger
	file    string
	flags   opsFlags
	sd      *sdnotify.Notifier
	started time.Time

	// mu guards d's configuration and parts against a reload while status,
	// metrics and the state writer read them: the main goroutine holds it
	// for writing while it changes d (start, reload, stop); readers hold it
	// for reading.
	mu     sync.RWMutex
	d      *daemon
	loaded time.Time

	// reqs carries control-socket reload and stop requests to run.
	reqs chan opsRequest
	// probe carries the watchdog's liveness questions to run.
	probe chan chan bool

	// reloading is set while run reloads (the watchdog then does not ask
	// run, which is busy, and pings on for at most maxReload);
	// reloadStart is when it began (unix ns).
	reloading   atomic.Bool
	reloadStart atomic.Int64
	// reloads and reloadsFailed count reloads since start; lastReloadFailed
	// is whether the latest one was refused (status, metrics and the
	// "reload failed" alert read them).
	reloads, reloadsFailed atomic.Uint64
	lastReloadFailed       atomic.Bool

	// netns is netnsID() at start.
	netns string

	// Owned by run: the adverts each master had sent at the last probe.
	lastSent map[string]sentMark

	// Owned by run: the control socket and metrics servers (nil: none),
	// the state writer's kick channel, and its cancel and end.
	ctl         *control.Server
	metrics     *metrics.Server
	kick        chan struct{}
	stateCancel context.CancelFunc
	stateDone   chan struct{}
}

type sentMark struct {
	n  uint64
	at time.Time
}

type opsRequest struct {
	cmd   string
	reply chan error
	msg   chan string // upgrade's message (capacity 1), nil else
}

func newOps(file string, flags opsFlags, log *slog.Logger) *ops {
	return &ops{log: log, file: file, flags: flags, sd: sdnotify.New(log), started: time.Now(),
		reqs: make(chan opsRequest), probe: make(chan chan bool), lastSent: map[string]sentMark{}, netns: netnsID()}
}

// run starts the daemon with cfg and serves until a stop; it returns the exit code.
func (o *ops) run(cfg *config.Config) int {
	upgraded := false                    // handed over to a new process: leave its files alone
	applyProcess(o.log, nil, cfg.Global) // process.go: umask before the first file
	if o.flags.pidFile != "" {
		if err := writePIDFile(o.flags.pidFile); err != nil {
			o.log.Error("cannot write the pid file", "err", err)
			o.flags.upgrade.Fail(err)
			return exitFailure
		}
		defer func() {
			if !upgraded {
				os.Remove(o.flags.pidFile)
			}
		}()
	}
	o.schedule(cfg.Global)

	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGXCPU)
	defer signal.Stop(sigc)

	up := o.flags.upgrade
	if p := cfg.Global.Process; up == nil { // keepalived: the startup script before anything else (not on an upgrade)
		runStartStop(o.log, cfg.Global, "startup_script", p.StartupScript, p.StartupScriptTimeout)
	}
	if s := o.flags.socket; s != "" && s != "none" && up == nil {
		ctl, err := control.Listen(s, o, o.log)
		switch {
		case err != nil && o.flags.socketSet:
			o.log.Error("cannot open the control socket", "err", err)
			return exitFailure
		case err != nil:
			// The default socket is another lvsd's (several in one host's
			// namespaces): run without one rather than not at all.
			o.log.Warn("running without a control socket (use --socket)", "err", err)
		default:
			o.ctl = ctl
		}
	}
	defer func() {
		if o.ctl != nil {
			if upgraded {
				o.ctl.KeepSocket()
			}
			o.ctl.Close()
		}
	}()

	o.kick = make(chan struct{}, 1)
	var err error
	if up != nil {
		err = o.takeOver(cfg) // upgrade.go
	} else {
		prev := o.readState()
		o.mu.Lock()
		o.d = o.newDaemon(cfg)
		o.d.prev = prev
		o.loaded = time.Now()
		err = o.d.start(context.Background())
		o.d.prev = stateFile{}
		o.mu.Unlock()
	}
	if err != nil {
		o.log.Error("cannot start", "err", err)
		up.Fail(err)
		return exitFailure
	}
	if err := o.serveInherited(cfg); err != nil {
		o.log.Error("cannot start", "err", err)
		up.Fail(err)
		return exitFailure
	}
	if addr := cfg.Global.MetricsListen; addr != "" && o.metrics == nil {
		m, err := metrics.Listen(addr, o.Status, o.log)
		if err != nil {
			// The daemon runs without metrics rather than not at all.
			o.log.Error("cannot serve metrics", "err", err)
		} else {
			o.metrics = m
			o.log.Info("serving metrics", "addr", m.Addr())
		}
	}
	defer func() {
		if o.metrics != nil {
			o.metrics.Close()
		}
	}()
	bg, cancelBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); o.sd.Watchdog(bg, o.alive) }()
	o.startStateWriter()
	o.log.Info("lvsd running", "config", o.file, "vrrp_instances", len(cfg.Instances),
		"virtual_servers", len(cfg.VirtualServers), "socket", o.flags.socket)
	if up != nil {
		o.upgradeReady() // the old process tells systemd
	} else {
		o.sd.Ready(o.summary())
	}
	releaseMemory()

	code := exitOK
	links := newLinkWatch() // waitlink.go
	defer links.stop()
loop:
	for {
		linkTick, linkChange := links.chans(o)
		select {
		case sig := <-sigc:
			switch sig {
			case syscall.SIGHUP:
				_ = o.reload()
				continue
			case syscall.SIGXCPU: // the soft RLIMIT_RTTIME (rlimit_rttime): the hard one kills
				o.log.Warn("a real-time thread used half of rlimit_rttime without blocking",
					"rlimit_rttime_us", o.d.cfg.Global.Process.RlimitRTTime)
				continue
			case syscall.SIGUSR2:
				if msg, done, err := o.upgrade(); done {
					o.log.Info(msg)
					upgraded = true
					break loop
				} else if err != nil {
					o.log.Error("upgrade failed", "err", err)
				}
				continue
			}
			o.log.Info("stopping", "signal", sig.String())
			break loop
		case r := <-o.reqs:
			switch r.cmd {
			case control.CmdReload:
				r.reply <- o.reload()
				continue
			case control.CmdUpgrade:
				msg, done, err := o.upgrade()
				r.msg <- msg
				r.reply <- err
				if done {
					upgraded = true
					break loop
				}
				continue
			}
			r.reply <- nil
			o.log.Info("stopping", "requested_by", "control socket")
			break loop
		case reply := <-o.probe:
			reply <- o.vrrpAlive(time.Now())
		case name := <-o.d.linkUp:
			o.mu.Lock()
			err := o.d.rebuildWaiting(name)
			o.mu.Unlock()
			if err != nil {
				o.log.Error("starting an instance on its new interface", "instance", name, "err", err)
			}
		case <-linkTick:
			o.checkLinks()
		case <-linkChange:
			o.checkLinks()
		case err := <-o.d.fatal:
			o.log.Error("stopping after a failure", "err", err)
			code = exitFailure
			break loop
		}
	}
	cancelBG()
	wg.Wait()
	if upgraded {
		// Stopped already (quietStop); the new process owns the socket,
		// the pid and state files, the VIPs and IPVS.
		return exitOK
	}
	o.sd.Stopping()
	o.stopStateWriter()
	o.mu.Lock()
	err = o.d.stop(context.Background())
	o.mu.Unlock()
	if err != nil {
		o.log.Error("stop", "err", err)
		code = exitFailure
	}
	// Stopped gracefully: nothing to resume (the VIPs are gone).
	o.writeState()
	o.mu.RLock()
	g := o.d.cfg.Global
	o.mu.RUnlock()
	runStartStop(o.log, g, "shutdown_script", g.Process.ShutdownScript, g.Process.ShutdownScriptTimeout) // after everything
	o.log.Info("lvsd stopped")
	return code
}

// newDaemon builds the daemon for cfg with the run's options (not started).
func (o *ops) newDaemon(cfg *config.Config) *daemon {
	d := newDaemon(cfg, o.log)
	d.stateKick = o.kick
	d.snmp.read, d.snmp.version = o.withStatusLock, o.flags.version
	d.dontReleaseIPVS, d.dontReleaseVRRP = o.flags.dontReleaseIPVS, o.flags.dontReleaseVRRP
	return d
}

// serveInherited serves the control socket and metrics listener an
// upgrade handed over (none otherwise). Metrics inherited while the new
// configuration has no metrics_listen, or another one, are closed.
func (o *ops) serveInherited(cfg *config.Config) error {
	up := o.flags.upgrade
	if up == nil {
		return nil
	}
	ln, err := listener(up.control)
	if err != nil {
		return err
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		o.ctl = control.Serve(ul, o, o.log)
	}
	ln, err = listener(up.metrics)
	if err != nil {
		return err
	}
	switch {
	case ln == nil:
	case cfg.Global.MetricsListen == "":
		ln.Close()
	case !listensOn(ln.Addr(), cfg.Global.MetricsListen):
		// metrics_listen changed: run opens the new address
		o.log.Info("metrics_listen changed: not serving the inherited listener", "inherited", ln.Addr().String(), "metrics_listen", cfg.Global.MetricsListen)
		ln.Close()
	default:
		o.metrics = metrics.Serve(ln, o.Status, o.log)
		o.log.Info("serving metrics", "addr", ln.Addr().String(), "inherited", true)
	}
	return nil
}

// startStateWriter runs the state writer (stateWriter) until stopStateWriter.
func (o *ops) startStateWriter() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	o.stateCancel, o.stateDone = cancel, done
	go func() { defer close(done); o.stateWriter(ctx, o.kick) }()
}

func (o *ops) stopStateWriter() {
	if o.stateCancel == nil {
		return
	}
	o.stateCancel()
	<-o.stateDone
	o.stateCancel, o.stateDone = nil, nil
}

// maxReload is the longest a reload may take before the watchdog stops
// reporting healthy: the trackers' first results, the old part's stop and
// notifications, and a margin.
const maxReload = readyTimeout + 2*stopTimeout + 30*time.Second

// statusWait bounds how long status and /metrics wait for the daemon while
// a start, reload or stop holds it.
const statusWait = 5 * time.Second

// rlock takes o.mu for reading within ctx and statusWait, or says why not.
func (o *ops) rlock(ctx context.Context) error {
	if o.mu.TryRLock() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, statusWait)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			what := "a start or stop"
			if o.reloading.Load() {
				what = fmt.Sprintf("a reload (running for %v)", time.Since(time.Unix(0, o.reloadStart.Load())).Round(time.Millisecond))
			}
			return fmt.Errorf("status: lvsd is busy with %s: %w", what, ctx.Err())
		case <-t.C:
			if o.mu.TryRLock() {
				return nil
			}
		}
	}
}

// Status implements control.Handler (and feeds /metrics). It waits at most
// statusWait for a reload in progress.
func (o *ops) Status(ctx context.Context) (*control.Status, error) {
	if err := o.rlock(ctx); err != nil {
		return nil, err
	}
	defer o.mu.RUnlock()
	if o.d == nil {
		return nil, errors.New("lvsd is starting")
	}
	return o.snapshot(time.Now()), nil
}

// Reload implements control.Handler: the main goroutine reloads and the
// reply carries the errors of an invalid file.
func (o *ops) Reload(ctx context.Context) error { return o.request(ctx, control.CmdReload) }

// Stop implements control.Handler.
func (o *ops) Stop(ctx context.Context) error { return o.request(ctx, control.CmdStop) }

func (o *ops) request(ctx context.Context, cmd string) error {
	r := opsRequest{cmd: cmd, reply: make(chan error, 1)}
	select {
	case o.reqs <- r:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", cmd, ctx.Err())
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", cmd, ctx.Err())
	}
}

// alive answers the watchdog: the main goroutine must answer within a
// second, and every VRRP master must have sent adverts lately.
func (o *ops) alive() bool {
	if o.reloading.Load() {
		if d := time.Since(time.Unix(0, o.reloadStart.Load())); d > maxReload {
			o.log.Error("watchdog: a reload is stuck", "running_for", d.Round(time.Second), "limit", maxReload)
			return false
		}
		return true
	}
	reply := make(chan bool, 1)
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case o.probe <- reply:
	case <-t.C:
		o.log.Error("watchdog: the main loop does not answer")
		return false
	}
	select {
	case ok := <-reply:
		return ok
	case <-t.C:
		o.log.Error("watchdog: the main loop does not answer")
		return false
	}
}

// vrrpAlive reports false when an instance that is MASTER now and was at
// the previous probe has sent no advert for three of its intervals.
// Called by run only.
func (o *ops) vrrpAlive(now time.Time) bool {
	ok := true
	seen := map[string]bool{}
	for _, in := range o.instances() {
		name := in.Config().Name
		seen[name] = true
		st := in.Stats()
		if st.State != vrrp.StateMaster {
			delete(o.lastSent, name)
			continue
		}
		last, had := o.lastSent[name]
		if !had || st.AdvertsSent != last.n {
			o.lastSent[name] = sentMark{n: st.AdvertsSent, at: now}
			continue
		}
		if now.Sub(last.at) > 3*in.Config().AdvertInterval+time.Second {
			o.log.Error("watchdog: VRRP master sends no adverts", "instance", name, "since", last.at)
			ok = false
		}
	}
	for name := range o.lastSent {
		if !seen[name] {
			delete(o.lastSent, name)
		}
	}
	return ok
}

// instances returns the running VRRP instances.
func (o *ops) instances() []*vrrp.Instance {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.d.vrrp.instances()
}

// instances returns the part's running VRRP instances.
func (v *vrrpPart) instances() []*vrrp.Instance {
	if v == nil {
		return nil
	}
	out := make([]*vrrp.Instance, 0, len(v.insts))
	for _, inst := range v.insts {
		if in, ok := inst.run.(*vrrp.Instance); ok {
			out = append(out, in)
		}
	}
	return out
}

func (o *ops) summary() string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return fmt.Sprintf("%d VRRP instances, %d virtual servers", len(o.d.cfg.Instances), len(o.d.cfg.VirtualServers))
}

// schedule applies vrrp_rt_priority and vrrp_no_swap; a failure is logged
// and the daemon runs without them.
func (o *ops) schedule(g config.Global) {
	if g.VRRPNoSwap {
		if err := lockMemory(); err != nil {
			o.log.Error("vrrp_no_swap: cannot lock memory", "err", err)
		} else {
			o.log.Info("memory locked (vrrp_no_swap)")
		}
	}
	cur := 0
	if g.VRRPRTPriority > 0 {
		if err := setRealtime(g.VRRPRTPriority); err != nil {
			o.log.Error("vrrp_rt_priority: cannot switch to SCHED_RR", "err", err)
		} else {
			o.log.Info("running under SCHED_RR (vrrp_rt_priority)", "priority", g.VRRPRTPriority)
			cur = g.VRRPRTPriority
		}
	}
	procPriority.configure(cur, g.MaxAutoPriority, g.MinAutoPriorityDelay, o.log)
}

// stateFileOn reports whether a state file is configured.
func (o *ops) stateFileOn() bool { return o.flags.stateFile != "" && o.flags.stateFile != "none" }

func (o *ops) readState() stateFile {
	if !o.stateFileOn() {
		return stateFile{}
	}
	s, err := readStateFile(o.flags.stateFile)
	if err != nil {
		o.log.Warn("ignoring the state file", "err", err)
		return stateFile{}
	}
	return s
}

// currentState is the state file's content for the running instances.
func (o *ops) currentState() stateFile {
	s := stateFile{PID: os.Getpid(), NetNS: o.netns, Written: time.Now(), Instances: map[string]instanceState{}}
	for _, in := range o.instances() {
		c := in.Config()
		s.Instances[c.Name] = instanceState{State: in.State().String(), VRID: c.VRID, Interface: c.Interface, AHSeq: in.Stats().AHSeq}
	}
	return s
}

func (o *ops) writeState() {
	if !o.stateFileOn() {
		return
	}
	if err := writeStateFile(o.flags.stateFile, o.currentState()); err != nil {
		o.log.Warn("cannot write the state file", "err", err)
	}
}

// stateWriter rewrites the state file when an instance changes state (the
// instances' OnTransition and reloads kick it through the daemon's
// stateKick) and records the heartbeat every touchInterval: the time of the
// masters' last advert (heartbeat) as the file's modification time, one
// utimensat, and only when it moved. A crash just after a transition to
// MASTER that is not yet recorded makes the next start remove the VIPs and
// start as backup, as without a state file: the record errs on the safe
// side.
func (o *ops) stateWriter(ctx context.Context, kick <-chan struct{}) {
	if !o.stateFileOn() {
		return
	}
	// Without VRRP instances there is nothing to resume and no heartbeat:
	// the ticker stops (no wakeups on an IPVS-only director).
	every, ticking := time.Second, true
	t := time.NewTicker(every)
	defer t.Stop()
	var last string
	var lastHB time.Time
	beat := func() {
		var stats []vrrp.Stats
		for _, in := range o.instances() {
			stats = append(stats, in.Stats())
		}
		hb, ok := heartbeat(stats)
		if !ok || hb.Equal(lastHB) {
			return
		}
		if err := touchStateFile(o.flags.stateFile, hb); err != nil {
			o.log.Warn("cannot record the heartbeat in the state file", "err", err)
			last = "" // rewrite it at the next kick
			return
		}
		lastHB = hb
	}
	written := false
	// starting: an instance was still in INIT at the last write. Its Run
	// may take a predecessor's MASTER over quietly (an upgrade, a reload's
	// hand-over), with no transition and so no kick: each tick writes
	// again until every instance has a state.
	starting := false
	write := func() {
		// Only a MASTER has a heartbeat to record: on a node of backups the
		// ticker stops (no wakeup a second); the kick of a transition to
		// MASTER starts it again.
		var intervals []time.Duration
		var states []vrrp.State
		for _, in := range o.instances() {
			intervals = append(intervals, in.Config().AdvertInterval)
			states = append(states, in.State())
		}
		var tick bool
		tick, starting = heartbeatMode(states)
		switch d := touchInterval(intervals); {
		case !tick:
			if ticking {
				t.Stop()
				ticking = false
			}
		case !ticking || d != every:
			every, ticking = d, true
			t.Reset(d)
		}
		cur := o.currentState()
		if key := stateKey(cur); !written || key != last {
			if err := writeStateFile(o.flags.stateFile, cur); err != nil {
				o.log.Warn("cannot write the state file", "err", err)
				return
			}
			last, written = key, true
			// A new file's modification time is now, not an advert:
			// put the heartbeat back (or the epoch: nothing to resume).
			lastHB = time.Time{}
			if err := touchStateFile(o.flags.stateFile, time.Unix(0, 0)); err != nil {
				o.log.Warn("cannot record the heartbeat in the state file", "err", err)
			}
		}
		beat()
	}
	write()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
			write()
		case <-t.C:
			if starting {
				write()
			} else {
				beat()
			}
		}
	}
}

// stateChanged wraps an instance's OnTransition: after next, it kicks the
// state writer (never blocking; a nil stateKick does nothing).
func (d *daemon) stateChanged(next func(vrrp.Transition)) func(vrrp.Transition) {
	kick := d.stateKick
	return func(tr vrrp.Transition) {
		if next != nil {
			next(tr)
		}
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

func stateKey(s stateFile) string {
	var b strings.Builder
	for name, st := range s.Instances {
		b.WriteString(name + "=" + st.State + "/" + strconv.Itoa(int(st.VRID)) + "/" + st.Interface + ";")
	}
	// map order is random: compare sorted
	parts := strings.Split(b.String(), ";")
	slices.Sort(parts)
	return strings.Join(parts, ";")
}

func writePIDFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// listensOn reports whether a listener at got serves metrics_listen want
// (host:port; an empty host or an unspecified address: every address).
func listensOn(got net.Addr, want string) bool {
	g, ok := got.(*net.TCPAddr)
	if !ok {
		return false
	}
	host, port, err := net.SplitHostPort(want)
	if err != nil {
		return false
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil || p != g.Port {
		return false
	}
	if host == "" {
		return g.IP.IsUnspecified()
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		ips, lerr := net.LookupIP(host)
		if lerr != nil || len(ips) == 0 {
			return false
		}
		return slices.ContainsFunc(ips, func(x net.IP) bool { return x.Equal(g.IP) })
	}
	if ip.IsUnspecified() {
		return g.IP.IsUnspecified() // Go listens on both families for 0.0.0.0 and ::
	}
	gip, _ := netip.AddrFromSlice(g.IP)
	return ip.Unmap() == gip.Unmap()
}

// heartbeatMode says whether the state writer ticks for instances in
// states: while one is MASTER (its heartbeat) or still INIT (starting: it
// may take a MASTER over quietly, with no transition to kick the writer).
func heartbeatMode(states []vrrp.State) (tick, starting bool) {
	for _, st := range states {
		tick = tick || st == vrrp.StateMaster || st == vrrp.StateInit
		starting = starting || st == vrrp.StateInit
	}
	return tick, starting
}
