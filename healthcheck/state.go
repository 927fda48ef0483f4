package healthcheck

import "time"

// Policy is the timing of one checker (keepalived's names).
type Policy struct {
	DelayLoop        time.Duration // between checks while the result is stable
	Retry            int           // failures tolerated before DOWN: DOWN at the (Retry+1)th consecutive failure
	DelayBeforeRetry time.Duration // between a failure and its retry
	Warmup           time.Duration // the first check runs after a random fraction of this
}

// CheckState is one checker's state: a plain value, changed only by Step.
type CheckState struct {
	Up       bool
	Failures int    // consecutive failures since the last success
	Reason   Reason // of the last result
	Weight   int    // dynamic weight of the last success, -1 for none
	Since    time.Time
}

// InitialState is a checker's state before its first result: UP, or DOWN
// with alpha (keepalived: the real server starts failed and one success
// brings it up).
func InitialState(alpha bool, now time.Time) CheckState {
	return CheckState{Up: !alpha, Weight: -1, Since: now}
}

// FirstDue is when the first check runs: now plus frac (in [0,1), chosen by
// the caller at random) of the warmup.
func FirstDue(p Policy, now time.Time, frac float64) time.Time {
	return now.Add(time.Duration(float64(p.Warmup) * frac))
}

// Step applies one check result. It returns the new state, whether Up
// changed, and when the next check is due:
//   - success: failures reset, UP, next after DelayLoop;
//   - failure while UP: failures+1; DOWN once failures > Retry; while still
//     UP the retry runs after DelayBeforeRetry;
//   - failure while DOWN: next after max(DelayLoop, DelayBeforeRetry), as
//     keepalived.
func Step(p Policy, s CheckState, r Result, now time.Time) (CheckState, bool, time.Time) {
	was := s.Up
	s.Reason = r.Reason
	var next time.Time
	if r.OK() {
		s.Failures = 0
		s.Up = true
		s.Weight = r.Weight
		next = now.Add(p.DelayLoop)
	} else {
		s.Failures++
		if s.Up && s.Failures > p.Retry {
			s.Up = false
		}
		if s.Up {
			next = now.Add(p.DelayBeforeRetry)
		} else {
			next = now.Add(max(p.DelayLoop, p.DelayBeforeRetry))
		}
	}
	changed := s.Up != was
	if changed {
		s.Since = now
	}
	return s, changed, next
}

// Aggregate is a real server's health from its checkers' states: up when
// every checker is up (a server without checkers is always up); the weight
// is the last dynamic weight set by a checker, else configured.
func Aggregate(configured int, states []CheckState) (up bool, weight int) {
	up, weight = true, configured
	for _, s := range states {
		if !s.Up {
			up = false
		}
		if s.Up && s.Weight >= 0 {
			weight = s.Weight
		}
	}
	return up, weight
}
