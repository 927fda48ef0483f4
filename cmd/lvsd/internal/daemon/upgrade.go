package daemon

// Binary upgrade in place (`lvsd upgrade`, SIGUSR2). The running process
// (the old one) starts the binary on disk (os.Executable, re-read: the new
// one) with the same arguments, handing it through inherited descriptors
// (exec.Cmd.ExtraFiles) the control socket's and the metrics' listeners,
// the network namespace lock (nslock) and one end of a socketpair over
// which the two exchange JSON lines:
//
//	new: reads and checks the configuration (a failure: "failed", exit 1),
//	     starts the VRRP trackers and awaits their first results, while the
//	     old one still serves everything;          -> {"stage":"prepared"}
//	old: waits until each master has just sent an advert, stops its parts
//	     without releasing anything (VRRP instances abandoned, VIPs, VMACs
//	     and IPVS left as they are, no quorum script, no sync daemon or
//	     timeout change) and sends their final state:  -> {"stage":"state"}
//	new: starts from that state: an unchanged VRRP instance takes over its
//	     state quietly (vrrp.Options.Inherit: an advert at once, no
//	     transition, notification or gratuitous ARP), a changed one that
//	     was master resumes (restart without outage), the IPVS part starts
//	     with the real servers' health, the masters and the quorum states,
//	     the checkers with their rise/fall states (healthcheck
//	     Options.Initial); then it serves the inherited listeners
//	                                                   -> {"stage":"ready"}
//	old: tells systemd MAINPID=new pid and exits 0, leaving the control
//	     socket's path, the pid file and the state file to the new one.
//
// Anything else than "ready" (a failed start, an exit, a timeout) leaves the
// old process running: before "prepared" it never stopped; after, it starts
// again from the state it handed over, as the new one would have.
//
// Not handed over: CARP instances, BGP sessions and BFD sessions (their
// peers would notice): an upgrade of such a configuration is refused.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/carp"
	"golang.org/x/sys/unix"
)

// upgradeEnv names the environment variable that tells a process started
// by an upgrade which inherited descriptors are what (upgradeFDs, JSON).
const upgradeEnv = "LVSD_UPGRADE"

// The waits of the hand-over in the old process, which all fit in one
// control request (control.RequestTimeout, TestUpgradeWaitsFitTheRequest)
// so that `lvsd upgrade` always gets the answer: the new process's
// configuration check and trackers' first results (readyTimeout), its
// start from the state, and the reaping of a new process that failed.
const (
	upgradePrepareTimeout = readyTimeout + 5*time.Second
	upgradeStartTimeout   = 15 * time.Second
	upgradeReapGrace      = 5 * time.Second
	// upgradeAlignMax bounds alignAdverts: with advert intervals above it
	// the hand-over starts anywhere in the interval (the successor sends
	// its first advert at once, so the master is silent for at most one
	// interval plus the hand-over) instead of pushing the waits past the
	// control request.
	upgradeAlignMax = 2 * time.Second
)

// upgradeFDs are the descriptor numbers the new process inherits; 0: none.
type upgradeFDs struct {
	Conn    int `json:"conn"`
	Control int `json:"control,omitempty"`
	Metrics int `json:"metrics,omitempty"`
	Lock    int `json:"lock,omitempty"`
}

// Stages of the hand-over (upgradeMsg.Stage).
const (
	stagePrepared = "prepared"
	stageState    = "state"
	stageReady    = "ready"
	stageFailed   = "failed"
)

type upgradeMsg struct {
	Stage string        `json:"stage"`
	PID   int           `json:"pid,omitempty"`
	Error string        `json:"error,omitempty"`
	State *upgradeState `json:"state,omitempty"`
}

// upgradeState is what the old process hands over once it stopped.
type upgradeState struct {
	// VRRP: every instance's final Stats and its configuration's
	// fingerprint (instanceFingerprint), by name.
	VRRP map[string]upgradeInstance `json:"vrrp"`
	// Groups: the sync groups whose members were all MASTER or all BACKUP.
	Groups map[string]upgradeGroup `json:"sync_groups,omitempty"`
	// Checks: the health checks' states by check key.
	Checks map[string]healthcheck.CheckState `json:"checks,omitempty"`
	// Health, Master, Quorum: the IPVS part's inputs.
	Health []upgradeHealth  `json:"ipvs_health,omitempty"`
	Master map[string]bool  `json:"ipvs_master,omitempty"`
	Quorum ipvs.QuorumState `json:"ipvs_quorum,omitempty"`
	// CARP: every carp_instance's state, advert counter and identity.
	CARP map[string]upgradeCARP `json:"carp,omitempty"`
}

type upgradeInstance struct {
	Config json.RawMessage `json:"config,omitempty"`
	Stats  vrrp.Stats      `json:"stats"`
}

type upgradeGroup struct {
	State  vrrp.State      `json:"state"`
	Config json.RawMessage `json:"config"`
}

type upgradeHealth struct {
	Key    ipvs.RealKey `json:"key"`
	Health ipvs.Health  `json:"health"`
}

// Upgrade is what a process started by an upgrade inherited from the one
// it replaces; nil in a process started otherwise.
type Upgrade struct {
	conn             *os.File
	enc              *json.Encoder
	dec              *json.Decoder
	lock             *os.File
	control, metrics *os.File
	from             int // the old process's pid
}

// UpgradeFromEnv returns what this process inherited when an upgrade
// started it (LVSD_UPGRADE), else nil. It removes the variable from the
// environment (scripts do not see it) and marks the descriptors
// close-on-exec.
func UpgradeFromEnv() (*Upgrade, error) {
	v, ok := os.LookupEnv(upgradeEnv)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(upgradeEnv)
	var spec upgradeFDs
	if err := json.Unmarshal([]byte(v), &spec); err != nil {
		return nil, fmt.Errorf("upgrade: %s: %w", upgradeEnv, err)
	}
	file := func(fd int, name string) *os.File {
		if fd < 3 {
			return nil
		}
		unix.CloseOnExec(fd)
		return os.NewFile(uintptr(fd), name)
	}
	if spec.Conn < 3 {
		return nil, fmt.Errorf("upgrade: %s names no connection", upgradeEnv)
	}
	if err := unix.SetNonblock(spec.Conn, true); err != nil {
		return nil, fmt.Errorf("upgrade: connection: %w", err)
	}
	u := &Upgrade{conn: file(spec.Conn, "upgrade"), lock: file(spec.Lock, "lock"),
		control: file(spec.Control, "control"), metrics: file(spec.Metrics, "metrics"), from: os.Getppid()}
	u.enc, u.dec = json.NewEncoder(u.conn), json.NewDecoder(u.conn)
	return u, nil
}

// LockFile is the inherited network namespace lock (nslock.FromFile), nil
// when none was handed over.
func (u *Upgrade) LockFile() *os.File {
	if u == nil {
		return nil
	}
	return u.lock
}

// Fail tells the old process why this one does not start; it keeps
// running. A nil u does nothing.
func (u *Upgrade) Fail(err error) {
	if u == nil || u.conn == nil {
		return
	}
	_ = u.send(upgradeMsg{Stage: stageFailed, PID: os.Getpid(), Error: err.Error()})
	u.conn.Close()
	u.conn = nil
}

func (u *Upgrade) send(m upgradeMsg) error {
	_ = u.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := u.enc.Encode(m); err != nil {
		return fmt.Errorf("upgrade: send %s: %w", m.Stage, err)
	}
	return nil
}

// recvState waits for the old process's state.
func (u *Upgrade) recvState() (*upgradeState, error) {
	_ = u.conn.SetReadDeadline(time.Now().Add(upgradePrepareTimeout))
	var m upgradeMsg
	if err := u.dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("upgrade: receive the state: %w", err)
	}
	if m.Stage != stageState || m.State == nil {
		return nil, fmt.Errorf("upgrade: got %q, want the state", m.Stage)
	}
	return m.State, nil
}

// listener makes an inherited listening socket a net.Listener (nil f: nil).
func listener(f *os.File) (net.Listener, error) {
	if f == nil {
		return nil, nil
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("upgrade: inherited %s: %w", f.Name(), err)
	}
	return ln, nil
}

// instanceFingerprint is what an instance's quiet take-over compares: its
// effective configuration (the same computation in both processes), nil
// when it cannot be built.
func instanceFingerprint(g *config.Global, in *config.VRRPInstance) json.RawMessage {
	c, err := instanceConfig(g, in)
	if err != nil {
		return nil
	}
	b, err := json.Marshal(c.WithDefaults())
	if err != nil {
		return nil
	}
	return b
}

// upgradable refuses an upgrade of a configuration whose parts cannot be
// handed over.
func upgradable(cfg *config.Config) error {
	var parts []string
	if cfg.BGP != nil {
		parts = append(parts, "bgp")
	}
	if len(cfg.BFDInstances) > 0 {
		parts = append(parts, "bfd_instance")
	}
	if len(parts) > 0 {
		return fmt.Errorf("upgrade: not possible with %s (their sessions are not handed over): use a restart", strings.Join(parts, ", "))
	}
	return nil
}

// prestartTrackers makes the VRRP part's trackers and awaits their first
// results before the instances exist (vrrpPart.start then uses them), so
// that a new process is ready to advertise before the old one stops.
func (d *daemon) prestartTrackers() {
	if len(d.cfg.Instances) == 0 || d.vrrp.trk != nil {
		return
	}
	trk, err := newVRRPTracking(d.cfg, d.log)
	if err != nil {
		return // vrrpPart.start makes them again and reports it
	}
	d.bfd.attach(trk.set)
	trk.run(d.failed)
	trk.waitReady()
	d.vrrp.trk = trk
}

// seed sets what d starts from: the handed-over state st.
func (d *daemon) seed(st *upgradeState) {
	d.prev = stateFile{NetNS: netnsID(), Written: time.Now(), Instances: map[string]instanceState{}, handover: true}
	d.inherit, d.inheritGroups = map[string]*vrrp.Stats{}, map[string]vrrp.State{}
	resume := func(in *config.VRRPInstance) {
		d.prev.Instances[in.Name] = instanceState{State: vrrp.StateMaster.String(), VRID: uint8(in.VirtualRouterID), Interface: in.Interface,
			AHSeq: st.VRRP[in.Name].Stats.AHSeq}
	}
	byName := map[string]*config.VRRPInstance{}
	for i := range d.cfg.Instances {
		in := &d.cfg.Instances[i]
		byName[in.Name] = in
		rec, ok := st.VRRP[in.Name]
		if !ok {
			continue
		}
		stats := rec.Stats
		same := rec.Config != nil && bytes.Equal(instanceFingerprint(&d.cfg.Global, in), rec.Config)
		switch {
		case same && (stats.State == vrrp.StateMaster || stats.State == vrrp.StateBackup):
			d.inherit[in.Name] = &stats
		case stats.State == vrrp.StateMaster:
			resume(in)
		}
	}
	for k := range d.cfg.SyncGroups {
		g := &d.cfg.SyncGroups[k]
		rec, ok := st.Groups[g.Name]
		cur, _ := json.Marshal(g)
		all := ok && bytes.Equal(cur, rec.Config)
		for _, m := range g.Group {
			if s := d.inherit[m]; s == nil || s.State != rec.State {
				all = false
			}
		}
		if all {
			d.inheritGroups[g.Name] = rec.State
			continue
		}
		for _, m := range g.Group { // the group goes through a hand-over as a reload's
			if s := d.inherit[m]; s != nil {
				if s.State == vrrp.StateMaster && byName[m] != nil {
					resume(byName[m])
				}
				delete(d.inherit, m)
			}
		}
	}
	if d.carp != nil && len(st.CARP) > 0 {
		d.carp.seedCARP(st.CARP)
	}
	if d.health != nil {
		d.health.initial = st.Checks
	}
	if p := d.ipvs; p != nil {
		p.mu.Lock()
		for _, h := range st.Health {
			p.health[h.Key] = h.Health
		}
		for k, v := range st.Master {
			p.master[k] = v
		}
		p.quorum = st.Quorum
		p.mu.Unlock()
	}
}

// startFrom starts d from the handed-over state st. While it starts,
// nothing is released: a failed start leaves the VIPs and IPVS as they
// are.
func (d *daemon) startFrom(st *upgradeState) error {
	d.seed(st)
	keepIPVS, keepVRRP := d.dontReleaseIPVS, d.dontReleaseVRRP
	d.handover, d.dontReleaseIPVS, d.dontReleaseVRRP = true, true, true
	err := d.start(context.Background())
	d.handover, d.dontReleaseIPVS, d.dontReleaseVRRP = false, keepIPVS, keepVRRP
	d.prev, d.inherit, d.inheritGroups = stateFile{}, nil, nil
	return err
}

// quietStop stops every part for a hand-over, releasing nothing, and
// returns the state a successor starts from.
func (d *daemon) quietStop() *upgradeState {
	insts := append([]*vrrpInstance(nil), d.vrrp.insts...)
	for _, inst := range insts {
		inst.kernel.keepVMAC = inst.kernel.vmac != ""
	}
	d.carp.abandon()
	d.handover, d.dontReleaseIPVS, d.dontReleaseVRRP = true, true, true
	if err := d.stop(context.Background()); err != nil {
		d.log.Warn("upgrade: stopping for the hand-over", "err", err)
	}
	st := &upgradeState{VRRP: map[string]upgradeInstance{}, Groups: map[string]upgradeGroup{}}
	byName := map[string]*config.VRRPInstance{}
	for i := range d.cfg.Instances {
		byName[d.cfg.Instances[i].Name] = &d.cfg.Instances[i]
	}
	for _, inst := range insts {
		in, ok := inst.run.(*vrrp.Instance)
		if !ok {
			continue // held in FAULT, waiting for its interface
		}
		rec := upgradeInstance{Stats: in.Stats()}
		if cin := byName[inst.cfg.Name]; cin != nil {
			rec.Config = instanceFingerprint(&d.cfg.Global, cin)
		}
		st.VRRP[inst.cfg.Name] = rec
	}
	for k := range d.cfg.SyncGroups {
		g := &d.cfg.SyncGroups[k]
		var state vrrp.State
		all := len(g.Group) > 0
		for i, m := range g.Group {
			rec, ok := st.VRRP[m]
			if !ok || (rec.Stats.State != vrrp.StateMaster && rec.Stats.State != vrrp.StateBackup) || (i > 0 && rec.Stats.State != state) {
				all = false
				break
			}
			state = rec.Stats.State
		}
		if all {
			b, _ := json.Marshal(g)
			st.Groups[g.Name] = upgradeGroup{State: state, Config: b}
		}
	}
	st.CARP = d.carp.handedOver()
	if d.health != nil {
		st.Checks = d.health.states()
	}
	if p := d.ipvs; p != nil {
		p.mu.Lock()
		for k, h := range p.health {
			st.Health = append(st.Health, upgradeHealth{Key: k, Health: h})
		}
		st.Master = map[string]bool{}
		for k, v := range p.master {
			st.Master[k] = v
		}
		st.Quorum = p.quorum
		p.mu.Unlock()
	}
	return st
}

// Upgrade implements control.Handler: the main goroutine hands over to the
// binary on disk (upgrade).
func (o *ops) Upgrade(ctx context.Context) (string, error) {
	r := opsRequest{cmd: control.CmdUpgrade, reply: make(chan error, 1), msg: make(chan string, 1)}
	select {
	case o.reqs <- r:
	case <-ctx.Done():
		return "", fmt.Errorf("upgrade: %w", ctx.Err())
	}
	select {
	case err := <-r.reply:
		return <-r.msg, err
	case <-ctx.Done():
		return "", fmt.Errorf("upgrade: %w", ctx.Err())
	}
}

// takeOver is a new process's start (o.flags.upgrade set): trackers first,
// then the old process's state, then every part.
func (o *ops) takeOver(cfg *config.Config) error {
	up := o.flags.upgrade
	o.mu.Lock()
	o.d = o.newDaemon(cfg)
	o.loaded = time.Now()
	o.mu.Unlock()
	o.d.prestartTrackers()
	if err := up.send(upgradeMsg{Stage: stagePrepared, PID: os.Getpid()}); err != nil {
		return err
	}
	st, err := up.recvState()
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.d.startFrom(st)
}

// ready tells the old process this one runs; it exits then.
func (o *ops) upgradeReady() {
	up := o.flags.upgrade
	if err := up.send(upgradeMsg{Stage: stageReady, PID: os.Getpid()}); err != nil {
		o.log.Warn("upgrade: cannot tell the previous process", "err", err)
	}
	up.conn.Close()
	up.conn = nil
	o.log.Info("upgrade: took over", "from_pid", up.from)
}

// upgrade hands over to the binary on disk. It returns the operator's
// message and whether the new process runs (this one must exit then);
// otherwise this one runs on and the error says why. Called by run only.
func (o *ops) upgrade() (string, bool, error) {
	o.reloadStart.Store(time.Now().UnixNano())
	o.reloading.Store(true) // the watchdog pings on meanwhile (bounded)
	defer o.reloading.Store(false)
	o.mu.RLock()
	cfg := o.d.cfg
	o.mu.RUnlock()
	if err := upgradable(cfg); err != nil {
		return "", false, err
	}
	exe, err := os.Executable()
	if err != nil {
		return "", false, fmt.Errorf("upgrade: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", false, fmt.Errorf("upgrade: socketpair: %w", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return "", false, fmt.Errorf("upgrade: %w", err)
	}
	conn := os.NewFile(uintptr(fds[0]), "upgrade")
	defer conn.Close()
	files := []*os.File{os.NewFile(uintptr(fds[1]), "upgrade")}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	spec := upgradeFDs{Conn: 3}
	add := func(f *os.File, err error) (int, error) {
		if err != nil {
			return 0, fmt.Errorf("upgrade: %w", err)
		}
		files = append(files, f)
		return 2 + len(files), nil
	}
	if o.ctl != nil {
		if spec.Control, err = add(o.ctl.File()); err != nil {
			return "", false, err
		}
	}
	if o.metrics != nil {
		if spec.Metrics, err = add(o.metrics.File()); err != nil {
			return "", false, err
		}
	}
	if o.flags.lock != nil {
		if spec.Lock, err = add(o.flags.lock.File()); err != nil {
			return "", false, err
		}
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = upgradeEnviron(spec)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = os.Stdout, os.Stderr, files
	if err := cmd.Start(); err != nil {
		return "", false, fmt.Errorf("upgrade: start %s: %w", exe, err)
	}
	for _, f := range files {
		f.Close()
	}
	files = nil
	pid := cmd.Process.Pid
	o.log.Info("upgrade: started the binary on disk", "path", exe, "pid", pid)
	msgs := make(chan upgradeMsg, 4)
	go func() {
		defer close(msgs)
		dec := json.NewDecoder(conn)
		for {
			var m upgradeMsg
			if err := dec.Decode(&m); err != nil {
				return
			}
			msgs <- m
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	gone := false
	exitErr := func(err error) error {
		gone = true
		if err == nil {
			return fmt.Errorf("the new process (pid %d) exited", pid)
		}
		return fmt.Errorf("the new process (pid %d): %w", pid, err)
	}
	wait := func(stage string, timeout time.Duration) error {
		t := time.NewTimer(timeout)
		defer t.Stop()
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					msgs = nil // closed: its exit tells why
					continue
				}
				if m.Stage == stageFailed {
					return fmt.Errorf("the new process (pid %d): %s", pid, m.Error)
				}
				if m.Stage == stage {
					return nil
				}
			case err := <-exited:
				return exitErr(err)
			case <-t.C:
				return fmt.Errorf("the new process (pid %d) did not report %s within %v", pid, stage, timeout)
			}
		}
	}
	reap := func() {
		if !gone {
			_ = cmd.Process.Signal(unix.SIGTERM)
			select {
			case <-exited:
			case <-time.After(upgradeReapGrace):
				_ = cmd.Process.Kill()
				<-exited
			}
			gone = true
		}
		// The new process wrote its pid over ours (and removes the file
		// when it stops gracefully): ours again.
		if o.flags.pidFile != "" {
			if err := writePIDFile(o.flags.pidFile); err != nil {
				o.log.Error("upgrade: cannot write the pid file again", "err", err)
			}
		}
	}
	if err := wait(stagePrepared, upgradePrepareTimeout); err != nil {
		reap()
		o.log.Error("upgrade failed, running on", "err", err)
		return "", false, fmt.Errorf("upgrade: %w", err)
	}
	o.alignAdverts()
	o.stopStateWriter()
	o.mu.Lock()
	st := o.d.quietStop()
	o.mu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	err = json.NewEncoder(conn).Encode(upgradeMsg{Stage: stageState, PID: os.Getpid(), State: st})
	if err == nil {
		err = wait(stageReady, upgradeStartTimeout)
	}
	if err != nil {
		reap()
		o.log.Error("upgrade: the new process failed after the hand-over, starting again", "err", err)
		o.mu.Lock()
		o.d = o.newDaemon(cfg)
		o.d.prestartTrackers()
		serr := o.d.startFrom(st)
		o.mu.Unlock()
		o.startStateWriter()
		if serr != nil {
			o.d.failed(fmt.Errorf("upgrade: start again: %w", serr))
		}
		return "", false, fmt.Errorf("upgrade: %w (this process runs on)", err)
	}
	o.sd.MainPID(pid, fmt.Sprintf("upgraded to pid %d", pid))
	msg := fmt.Sprintf("upgraded: pid %d -> pid %d", os.Getpid(), pid)
	o.log.Info("upgrade: handed over, exiting", "pid", pid)
	return msg, true, nil
}

// upgradeEnviron is the new process's environment: this one's, without a
// WATCHDOG_PID naming this process (systemd's watchdog then accepts any
// process of the service), with LVSD_UPGRADE.
func upgradeEnviron(spec upgradeFDs) []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, upgradeEnv+"=") || strings.HasPrefix(e, "WATCHDOG_PID=") {
			continue
		}
		env = append(env, e)
	}
	b, _ := json.Marshal(spec)
	return append(env, upgradeEnv+"="+string(b))
}

// alignAdverts waits, at most the longest advert interval and 100 ms (and
// at most upgradeAlignMax), until every master (VRRP and CARP) has sent an
// advert since
// the call: the hand-over then starts right after an advert and the
// successor's first one comes well within an interval.
func (o *ops) alignAdverts() {
	type mark struct {
		in   *vrrp.Instance
		last time.Time
	}
	type carpMark struct {
		in   *carp.Instance
		sent uint64
	}
	var marks []mark
	var carpMarks []carpMark
	var longest time.Duration
	for _, in := range o.instances() {
		if st := in.Stats(); st.State == vrrp.StateMaster {
			marks = append(marks, mark{in, st.LastAdvertSent})
			longest = max(longest, in.Config().AdvertInterval)
		}
	}
	o.mu.RLock()
	if p := o.d.carp; p != nil {
		for _, ci := range p.insts {
			if st := ci.inst.Stats(); st.State == carp.Master {
				carpMarks = append(carpMarks, carpMark{ci.inst, st.Sent})
				longest = max(longest, carp.Interval(uint8(ci.cfg.AdvBase), uint8(ci.cfg.AdvSkew)))
			}
		}
	}
	o.mu.RUnlock()
	if len(marks)+len(carpMarks) == 0 {
		return
	}
	deadline := time.Now().Add(alignWait(longest))
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		all := true
		for _, m := range marks {
			if st := m.in.Stats(); st.State == vrrp.StateMaster && st.LastAdvertSent.Equal(m.last) {
				all = false
				break
			}
		}
		for _, m := range carpMarks {
			if st := m.in.Stats(); st.State == carp.Master && st.Sent == m.sent {
				all = false
				break
			}
		}
		if all {
			return
		}
		<-t.C
	}
}

// alignWait is how long alignAdverts waits for masters whose longest advert
// interval is longest.
func alignWait(longest time.Duration) time.Duration {
	return min(longest+100*time.Millisecond, upgradeAlignMax)
}
