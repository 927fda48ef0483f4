package track

import "time"

// Quorum decides whether a vrrp_track_process is up from the number of
// matching processes, as keepalived does: up while quorum <= count <=
// quorum_max. With fork_delay, gaining the quorum takes effect only after
// that delay (and a loss meanwhile cancels it without any change); with
// terminate_delay, losing it takes effect only after that delay (and a gain
// meanwhile cancels it). The initial count (the /proc scan at start) applies
// at once. Times are explicit; the owner calls Tick at Deadline.
type Quorum struct {
	Min, Max       int           // quorum (default 1) and quorum_max (default unlimited)
	ForkDelay      time.Duration // delay before a gained quorum counts
	TerminateDelay time.Duration // delay before a lost quorum counts

	count    int
	up       bool
	deadline time.Time // zero: no pending change
}

// QuorumNone as quorumMax is keepalived's `quorum_max 0`: the tracker is up
// only while no matching process runs (quorum becomes 0).
const QuorumNone = -1

// NewQuorum returns a Quorum with keepalived's defaults for zero values:
// quorum 1, quorum_max unlimited. quorumMax QuorumNone means "up while no
// process runs".
func NewQuorum(quorum, quorumMax int, forkDelay, terminateDelay time.Duration) Quorum {
	q := Quorum{Min: quorum, Max: quorumMax, ForkDelay: forkDelay, TerminateDelay: terminateDelay}
	if q.Max == QuorumNone {
		q.Min, q.Max = 0, 0
		return q
	}
	if q.Min <= 0 {
		q.Min = 1
	}
	if q.Max <= 0 {
		q.Max = int(^uint(0) >> 1)
	}
	return q
}

func (q *Quorum) in(count int) bool { return count >= q.Min && count <= q.Max }

// Init sets the count found at start; the status applies without delay.
func (q *Quorum) Init(count int) {
	q.count, q.up, q.deadline = count, q.in(count), time.Time{}
}

// Up reports the current status.
func (q *Quorum) Up() bool { return q.up }

// Count is the last count seen.
func (q *Quorum) Count() int { return q.count }

// Deadline is when Tick must be called next, zero when nothing is pending.
func (q *Quorum) Deadline() time.Time { return q.deadline }

// Update records a new count at now and reports whether Up changed.
func (q *Quorum) Update(count int, now time.Time) (changed bool) {
	was := q.in(q.count)
	q.count = count
	is := q.in(count)
	if was == is {
		return false
	}
	if !q.deadline.IsZero() {
		// A pending change in the other direction is cancelled; the
		// status never changed.
		q.deadline = time.Time{}
		return false
	}
	if is == q.up {
		return false
	}
	delay := q.TerminateDelay
	if is {
		delay = q.ForkDelay
	}
	if delay > 0 {
		q.deadline = now.Add(delay)
		return false
	}
	q.up = is
	return true
}

// Tick applies a pending change whose deadline has passed at now.
func (q *Quorum) Tick(now time.Time) (changed bool) {
	if q.deadline.IsZero() || now.Before(q.deadline) {
		return false
	}
	q.deadline = time.Time{}
	old := q.up
	q.up = q.in(q.count)
	return q.up != old
}
