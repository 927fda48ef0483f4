package track

import "strconv"

// Status is the state of a boolean tracker (script, process, interface).
type Status int8

// Tracker states. StatusInit is a script that has not yet produced a result.
const (
	StatusInit Status = iota
	StatusOK
	StatusFailed
)

func (s Status) String() string {
	switch s {
	case StatusInit:
		return "INIT"
	case StatusOK:
		return "OK"
	case StatusFailed:
		return "FAILED"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Kind is the kind of tracked object.
type Kind int8

// Tracker kinds.
const (
	KindScript Kind = iota
	KindProcess
	KindFile
	KindInterface
	KindBFD
)

func (k Kind) String() string {
	switch k {
	case KindScript:
		return "script"
	case KindProcess:
		return "process"
	case KindFile:
		return "file"
	case KindInterface:
		return "interface"
	case KindBFD:
		return "bfd"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Priority limits (RFC 3768 §5.3.4 / RFC 5798 §5.2.4).
const (
	PriorityOwner = 255 // address owner: never adjusted by trackers
	PriorityMax   = 254 // highest priority a tracked instance can reach
	PriorityMin   = 1   // lowest priority a tracked instance keeps
	// FileFault is the track_file result (value × weight) at or below
	// which the instance goes to FAULT.
	FileFault = -254
	// fileMax is the highest contribution of one tracked file.
	fileMax = 253
)

// Input is what one instance sees of one tracker: the weight and reverse
// flag it uses (the tracker's own, or the instance's override) and the
// tracker's current observation.
type Input struct {
	Name    string
	Kind    Kind
	Weight  int
	Reverse bool
	// Status is the observation of a script, process or interface tracker.
	Status Status
	// Value is the number read from a tracked file (Kind == KindFile).
	Value int64
}

// Effect is what a set of trackers makes of an instance.
type Effect struct {
	// Priority is the effective priority: the base plus the trackers'
	// contributions, clamped to 1..254; the base itself when it is 255.
	Priority int
	// Fault lists the trackers that hold the instance in FAULT (weight 0
	// trackers failing, files at or below -254), in input order.
	Fault []string
	// Waiting lists weight-0 scripts without a first result: keepalived
	// keeps the instance from starting until they have one.
	Waiting []string
}

// InFault reports whether any tracker holds the instance in FAULT.
func (e Effect) InFault() bool { return len(e.Fault) > 0 }

// Contribution returns what one tracker adds to the priority and whether it
// puts the instance into FAULT, with keepalived's rules:
//
//   - script, process, interface with weight 0: FAULT while failed (while OK
//     with reverse); a script without a result yet neither adds nor faults.
//   - with a weight: a positive weight is added while OK, a negative weight
//     is added (subtracted) while failed; reverse negates the weight.
//   - file: weight 0 means FAULT while the value is non-zero (zero with
//     reverse); otherwise value × weight (negated by reverse), clamped to
//     -254..253, and -254 means FAULT.
func Contribution(in Input) (delta int, fault bool) {
	mult := 1
	if in.Reverse {
		mult = -1
	}
	if in.Kind == KindFile {
		if in.Weight == 0 {
			return 0, (in.Value != 0) == !in.Reverse
		}
		v := clamp64(in.Value*int64(in.Weight)*int64(mult), FileFault, fileMax)
		if v <= FileFault {
			return 0, true
		}
		return int(v), false
	}
	if in.Status == StatusInit {
		return 0, false
	}
	ok := in.Status == StatusOK
	if in.Weight == 0 {
		return 0, ok != !in.Reverse
	}
	if ok && in.Weight > 0 || !ok && in.Weight < 0 {
		return in.Weight * mult, false
	}
	return 0, false
}

// Effective computes an instance's effective priority and FAULT state from
// its base priority and its trackers.
func Effective(base int, inputs []Input) Effect {
	e := Effect{}
	total := base
	for _, in := range inputs {
		if in.Kind != KindFile && in.Weight == 0 && in.Status == StatusInit {
			e.Waiting = append(e.Waiting, in.Name)
			continue
		}
		d, fault := Contribution(in)
		if fault {
			e.Fault = append(e.Fault, in.Name)
			continue
		}
		total += d
	}
	switch {
	case base >= PriorityOwner:
		e.Priority = PriorityOwner
	case total < PriorityMin:
		e.Priority = PriorityMin
	case total > PriorityMax:
		e.Priority = PriorityMax
	default:
		e.Priority = total
	}
	return e
}

func clamp64(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
