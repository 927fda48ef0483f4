package ratelimit

import "time"

// Limit lets one event through per interval and counts the others. The zero
// value lets the first event through.
type Limit struct {
	last       time.Time
	suppressed uint64
}

// Allow reports whether the event at now may be logged (none was let through
// within every before it) and, when it may, how many events were suppressed
// since the last one let through.
func (l *Limit) Allow(now time.Time, every time.Duration) (ok bool, suppressed uint64) {
	if !l.last.IsZero() && now.Sub(l.last) < every {
		l.suppressed++
		return false, 0
	}
	l.last = now
	s := l.suppressed
	l.suppressed = 0
	return true, s
}
