package track

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/lvsd/lvsd/vrrp/internal/ratelimit"
)

// Reason names why a tracker is failing or why one check failed. Every
// failed check is counted by reason (Counters) and logged rate-limited.
type Reason int8

// Reasons.
const (
	ReasonNone          Reason = iota
	ReasonScriptExit           // the script exited with a non-zero status
	ReasonScriptSignal         // the script was killed by a signal lvsd did not send
	ReasonScriptTimeout        // the script outlived its timeout and was killed
	ReasonScriptStart          // the script could not be started
	ReasonProcessQuorum        // the number of matching processes is outside quorum..quorum_max
	ReasonFileMissing          // the tracked file does not exist (value 0)
	ReasonFileRead             // the tracked file could not be read (value 0)
	ReasonFileInvalid          // the tracked file's number is out of range (previous value kept)
	ReasonLinkDown             // the interface is not up and running
	ReasonLinkMissing          // the interface does not exist
	ReasonEventsLost           // the kernel dropped process events (ENOBUFS); /proc rescanned
	ReasonBFDDown              // the bfd_instance's session is not Up
	numReasons
)

var reasonNames = [...]string{
	"none", "script_exit_status", "script_signal", "script_timeout", "script_start_failed",
	"process_quorum", "file_missing", "file_read_error", "file_invalid_number",
	"link_down", "link_missing", "process_events_lost", "bfd_down",
}

func (r Reason) String() string {
	if r >= 0 && r < numReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Update is one change of a tracker's state.
type Update struct {
	Name   string // tracker name (vrrp_script / vrrp_track_process / track_file name, or interface)
	Kind   Kind
	Status Status // scripts, processes, interfaces; files: OK, or FAILED while unreadable
	Value  int64  // files: the number read; processes: the number of matching processes
	Reason Reason // why it is failing, ReasonNone when OK
	Detail string // human-readable detail (exit status, errno, ...)
	Time   time.Time
}

// Input turns an update into an Effective input with the weight and reverse
// flag the instance uses for this tracker.
func (u Update) Input(weight int, reverse bool) Input {
	return Input{Name: u.Name, Kind: u.Kind, Weight: weight, Reverse: reverse, Status: u.Status, Value: u.Value}
}

// Emit receives a tracker's updates.
type Emit func(Update)

// Tracker is what the runner starts for each tracked object.
type Tracker interface {
	// Run watches the object until ctx is done, calling emit with the
	// initial state and every change. It returns ctx.Err() after a normal
	// stop, or an error when the tracker cannot work at all.
	Run(ctx context.Context, emit Emit) error
}

// Counters counts failed checks by reason. Safe for concurrent use.
type Counters struct {
	mu sync.Mutex         // guards n
	n  [numReasons]uint64 // by Reason
}

// Add counts one failure.
func (c *Counters) Add(r Reason) {
	if r <= ReasonNone || r >= numReasons {
		return
	}
	c.mu.Lock()
	c.n[r]++
	c.mu.Unlock()
}

// Get returns the count for one reason.
func (c *Counters) Get(r Reason) uint64 {
	if r < 0 || r >= numReasons {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[r]
}

// Snapshot returns the non-zero counts.
func (c *Counters) Snapshot() map[Reason]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[Reason]uint64{}
	for r, v := range c.n {
		if v != 0 {
			m[Reason(r)] = v
		}
	}
	return m
}

// logInterval is the least time between two log lines of one tracker for one
// reason; lines in between are counted and reported with the next one.
const logInterval = 10 * time.Second

// limiter rate-limits failure logs per reason. Used by one goroutine.
type limiter struct {
	r [numReasons]ratelimit.Limit
}

func (l *limiter) log(log *slog.Logger, now time.Time, r Reason, msg string, args ...any) {
	if r < 0 || r >= numReasons {
		r = ReasonNone
	}
	ok, n := l.r[r].Allow(now, logInterval)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	log.Warn(msg, append(args, "reason", r.String())...)
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
