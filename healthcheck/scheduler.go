package healthcheck

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RealServerKey identifies a real server of a virtual server. VirtualServer
// is the name FromConfig gives it (config.VirtualServer.Name).
type RealServerKey struct {
	VirtualServer string
	Addr          netip.Addr
	Port          uint16
}

func (k RealServerKey) String() string {
	return k.VirtualServer + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// CheckConfig is one checker of a real server with its timing.
type CheckConfig struct {
	Name    string // for logs: "http_get 10.0.0.1:80"
	Checker Checker
	Policy  Policy
	// LogAllFailures logs every failed attempt (log_all_failures); by
	// default a failure that does not change the state is logged at most
	// once per FailureLogInterval per check.
	LogAllFailures bool
}

// FailureLogInterval rate-limits the log of failures that change nothing.
const FailureLogInterval = time.Minute

// RealServerSpec is what the scheduler checks for one real server.
type RealServerSpec struct {
	Key        RealServerKey
	Weight     int  // configured weight
	Alpha      bool // start DOWN until the first success
	NotifyUp   []string
	NotifyDown []string
	// NotifyUpCred and NotifyDownCred are the users the notify scripts
	// run as (ResolveScript: each its own, else script_user); nil runs
	// the script as lvsd.
	NotifyUpCred, NotifyDownCred *Credential
	Checks                       []CheckConfig
}

// Update is a change of a real server's health, for the IPVS side.
type Update struct {
	Key    RealServerKey
	Up     bool
	Weight int    // effective weight (configured, or dynamic from misc_dynamic)
	Reason Reason // the result that caused the change
	Detail string // human-readable cause
}

// ServerHealth is one real server in a HealthView.
type ServerHealth struct {
	Up     bool
	Weight int
	Since  time.Time
	Checks []CheckHealth
}

// CheckHealth is one checker of a real server in a HealthView.
type CheckHealth struct {
	Name     string
	Up       bool
	Failures int
	Reason   Reason
	Since    time.Time
	// Results counts this check's results by reason (index = Reason); a
	// check shared by several real servers counts for each.
	Results [numReasons]uint64
}

// HealthView is a snapshot of every real server and the failure counters.
type HealthView struct {
	Servers map[RealServerKey]ServerHealth
	// Results counts check results per reason (index = Reason) since start.
	Results [numReasons]uint64
	// Checks is the number of distinct checks run (after deduplication);
	// CheckedServers the number of real servers.
	Checks, CheckedServers int
}

// Options configure a Scheduler.
type Options struct {
	// Workers bounds concurrent checks (and so sockets and processes).
	// Default 256: at 10,000 checks a second that allows 25 ms per check.
	Workers int
	// Jitter spreads checks: each delay_loop is multiplied by a random
	// factor in [1-Jitter, 1+Jitter]. Default 0.1; negative disables.
	Jitter float64
	Logger *slog.Logger
	// OnUpdate receives every health change, from one goroutine at a time,
	// in order. It must not block for long.
	OnUpdate func(Update)
	// RunScript starts a notify script as cred (nil: as lvsd) without
	// blocking. Default: Scripts.Run in a goroutine of its own.
	RunScript func(argv []string, cred *Credential)
	// Scripts runs the notify scripts when RunScript is nil; with neither
	// set, notify scripts are not run (logged).
	Scripts Scripts
	// Initial, by check key (States), is the state a check starts in
	// instead of InitialState: the states a previous process's scheduler
	// had (a binary upgrade in place), so no real server flaps. A check
	// whose key is not in it starts as usual. Read only.
	Initial map[string]CheckState
	// InitNotifies (rs_init_notifies) runs notify_up for a real server that
	// starts up (no alpha, or no checker), when it is added: at start and
	// by a reload; without it a real server's first state runs no script
	// (keepalived's default).
	InitNotifies bool
}

// Scheduler runs checks on time and turns results into Updates.
type Scheduler struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex                     // guards servers, jobs (the maps, and state in them)
	servers map[RealServerKey]*serverEntry // guarded by mu
	jobs    map[string]*job                // by dedup key; guarded by mu
	counts  [numReasons]atomic.Uint64      // lock-free
	setCh   chan []RealServerSpec          // new configuration for the loop
	started atomic.Bool
}

type serverEntry struct {
	spec   RealServerSpec
	jobs   []*job // one per spec.Checks entry
	up     bool
	weight int
	since  time.Time
}

type subscriber struct {
	server *serverEntry
	index  int
}

type job struct {
	key     string
	cfg     CheckConfig
	state   CheckState
	next    time.Time
	running bool
	gone    bool // removed by a reconfiguration
	hidx    int  // index in the heap, -1 when not in it
	subs    []subscriber
	lastLog time.Time          // last failure log (rate limit); loop goroutine only
	results [numReasons]uint64 // results by reason; guarded by Scheduler.mu
}

// New returns a scheduler; Run starts it.
func New(opts Options) *Scheduler {
	if opts.Workers <= 0 {
		opts.Workers = 256
	}
	if opts.Jitter == 0 {
		opts.Jitter = 0.1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RunScript == nil {
		opts.RunScript = defaultRunScript(opts.Scripts, opts.Logger)
	}
	return &Scheduler{
		opts: opts, log: opts.Logger,
		servers: map[RealServerKey]*serverEntry{},
		jobs:    map[string]*job{},
		setCh:   make(chan []RealServerSpec, 1),
	}
}

// jobKey is the dedup key: the same check with the same timing and start
// state is run once for every real server that has it.
func jobKey(c CheckConfig, alpha bool) string {
	return fmt.Sprintf("%s|%+v|%v", c.Checker.Key(), c.Policy, alpha)
}

// Set replaces the set of real servers. Checks whose key did not change
// keep their state and schedule; a real server whose checks did not change
// does not notice. It may be called before or while Run runs.
func (s *Scheduler) Set(servers []RealServerSpec) {
	for {
		select {
		case s.setCh <- servers:
			return
		default:
		}
		select { // drop a pending older set
		case <-s.setCh:
		default:
		}
	}
}

// States returns every check's state by its key (a check shared by several
// real servers is one entry), for Options.Initial of a successor.
func (s *Scheduler) States() map[string]CheckState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]CheckState, len(s.jobs))
	for k, j := range s.jobs {
		out[k] = j.state
	}
	return out
}

// View returns a snapshot.
func (s *Scheduler) View() HealthView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := HealthView{Servers: make(map[RealServerKey]ServerHealth, len(s.servers)), Checks: len(s.jobs), CheckedServers: len(s.servers)}
	for k, e := range s.servers {
		sh := ServerHealth{Up: e.up, Weight: e.weight, Since: e.since}
		for i, j := range e.jobs {
			sh.Checks = append(sh.Checks, CheckHealth{Name: e.spec.Checks[i].Name, Up: j.state.Up, Failures: j.state.Failures, Reason: j.state.Reason, Since: j.state.Since, Results: j.results})
		}
		v.Servers[k] = sh
	}
	for i := range v.Results {
		v.Results[i] = s.counts[i].Load()
	}
	return v
}

type done struct {
	j   *job
	res Result
}

// Run checks until ctx ends. It returns after every worker has stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return fmt.Errorf("healthcheck: scheduler already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *job)
	results := make(chan done, s.opts.Workers)
	var wg sync.WaitGroup
	// Workers start as checks come (at most one per check, at most
	// Workers): real servers without checkers cost no goroutine.
	workers := 0
	grow := func(checks int) {
		for ; workers < min(checks, s.opts.Workers); workers++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range work {
					r := j.cfg.Checker.Check(ctx)
					select {
					case results <- done{j, r}:
					case <-ctx.Done():
					}
				}
			}()
		}
	}
	defer wg.Wait()
	defer close(work)

	var h jobHeap
	var ready []*job
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		for h.Len() > 0 && !h[0].next.After(now) {
			j := heap.Pop(&h).(*job)
			j.running = true
			ready = append(ready, j)
		}
		if h.Len() > 0 {
			timer.Reset(h[0].next.Sub(now))
		} else {
			timer.Reset(time.Hour)
		}
		var sendCh chan *job
		var first *job
		if len(ready) > 0 {
			sendCh, first = work, ready[0]
		}
		select {
		case <-ctx.Done():
			return nil
		case specs := <-s.setCh:
			s.apply(specs, &h, time.Now())
			s.mu.Lock()
			checks := len(s.jobs)
			s.mu.Unlock()
			grow(checks)
		case <-timer.C:
		case sendCh <- first:
			ready = ready[1:]
		case d := <-results:
			s.result(d.j, d.res, &h, time.Now())
		}
	}
}

// apply installs a new configuration (loop goroutine only).
func (s *Scheduler) apply(specs []RealServerSpec, h *jobHeap, now time.Time) {
	s.mu.Lock()
	oldJobs := s.jobs
	newJobs := map[string]*job{}
	newServers := map[RealServerKey]*serverEntry{}
	var emit []Update
	var initUp []*serverEntry // rs_init_notifies
	for _, sp := range specs {
		e := &serverEntry{spec: sp}
		if old, ok := s.servers[sp.Key]; ok {
			e.up, e.weight, e.since = old.up, old.weight, old.since
		} else {
			e.up, e.weight, e.since = !sp.Alpha || len(sp.Checks) == 0, sp.Weight, now
		}
		for i, c := range sp.Checks {
			k := jobKey(c, sp.Alpha)
			j, ok := newJobs[k]
			if !ok {
				if j, ok = oldJobs[k]; ok {
					j.subs = nil
				} else {
					j = &job{key: k, cfg: c, state: InitialState(sp.Alpha, now), hidx: -1}
					if st, ok := s.opts.Initial[k]; ok {
						j.state = st
					}
					j.next = FirstDue(c.Policy, now, rand.Float64())
					heap.Push(h, j)
				}
				newJobs[k] = j
			}
			j.subs = append(j.subs, subscriber{e, i})
			e.jobs = append(e.jobs, j)
		}
		old, existed := s.servers[sp.Key]
		up, w := s.aggregate(e)
		if !existed || old.up != up || old.weight != w {
			e.up, e.weight = up, w
			emit = append(emit, Update{Key: sp.Key, Up: up, Weight: w, Detail: "configured"})
		}
		if !existed && up && s.opts.InitNotifies && len(sp.NotifyUp) > 0 {
			initUp = append(initUp, e)
		}
		newServers[sp.Key] = e
	}
	// A reload that removes an alive real server takes it out of IPVS:
	// keepalived runs its notify_down (clear_service_rs, do_rs_notifies).
	var removedUp []*serverEntry
	for k, e := range s.servers {
		if _, kept := newServers[k]; !kept && e.up && len(e.spec.NotifyDown) > 0 {
			removedUp = append(removedUp, e)
		}
	}
	slices.SortFunc(removedUp, func(a, b *serverEntry) int { return strings.Compare(a.spec.Key.String(), b.spec.Key.String()) })
	for k, j := range oldJobs {
		if _, ok := newJobs[k]; !ok {
			j.gone = true
			if j.hidx >= 0 {
				heap.Remove(h, j.hidx)
			}
		}
	}
	s.jobs, s.servers = newJobs, newServers
	s.mu.Unlock()
	for _, u := range emit {
		s.emit(u)
	}
	for _, e := range initUp {
		s.opts.RunScript(e.spec.NotifyUp, e.spec.NotifyUpCred)
	}
	for _, e := range removedUp {
		s.opts.RunScript(e.spec.NotifyDown, e.spec.NotifyDownCred)
	}
}

// aggregate computes a server's health from its jobs (mu held).
func (s *Scheduler) aggregate(e *serverEntry) (bool, int) {
	states := make([]CheckState, len(e.jobs))
	for i, j := range e.jobs {
		states[i] = j.state
	}
	return Aggregate(e.spec.Weight, states)
}

// result applies a finished check (loop goroutine only).
func (s *Scheduler) result(j *job, r Result, h *jobHeap, now time.Time) {
	s.counts[r.Reason].Add(1)
	j.running = false
	if j.gone || r.Reason == ReasonCanceled {
		return
	}
	s.mu.Lock()
	j.results[r.Reason]++
	st, changed, next := Step(j.cfg.Policy, j.state, r, now)
	if st.Up && r.OK() && s.opts.Jitter > 0 {
		d := next.Sub(now)
		next = now.Add(time.Duration(float64(d) * (1 + s.opts.Jitter*(2*rand.Float64()-1))))
	}
	weightChanged := st.Weight != j.state.Weight
	j.state, j.next = st, next
	heap.Push(h, j)
	var emit []Update
	var scripts []func()
	if changed || weightChanged {
		for _, sub := range j.subs {
			e := sub.server
			up, w := s.aggregate(e)
			if up == e.up && (w == e.weight || !up) { // a weight change while DOWN is not news
				e.weight = w
				continue
			}
			wasUp := e.up
			e.up, e.weight = up, w
			if up != wasUp {
				e.since = now
			}
			emit = append(emit, Update{Key: e.spec.Key, Up: up, Weight: w, Reason: r.Reason, Detail: j.cfg.Name + ": " + r.Detail()})
			if up != wasUp {
				argv, cred := e.spec.NotifyDown, e.spec.NotifyDownCred
				if up {
					argv, cred = e.spec.NotifyUp, e.spec.NotifyUpCred
				}
				if len(argv) > 0 {
					scripts = append(scripts, func() { s.opts.RunScript(argv, cred) })
				}
			}
		}
	}
	s.mu.Unlock()
	if !r.OK() && !changed && (j.cfg.LogAllFailures || now.Sub(j.lastLog) >= FailureLogInterval) {
		j.lastLog = now
		s.log.Info("check failed", "check", j.cfg.Name, "failures", st.Failures, "retry", j.cfg.Policy.Retry, "reason", r.Reason.String(), "detail", r.Detail())
	}
	if changed {
		s.log.Info("check state changed", "check", j.cfg.Name, "up", st.Up, "reason", r.Reason.String(), "detail", r.Detail(), "failures", st.Failures)
	}
	for _, u := range emit {
		s.emit(u)
	}
	for _, f := range scripts {
		f()
	}
}

func (s *Scheduler) emit(u Update) {
	// A real server up as configured (at start, or a reload's new weight)
	// is no news, and one line each for 10,000 of them costs seconds of
	// CPU on a slow machine: debug level. Every change a check makes stays
	// at info.
	level := slog.LevelInfo
	if u.Detail == "configured" && u.Up {
		level = slog.LevelDebug
	}
	if ctx := context.Background(); s.log.Enabled(ctx, level) { // the key's string is made only when logged
		s.log.Log(ctx, level, "real server health", "real_server", u.Key.String(), "up", u.Up, "weight", u.Weight, "reason", u.Reason.String(), "detail", u.Detail)
	}
	if s.opts.OnUpdate != nil {
		s.opts.OnUpdate(u)
	}
}

// defaultRunScript starts a notify script through sc.Run (no shell, its
// own process group, as cred when set) and reaps it in the background.
func defaultRunScript(sc Scripts, log *slog.Logger) func(argv []string, cred *Credential) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(argv []string, cred *Credential) {
		if sc == nil {
			log.Warn("notify script not run: no script runner", "script", argv[0])
			return
		}
		go func() {
			if res := sc.Run(context.Background(), argv, cred, 0, 0); res.Outcome == ScriptStart {
				log.Warn("notify script failed to start", "script", argv[0], "err", res.Err)
			}
		}()
	}
}

// jobHeap orders jobs by due time. Each entry carries its job's due time,
// so that comparisons need not reach the jobs (10,000 of them: a cache miss
// per comparison otherwise); a job's next does not change while it is in
// the heap.
type jobHeap []heapEntry

type heapEntry struct {
	next time.Time // j.next when pushed
	j    *job
}

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, k int) bool { return h[i].next.Before(h[k].next) }
func (h jobHeap) Swap(i, k int) {
	h[i], h[k] = h[k], h[i]
	h[i].j.hidx, h[k].j.hidx = i, k
}
func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.hidx = len(*h)
	*h = append(*h, heapEntry{j.next, j})
}
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1].j
	old[len(old)-1] = heapEntry{}
	*h = old[:len(old)-1]
	j.hidx = -1
	return j
}
