package track

import (
	"strings"
	"time"
)

// ParamMatch is vrrp_track_process's param_match.
type ParamMatch int8

// Parameter matching modes.
const (
	MatchNone    ParamMatch = iota // only the name (comm, or argv[0] with full_command)
	MatchExact                     // the arguments are exactly Params
	MatchPartial                   // the first arguments are exactly Params
	MatchInitial                   // as partial, but the last of Params may be a prefix of its argument
)

// ProcessConfig is one vrrp_track_process.
type ProcessConfig struct {
	Name string
	// Process is the process name: its comm (as in ps, at most 15
	// characters) or, with FullCommand, argv[0] exactly.
	Process string
	// Params, when given, are the arguments to match; they imply
	// FullCommand and, without ParamMatch, MatchExact.
	Params      []string
	ParamMatch  ParamMatch
	FullCommand bool
	// Quorum (default 1) and QuorumMax (default unlimited): the tracker is
	// OK while Quorum <= matching processes <= QuorumMax. QuorumMax
	// QuorumNone is keepalived's `quorum_max 0` (OK while none runs).
	Quorum, QuorumMax int
	// ForkDelay delays the effect of gaining the quorum, TerminateDelay the
	// effect of losing it (keepalived's `delay` sets both).
	ForkDelay, TerminateDelay time.Duration
}

// normalize applies keepalived's implications between the settings.
func (c ProcessConfig) normalize() ProcessConfig {
	if len(c.Params) > 0 && c.ParamMatch == MatchNone {
		c.ParamMatch = MatchExact
	}
	if c.ParamMatch != MatchNone {
		c.FullCommand = true
	}
	return c
}

// commLen is the kernel's TASK_COMM_LEN - 1.
const commLen = 15

// Matches reports whether a process with this comm and command line
// (argv, from /proc/PID/cmdline) is one this config counts.
func (c ProcessConfig) Matches(comm string, argv []string) bool {
	c = c.normalize()
	if !c.FullCommand {
		name := c.Process
		if len(name) > commLen {
			name = name[:commLen]
		}
		return comm == name
	}
	if len(argv) == 0 || argv[0] != c.Process {
		return false
	}
	args := argv[1:]
	p := c.Params
	switch c.ParamMatch {
	case MatchNone:
		return true
	case MatchExact:
		return len(args) == len(p) && equalStrings(args, p)
	case MatchPartial:
		return len(args) >= len(p) && equalStrings(args[:len(p)], p)
	case MatchInitial:
		if len(p) == 0 {
			return true
		}
		n := len(p)
		return len(args) >= n && equalStrings(args[:n-1], p[:n-1]) && strings.HasPrefix(args[n-1], p[n-1])
	}
	return false
}

func equalStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// procTable counts the processes matching each config and applies the
// quorum rules. Pure: the shell feeds it what it reads from the kernel.
type procTable struct {
	cfgs   []ProcessConfig
	q      []Quorum
	pids   map[int][]int // pid -> indexes of the configs it matches
	counts []int
}

func newProcTable(cfgs []ProcessConfig) *procTable {
	t := &procTable{pids: map[int][]int{}, counts: make([]int, len(cfgs))}
	for _, c := range cfgs {
		c = c.normalize()
		t.cfgs = append(t.cfgs, c)
		t.q = append(t.q, NewQuorum(c.Quorum, c.QuorumMax, c.ForkDelay, c.TerminateDelay))
	}
	return t
}

// matches lists the configs a process matches.
func (t *procTable) matches(comm string, argv []string) []int {
	var m []int
	for i, c := range t.cfgs {
		if c.Matches(comm, argv) {
			m = append(m, i)
		}
	}
	return m
}

// init sets the counts from a full scan without delays.
func (t *procTable) init(all map[int][]int) {
	t.pids = map[int][]int{}
	clear(t.counts)
	for pid, m := range all {
		if len(m) > 0 {
			t.pids[pid] = m
			for _, i := range m {
				t.counts[i]++
			}
		}
	}
	for i := range t.q {
		t.q[i].Init(t.counts[i])
	}
}

// set records what pid matches now; changed lists configs whose status
// changed.
func (t *procTable) set(pid int, m []int, now time.Time) (changed []int) {
	old := t.pids[pid]
	if len(m) == 0 {
		delete(t.pids, pid)
	} else {
		t.pids[pid] = m
	}
	touched := map[int]bool{}
	for _, i := range old {
		t.counts[i]--
		touched[i] = true
	}
	for _, i := range m {
		t.counts[i]++
		touched[i] = true
	}
	for i := range t.cfgs {
		if touched[i] && t.q[i].Update(t.counts[i], now) {
			changed = append(changed, i)
		}
	}
	return changed
}

// tracked returns what pid matches.
func (t *procTable) tracked(pid int) []int { return t.pids[pid] }

// resync replaces every pid's matches with a new full scan (after lost
// events), applying the delays like any other change.
func (t *procTable) resync(all map[int][]int, now time.Time) (changed []int) {
	counts := make([]int, len(t.cfgs))
	t.pids = map[int][]int{}
	for pid, m := range all {
		if len(m) > 0 {
			t.pids[pid] = m
			for _, i := range m {
				counts[i]++
			}
		}
	}
	t.counts = counts
	for i := range t.cfgs {
		if t.q[i].Update(counts[i], now) {
			changed = append(changed, i)
		}
	}
	return changed
}

// tick applies pending delays; it returns the configs that changed and the
// next deadline (zero if none).
func (t *procTable) tick(now time.Time) (changed []int, next time.Time) {
	for i := range t.q {
		if t.q[i].Tick(now) {
			changed = append(changed, i)
		}
		if d := t.q[i].Deadline(); !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	return changed, next
}
