package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/script"
)

// Target is what a Set drives: a VRRP instance (*vrrp.Instance has both).
type Target interface {
	SetPriority(p int)
	SetFault(fault bool)
}

// Ref is one instance's use of one tracker.
type Ref struct {
	Kind    Kind
	Name    string
	Weight  int
	Reverse bool
}

// instanceTracking is one instance's trackers and target.
type instanceTracking struct {
	name   string
	base   int
	refs   []Ref
	target Target
	last   Effect
	set    bool // last has been applied once
}

type key struct {
	kind Kind
	name string
}

// Set is every tracker of a configuration and the instances they move:
// built by FromConfig, instances attached with Bind, started with Run. Each
// tracker update recomputes the effective priority and FAULT state of every
// instance that references the tracker (Effective) and hands them to the
// instance's Target.
type Set struct {
	log      *slog.Logger
	trackers []Tracker
	names    []string // of trackers, for errors

	mu        sync.Mutex // guards the fields below
	state     map[key]Update
	instances map[string]*instanceTracking
	ready     chan struct{}
	readyDone bool
	onPrio    func(instance string, priority int)
	bfd       map[string]*BFDTracker
	scratch   []Input // reused by effectLocked
}

// OnPriorityChange sets a function called (under the Set's lock: it must not
// block) whenever tracking changes an instance's effective priority, for
// keepalived's notify_priority_changes.
func (s *Set) OnPriorityChange(fn func(instance string, priority int)) {
	s.mu.Lock()
	s.onPrio = fn
	s.mu.Unlock()
}

// FromConfig builds the trackers of cfg: one per vrrp_script and
// track_file, one process tracker for every vrrp_track_process, one per
// interface referenced by track_interface, plus each instance's own
// interface (weight 0: FAULT while down) unless dont_track_primary. Sync
// group trackers apply to each member.
func FromConfig(cfg *config.Config, log *slog.Logger) (*Set, error) {
	return FromConfigWith(cfg, log, Options{})
}

// Options are FromConfigWith's optional settings.
type Options struct {
	// RunScript runs one vrrp_script check; nil: script.Run. The daemon
	// passes its script runner; tests pass a fake (one that takes fake
	// time under testing/synctest, for instance).
	RunScript func(context.Context, script.Spec) script.Result
}

// FromConfigWith is FromConfig with opts.
func FromConfigWith(cfg *config.Config, log *slog.Logger, opts Options) (*Set, error) {
	run := opts.RunScript
	if run == nil {
		run = script.Run
	}
	s := newSet(log)
	g := cfg.Global
	weights := map[key]Ref{}
	for _, sc := range cfg.Scripts {
		args, err := script.Parse(sc.Script.Line)
		if err != nil {
			return nil, fmt.Errorf("track: vrrp_script %s: %w", sc.Name, err)
		}
		cred, err := credential(sc.Script, g)
		if err != nil {
			return nil, fmt.Errorf("track: vrrp_script %s: %w", sc.Name, err)
		}
		if err := secure(args, cred, g); err != nil {
			return nil, fmt.Errorf("track: vrrp_script %s: %w", sc.Name, err)
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("track: vrrp_script %s: %w", sc.Name, script.ErrEmpty)
		}
		tr := newScript(ScriptConfig{Name: sc.Name, Args: args, Cred: cred, Interval: sc.Interval, Timeout: sc.Timeout,
			Rise: sc.Rise, Fall: sc.Fall, InitFail: sc.InitFail}, log, run)
		s.add(tr, "vrrp_script "+sc.Name)
		weights[key{KindScript, sc.Name}] = Ref{Weight: sc.Weight, Reverse: sc.WeightReverse}
	}
	if len(cfg.TrackProcesses) > 0 {
		var pcs []ProcessConfig
		for _, p := range cfg.TrackProcesses {
			pc := ProcessConfig{Name: p.Name, Process: p.Process, Quorum: p.Quorum, QuorumMax: p.QuorumMax,
				ForkDelay: p.ForkDelay, TerminateDelay: p.TerminateDelay, FullCommand: p.FullCommand}
			if p.Params != "" {
				pc.Params = strings.Fields(p.Params)
			}
			switch p.ParamMatch {
			case "initial":
				pc.ParamMatch = MatchInitial
			case "partial":
				pc.ParamMatch = MatchPartial
			}
			pcs = append(pcs, pc)
			weights[key{KindProcess, p.Name}] = Ref{Weight: p.Weight, Reverse: p.WeightReverse}
		}
		tr, err := NewProcess(pcs, log)
		if err != nil {
			return nil, err
		}
		tr.RcvBuf = g.Netlink.ProcessMonitor
		s.add(tr, "vrrp_track_process")
	}
	for _, f := range cfg.TrackFiles {
		tr, err := NewFile(FileConfig{Name: f.Name, Path: f.File, InitFile: f.InitFile, InitValue: int64(f.InitValue), InitOverwrite: f.InitOverwrite}, log)
		if err != nil {
			return nil, err
		}
		s.add(tr, "track_file "+f.Name)
		weights[key{KindFile, f.Name}] = Ref{Weight: f.Weight, Reverse: f.WeightReverse}
	}
	for _, b := range cfg.BFDInstances {
		tr := NewBFD(b.Name)
		s.bfd[b.Name] = tr
		s.add(tr, "bfd_instance "+b.Name)
		weights[key{KindBFD, b.Name}] = Ref{Weight: b.Weight, Reverse: b.WeightReverse}
	}
	groupOf := map[string]*config.SyncGroup{}
	for i := range cfg.SyncGroups {
		for _, m := range cfg.SyncGroups[i].Group {
			groupOf[m] = &cfg.SyncGroups[i]
		}
	}
	ifaces := map[string]bool{}
	resolve := func(kind Kind, refs []config.TrackRef) ([]Ref, error) {
		var out []Ref
		for _, r := range refs {
			ref := Ref{Kind: kind, Name: r.Name, Weight: r.Weight, Reverse: r.WeightReverse}
			if kind == KindInterface {
				ifaces[r.Name] = true
			} else {
				def, ok := weights[key{kind, r.Name}]
				if !ok {
					return nil, fmt.Errorf("track: no %s named %s", kind, r.Name)
				}
				if !r.WeightSet {
					ref.Weight, ref.Reverse = def.Weight, def.Reverse
				}
			}
			out = append(out, ref)
		}
		return out, nil
	}
	for _, in := range cfg.Instances {
		var refs []Ref
		add := func(kind Kind, r []config.TrackRef) error {
			x, err := resolve(kind, r)
			refs = append(refs, x...)
			return err
		}
		errs := []error{
			add(KindScript, in.TrackScripts), add(KindProcess, in.TrackProcesses),
			add(KindFile, in.TrackFiles), add(KindInterface, in.TrackInterfaces),
			add(KindBFD, in.TrackBFDs),
		}
		if sg := groupOf[in.Name]; sg != nil {
			errs = append(errs, add(KindScript, sg.TrackScripts), add(KindProcess, sg.TrackProcesses),
				add(KindFile, sg.TrackFiles), add(KindInterface, sg.TrackInterfaces), add(KindBFD, sg.TrackBFDs))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("track: vrrp_instance %s: %w", in.Name, err)
		}
		if sg := groupOf[in.Name]; sg != nil && !sg.SyncGroupTrackingWeight {
			refs = syncGroupWeights(refs, s.log.With("instance", in.Name, "sync_group", sg.Name))
		}
		if !in.DontTrackPrimary && in.Interface != "" && !hasInterface(refs, in.Interface) {
			refs = append(refs, Ref{Kind: KindInterface, Name: in.Interface})
			ifaces[in.Interface] = true
		}
		s.instances[in.Name] = &instanceTracking{name: in.Name, base: in.Priority, refs: refs}
	}
	for name := range ifaces {
		tr, err := NewInterface(InterfaceConfig{Interface: name, RcvBuf: cfg.Global.Netlink.VRRPMonitor}, log)
		if err != nil {
			return nil, err
		}
		s.add(tr, "track_interface "+name)
	}
	return s, nil
}

// syncGroupWeights applies keepalived's rule for the members of a sync group
// without sync_group_tracking_weight: their priorities must not float, so a
// weighted interface or a file with the default weight 1 counts with weight
// 0 (FAULT while failed), and weighted scripts, processes and files with
// another weight are ignored, each with a warning.
func syncGroupWeights(refs []Ref, log *slog.Logger) []Ref {
	var out []Ref
	for _, r := range refs {
		switch {
		case r.Weight == 0:
		case r.Kind == KindInterface || r.Kind == KindFile && r.Weight == 1:
			log.Warn("sync group member: tracker weight ignored, tracked with weight 0 (set sync_group_tracking_weight to keep it)", "tracker", r.Name, "kind", r.Kind.String(), "weight", r.Weight)
			r.Weight, r.Reverse = 0, false
		default:
			log.Warn("sync group member: weighted tracker ignored (set sync_group_tracking_weight to use it)", "tracker", r.Name, "kind", r.Kind.String(), "weight", r.Weight)
			continue
		}
		out = append(out, r)
	}
	return out
}

func hasInterface(refs []Ref, name string) bool {
	for _, r := range refs {
		if r.Kind == KindInterface && r.Name == name {
			return true
		}
	}
	return false
}

// credential resolves a command's user: its own, else script_user.
func credential(c config.Command, g config.Global) (*script.Credential, error) {
	user, group := c.RunAs(g)
	if user == "" {
		return nil, nil
	}
	return script.LookupUser(user, group)
}

// secure applies enable_script_security to a script.
func secure(args []string, cred *script.Credential, g config.Global) error {
	if !g.EnableScriptSecurity {
		return nil
	}
	return script.CheckCommand(args, cred)
}

func newSet(log *slog.Logger) *Set {
	return &Set{log: orDefault(log), state: map[key]Update{}, instances: map[string]*instanceTracking{}, ready: make(chan struct{}),
		bfd: map[string]*BFDTracker{}}
}

func (s *Set) add(t Tracker, name string) {
	s.trackers = append(s.trackers, t)
	s.names = append(s.names, name)
}

// AddInstance declares an instance and its trackers (FromConfig does this
// for a configuration's instances).
func (s *Set) AddInstance(name string, base int, refs []Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.instances[name] = &instanceTracking{name: name, base: base, refs: refs}
}

// SetBase changes an instance's base priority (a reload changed its
// priority but not its trackers); the new effect is applied at once.
func (s *Set) SetBase(name string, base int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.instances[name]
	if it == nil {
		return fmt.Errorf("track: no instance %s", name)
	}
	it.base = base
	s.applyLocked(it)
	return nil
}

// Bind attaches the running instance to its trackers; the current effect
// is applied at once.
func (s *Set) Bind(name string, t Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.instances[name]
	if it == nil {
		return fmt.Errorf("track: no instance %s", name)
	}
	it.target = t
	it.set = false
	s.applyLocked(it)
	return nil
}

// Effect returns an instance's current effect.
func (s *Set) Effect(name string) (Effect, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.instances[name]
	if it == nil {
		return Effect{}, false
	}
	return s.effectLocked(it), true
}

// Ready is closed once no instance waits for the first result of a weight-0
// script (keepalived holds such an instance in INIT until then). Start the
// instances after it, or after a bound of your choosing.
func (s *Set) Ready() <-chan struct{} { return s.ready }

func (s *Set) effectLocked(it *instanceTracking) Effect {
	in := s.scratch[:0]
	defer func() { s.scratch = in[:0] }()
	for _, r := range it.refs {
		u, ok := s.state[key{r.Kind, r.Name}]
		if !ok {
			u = Update{Name: r.Name, Kind: r.Kind, Status: StatusInit}
		}
		in = append(in, u.Input(r.Weight, r.Reverse))
	}
	return Effective(it.base, in)
}

// applyLocked hands an instance's effect to its target if it changed. A
// tracker that has not reported yet counts as waiting: held in FAULT.
func (s *Set) applyLocked(it *instanceTracking) {
	e := s.effectLocked(it)
	if it.target == nil {
		it.last = e
		return
	}
	fault := e.InFault() || len(e.Waiting) > 0
	if !it.set || e.Priority != it.last.Priority {
		it.target.SetPriority(e.Priority)
	}
	if !it.set || fault != (it.last.InFault() || len(it.last.Waiting) > 0) {
		switch {
		case fault && len(e.Fault) == 0:
			s.log.Debug("instance waits for first tracker results", "instance", it.name, "waiting_for", e.Waiting)
		case fault:
			s.log.Info("tracking puts instance in FAULT", "instance", it.name, "fault_by", e.Fault)
		case it.set:
			s.log.Info("tracking releases instance from FAULT", "instance", it.name)
		}
		it.target.SetFault(fault)
	}
	if it.set && e.Priority != it.last.Priority {
		if s.log.Enabled(context.Background(), slog.LevelDebug) {
			s.log.Debug("effective priority changed", "instance", it.name, "from", it.last.Priority, "to", e.Priority)
		}
		if s.onPrio != nil {
			s.onPrio(it.name, e.Priority)
		}
	}
	it.last, it.set = e, true
}

// update records one tracker update and re-applies the instances using it.
func (s *Set) update(u Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[key{u.Kind, u.Name}] = u
	for _, it := range s.instances {
		for _, r := range it.refs {
			if r.Kind == u.Kind && r.Name == u.Name {
				s.applyLocked(it)
				break
			}
		}
	}
	if s.readyDone {
		return
	}
	waiting := false
	for _, it := range s.instances {
		if len(s.effectLocked(it).Waiting) > 0 {
			waiting = true
		}
	}
	if !waiting {
		s.readyDone = true
		close(s.ready)
	}
}

// Run runs every tracker until ctx is done. A tracker that fails to work at
// all (a missing directory, no netlink) is an error: Run stops the others
// and returns it.
func (s *Set) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(s.trackers) == 0 {
		s.update(Update{Kind: -1, Time: time.Now()}) // nothing to wait for
	}
	errc := make(chan error, len(s.trackers))
	for i, t := range s.trackers {
		go func() {
			err := t.Run(ctx, s.update)
			if err != nil && ctx.Err() == nil {
				err = fmt.Errorf("%s: %w", s.names[i], err)
			} else {
				err = nil
			}
			errc <- err
		}()
	}
	var first error
	for range s.trackers {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	if first != nil {
		return first
	}
	return ctx.Err()
}
