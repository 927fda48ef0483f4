package healthcheck

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC)

func fail(r Reason) Result { return Result{Reason: r, Weight: -1, ExitCode: -1} }
func pass(w int) Result    { return Result{Reason: ReasonOK, Weight: w, ExitCode: -1} }

// TestStepRetry walks keepalived's retry arithmetic: retry 2 => DOWN at the
// third consecutive failure, retries spaced by delay_before_retry, one
// success brings it back.
func TestStepRetry(t *testing.T) {
	p := Policy{DelayLoop: 6 * time.Second, Retry: 2, DelayBeforeRetry: 3 * time.Second}
	s := InitialState(false, t0)
	now := t0
	type step struct {
		res     Result // compared with ==: no error set
		up      bool
		changed bool
		fails   int
		next    time.Duration
	}
	steps := []step{
		{pass(-1), true, false, 0, 6 * time.Second},
		{fail(ReasonRefused), true, false, 1, 3 * time.Second},
		{fail(ReasonTimeout), true, false, 2, 3 * time.Second},
		{fail(ReasonTimeout), false, true, 3, 6 * time.Second},
		{fail(ReasonTimeout), false, false, 4, 6 * time.Second},
		{pass(-1), true, true, 0, 6 * time.Second},
		{fail(ReasonBadStatus), true, false, 1, 3 * time.Second},
		{pass(-1), true, false, 0, 6 * time.Second},
	}
	for i, st := range steps {
		var changed bool
		var next time.Time
		s, changed, next = Step(p, s, st.res, now)
		got := step{st.res, s.Up, changed, s.Failures, next.Sub(now)}
		if got != st {
			t.Fatalf("step %d: got %+v, want %+v", i, got, st)
		}
		if s.Reason != st.res.Reason {
			t.Fatalf("step %d: reason %v", i, s.Reason)
		}
		if changed && !s.Since.Equal(now) {
			t.Fatalf("step %d: Since not updated", i)
		}
		now = next
	}
}

func TestStepRetryZeroAndAlpha(t *testing.T) {
	p := Policy{DelayLoop: time.Second, Retry: 0, DelayBeforeRetry: 5 * time.Second}
	s := InitialState(false, t0)
	s, changed, next := Step(p, s, fail(ReasonReset), t0)
	if s.Up || !changed || next.Sub(t0) != 5*time.Second {
		t.Fatalf("retry 0: one failure must bring it DOWN, next after max(loop, dbr): %+v %v %v", s, changed, next.Sub(t0))
	}
	a := InitialState(true, t0)
	if a.Up {
		t.Fatal("alpha starts DOWN")
	}
	a, changed, _ = Step(p, a, fail(ReasonTimeout), t0)
	if a.Up || changed {
		t.Fatal("alpha: a failure keeps it DOWN without a change")
	}
	a, changed, _ = Step(p, a, pass(-1), t0)
	if !a.Up || !changed {
		t.Fatal("alpha: one success brings it UP")
	}
}

func TestFirstDue(t *testing.T) {
	p := Policy{Warmup: 10 * time.Second}
	if got := FirstDue(p, t0, 0.25).Sub(t0); got != 2500*time.Millisecond {
		t.Fatalf("FirstDue = %v", got)
	}
	if got := FirstDue(Policy{}, t0, 0.9).Sub(t0); got != 0 {
		t.Fatalf("no warmup: %v", got)
	}
}

func TestAggregate(t *testing.T) {
	up := CheckState{Up: true, Weight: -1}
	down := CheckState{Up: false, Weight: -1}
	dyn := CheckState{Up: true, Weight: 7}
	tests := []struct {
		states []CheckState
		up     bool
		weight int
	}{
		{nil, true, 3},
		{[]CheckState{up, up}, true, 3},
		{[]CheckState{up, down}, false, 3},
		{[]CheckState{up, dyn}, true, 7},
		{[]CheckState{down, dyn}, false, 7},
		{[]CheckState{{Up: true, Weight: 0}}, true, 0},
	}
	for i, tt := range tests {
		u, w := Aggregate(3, tt.states)
		if u != tt.up || w != tt.weight {
			t.Errorf("%d: Aggregate = %v %d, want %v %d", i, u, w, tt.up, tt.weight)
		}
	}
}

func TestMiscOutcome(t *testing.T) {
	tests := []struct {
		code    int
		dynamic bool
		reason  Reason
		weight  int
	}{
		{0, false, ReasonOK, -1},
		{1, false, ReasonScriptExit, -1},
		{2, false, ReasonScriptExit, -1},
		{0, true, ReasonOK, -1},
		{1, true, ReasonScriptExit, -1},
		{2, true, ReasonOK, 0},
		{12, true, ReasonOK, 10},
		{255, true, ReasonOK, 253},
	}
	for _, tt := range tests {
		r := MiscOutcome(Result{ExitCode: tt.code}, tt.dynamic)
		if r.Reason != tt.reason || r.Weight != tt.weight {
			t.Errorf("exit %d dynamic %v: %v %d, want %v %d", tt.code, tt.dynamic, r.Reason, r.Weight, tt.reason, tt.weight)
		}
	}
}
