package daemon

import (
	"log/slog"
	"sync"
	"time"
)

// autoPriority is keepalived's max_auto_priority: each time a VRRP timer
// fires later than min_auto_priority_delay, the process's SCHED_RR
// priority goes up by one (from 1, or from vrrp_rt_priority), up to
// max_auto_priority. It never goes down while the daemon runs (keepalived
// neither). The scheduling of a process is process-wide, so there is one
// (procPriority), configured by ops.schedule.
type autoPriority struct {
	mu       sync.Mutex
	cur      int           // current SCHED_RR priority, 0: SCHED_OTHER
	max      int           // max_auto_priority; 0: off
	minDelay time.Duration // min_auto_priority_delay
	set      func(prio int) error
	log      *slog.Logger
}

var procPriority = &autoPriority{set: setRealtime, log: slog.Default()}

// configure sets the limits (at start and on reload) and the priority
// vrrp_rt_priority gave.
func (a *autoPriority) configure(cur, maxPrio int, minDelay time.Duration, log *slog.Logger) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cur = max(a.cur, cur)
	a.max, a.minDelay = maxPrio, minDelay
	if log != nil {
		a.log = log
	}
}

// late is vrrp.Options.OnLate.
func (a *autoPriority) late(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.max <= 0 || d < a.minDelay || a.cur >= a.max {
		return
	}
	next := a.cur + 1
	if err := a.set(next); err != nil {
		a.log.Warn("max_auto_priority: cannot raise the realtime priority", "priority", next, "err", err)
		a.max = 0 // do not retry on every late timer
		return
	}
	a.cur = next
	a.log.Info("timer late: realtime priority raised (max_auto_priority)", "late", d, "priority", next, "max", a.max)
}
