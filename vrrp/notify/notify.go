package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lvsd/lvsd/vrrp/internal/ratelimit"
	"github.com/lvsd/lvsd/vrrp/script"
)

// State is a notified state or event.
type State int8

// States and events, with keepalived's names.
const (
	Master State = iota
	Backup
	Fault
	Stop
	Deleted
	MasterRxLowerPri // a master heard a lower-priority advert (event)
	MasterPriority   // the master's priority changed (event)
	BackupPriority   // a backup's priority changed (event)
)

var stateNames = [...]string{"MASTER", "BACKUP", "FAULT", "STOP", "DELETED", "MASTER_RX_LOWER_PRI", "MASTER_PRIORITY", "BACKUP_PRIORITY"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "{UNKNOWN}"
}

// IsEvent reports the states that are events, not transitions: they go to
// the FIFO (and MasterRxLowerPri to its own script) but not to `notify`.
func (s State) IsEvent() bool { return s >= MasterRxLowerPri }

// Script is one configured script.
type Script struct {
	Args []string           // split by script.Parse
	Cred *script.Credential // nil: the global script_user (or lvsd's own user)
}

// Scripts are an instance's or a sync group's notify settings.
type Scripts struct {
	Master, Backup, Fault, Stop, Deleted *Script
	MasterRxLowerPri                     *Script
	Notify                               *Script // generic: gets INSTANCE|GROUP NAME STATE PRIORITY appended
	// NotifyDeleted reports DELETED as such (keepalived's notify_deleted);
	// without it a deleted instance is notified as FAULT, as in keepalived.
	NotifyDeleted bool
}

func (s *Scripts) forState(st State) *Script {
	switch st {
	case Master:
		return s.Master
	case Backup:
		return s.Backup
	case Fault:
		return s.Fault
	case Stop:
		return s.Stop
	case Deleted:
		return s.Deleted
	case MasterRxLowerPri:
		return s.MasterRxLowerPri
	}
	return nil
}

// Event is one notification.
type Event struct {
	Group    bool   // a vrrp_sync_group, not an instance
	Name     string // instance or group name
	State    State
	Priority int // effective priority; 0 for groups
	Time     time.Time
}

func (e Event) kind() string {
	if e.Group {
		return "GROUP"
	}
	return "INSTANCE"
}

// FIFOLine is keepalived's notify_fifo line for the event, newline included.
func FIFOLine(e Event) string {
	prio := e.Priority
	if e.Group {
		prio = 0
	}
	return e.kind() + " \"" + e.Name + "\" " + e.State.String() + " " + strconv.Itoa(prio) + "\n"
}

// NotifyArgs returns the generic notify script's command line for the event:
// its own words, then INSTANCE|GROUP, the name, the state, the priority.
func NotifyArgs(own []string, e Event) []string {
	prio := e.Priority
	if e.Group {
		prio = 0
	}
	args := append([]string(nil), own...)
	return append(args, e.kind(), e.Name, e.State.String(), strconv.Itoa(prio))
}

// Reason names a failed notification. Each is counted and logged
// rate-limited.
type Reason int8

// Failure reasons.
const (
	ReasonScriptExit    Reason = iota // a script exited non-zero
	ReasonScriptSignal                // a script was killed by a signal lvsd did not send
	ReasonScriptTimeout               // a script outlived its timeout and was killed with its process group
	ReasonScriptStart                 // a script could not be started
	ReasonQueueFull                   // the instance's queue was full: its oldest queued notification dropped
	ReasonFIFOFull                    // the FIFO's pipe was full (reader too slow or absent): line dropped
	ReasonFIFOError                   // writing the FIFO failed otherwise
	ReasonNotRunAtStop                // Close's deadline passed before the script's turn: not started
	numReasons
)

var reasonNames = [...]string{"script_exit_status", "script_signal", "script_timeout", "script_start_failed", "queue_full", "fifo_full", "fifo_error", "not_run_at_stop"}

func (r Reason) String() string {
	if r >= 0 && r < numReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Options configure a Notifier.
type Options struct {
	// Timeout bounds each script run (default 30 s); notify_stop scripts
	// get at most StopTimeout (default 1 s, as keepalived) so that
	// shutdown is not held up.
	Timeout     time.Duration
	StopTimeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL after a timeout.
	KillGrace time.Duration
	// FIFOs are the notify_fifo and vrrp_notify_fifo paths (each line
	// goes to every one); each is created (mode 0600) if missing.
	FIFOs []string
	// QueueLen bounds each instance's queue (default 256).
	QueueLen int
}

// Notifier runs notifications. Create with New.
type Notifier struct {
	opts  Options
	log   *slog.Logger
	fifos []*FIFO
	run   func(context.Context, script.Spec) script.Result

	ctx    context.Context // cancelled by Close after the drain deadline
	cancel context.CancelFunc

	mu     sync.Mutex        // guards queues, closed, counts, lim
	queues map[string]*queue // by "INSTANCE name" / "GROUP name"
	closed bool
	counts [numReasons]uint64
	lim    [numReasons]ratelimit.Limit // drop logs, one line per reason per logInterval
	wg     sync.WaitGroup
}

type job struct {
	ev   Event
	spec script.Spec
	what string // which script, for logs
}

type queue struct {
	ch chan job
}

// New returns a Notifier; a nil logger means slog.Default.
func New(opts Options, log *slog.Logger) (*Notifier, error) {
	return newNotifier(opts, log, script.Run)
}

func newNotifier(opts Options, log *slog.Logger, run func(context.Context, script.Spec) script.Result) (*Notifier, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = time.Second
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 256
	}
	if log == nil {
		log = slog.Default()
	}
	n := &Notifier{opts: opts, log: log.With("part", "notify"), run: run, queues: map[string]*queue{}}
	for _, p := range opts.FIFOs {
		if p == "" {
			continue
		}
		f, err := OpenFIFO(p)
		if err != nil {
			for _, o := range n.fifos {
				o.Close()
			}
			return nil, err
		}
		n.fifos = append(n.fifos, f)
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

// Notify delivers one notification: the FIFO line now, the scripts in
// order after every earlier notification of the same instance or group.
// It never blocks.
func (n *Notifier) Notify(s *Scripts, ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if ev.State == Deleted && (s == nil || !s.NotifyDeleted) {
		ev.State = Fault
	}
	for _, f := range n.fifos {
		if err := f.Write(FIFOLine(ev)); err != nil {
			r := ReasonFIFOError
			if errors.Is(err, ErrFIFOFull) {
				r = ReasonFIFOFull
			}
			n.fail(r, "notify_fifo line dropped", "line", strings.TrimSpace(FIFOLine(ev)), "err", err)
		}
	}
	if s == nil {
		return
	}
	timeout := n.opts.Timeout
	if ev.State == Stop {
		timeout = min(timeout, n.opts.StopTimeout)
	}
	var jobs []job
	if sc := s.forState(ev.State); sc != nil {
		jobs = append(jobs, job{ev: ev, what: "notify_" + strings.ToLower(ev.State.String()),
			spec: script.Spec{Args: sc.Args, Cred: sc.Cred, Timeout: timeout, KillGrace: n.opts.KillGrace}})
	}
	if sc := s.Notify; sc != nil && !ev.State.IsEvent() {
		jobs = append(jobs, job{ev: ev, what: "notify",
			spec: script.Spec{Args: NotifyArgs(sc.Args, ev), Cred: sc.Cred, Timeout: timeout, KillGrace: n.opts.KillGrace}})
	}
	if len(jobs) == 0 {
		return
	}
	key := ev.kind() + " " + ev.Name
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	q := n.queues[key]
	if q == nil {
		q = &queue{ch: make(chan job, n.opts.QueueLen)}
		n.queues[key] = q
		n.wg.Add(1)
		go n.drain(q)
	}
	for _, j := range jobs {
		select {
		case q.ch <- j:
			continue
		default:
		}
		// Full: the oldest queued notification goes, so that the one for
		// the latest state is never lost. Only Notify sends, under n.mu:
		// after one receive there is room.
		select {
		case old := <-q.ch:
			n.failLocked(ReasonQueueFull, "notification dropped: queue full, the oldest queued goes", "instance", key,
				"state", old.ev.State.String(), "script", old.what, "newest_state", ev.State.String())
		default:
		}
		select {
		case q.ch <- j:
		default:
			n.failLocked(ReasonQueueFull, "notification dropped: queue full", "instance", key, "state", ev.State.String(), "script", j.what)
		}
	}
}

// drain runs one instance's scripts in order.
func (n *Notifier) drain(q *queue) {
	defer n.wg.Done()
	for j := range q.ch {
		if n.ctx.Err() != nil {
			// Close gave up waiting: what is still queued is not started
			// (each would be started only to be killed, one after the
			// other, and hold the stop up).
			n.fail(ReasonNotRunAtStop, "notify script not run: stopping", "script", j.what, "name", j.ev.Name, "state", j.ev.State.String())
			continue
		}
		res := n.run(n.ctx, j.spec)
		args := []any{"script", j.what, "name", j.ev.Name, "state", j.ev.State.String(),
			"command", script.Quote(j.spec.Args), "result", res.String(), "duration", res.Duration.Round(time.Millisecond)}
		if s := strings.TrimSpace(string(res.Stderr)); s != "" {
			args = append(args, "stderr", s)
		}
		switch res.Reason {
		case script.ReasonOK:
			n.log.Info("notify script done", args...)
		case script.ReasonExitStatus:
			n.fail(ReasonScriptExit, "notify script failed", args...)
		case script.ReasonSignal:
			n.fail(ReasonScriptSignal, "notify script failed", args...)
		case script.ReasonTimeout:
			n.fail(ReasonScriptTimeout, "notify script timed out and was killed", args...)
		default:
			n.fail(ReasonScriptStart, "notify script not started", append(args, "err", res.Err)...)
		}
	}
}

const logInterval = 10 * time.Second

func (n *Notifier) fail(r Reason, msg string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failLocked(r, msg, args...)
}

func (n *Notifier) failLocked(r Reason, msg string, args ...any) {
	n.counts[r]++
	now := time.Now()
	// Script failures are rare and each one matters: always log them.
	// Drops can come in floods: at most one line per reason per interval.
	if r == ReasonQueueFull || r == ReasonFIFOFull || r == ReasonFIFOError || r == ReasonNotRunAtStop {
		if ok, _ := n.lim[r].Allow(now, logInterval); !ok {
			return
		}
		args = append(args, "total", n.counts[r])
	}
	n.log.Warn(msg, append(args, "reason", r.String())...)
}

// Count returns how many notifications failed for a reason.
func (n *Notifier) Count(r Reason) uint64 {
	if r < 0 || r >= numReasons {
		return 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.counts[r]
}

// Close stops accepting notifications, waits until the queued scripts have
// run or ctx is done, then kills the scripts still running (their process
// groups), starts none of those still queued, and closes the FIFO: it takes
// at most ctx's time plus the kill grace. It returns ctx.Err() if it had to
// kill.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	for _, q := range n.queues {
		close(q.ch)
	}
	n.mu.Unlock()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		n.cancel()
		<-done
	}
	n.cancel()
	for _, f := range n.fifos {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("notify: close fifo: %w", cerr)
		}
	}
	return err
}
