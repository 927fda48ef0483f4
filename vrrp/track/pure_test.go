package track

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEffective(t *testing.T) {
	ok, failed, initial := StatusOK, StatusFailed, StatusInit
	tests := []struct {
		name string
		base int
		in   []Input
		want Effect
	}{
		{"no trackers", 100, nil, Effect{Priority: 100}},
		{"positive weight added while OK", 100, []Input{{Name: "s", Weight: 10, Status: ok}}, Effect{Priority: 110}},
		{"positive weight nothing while failed", 100, []Input{{Name: "s", Weight: 10, Status: failed}}, Effect{Priority: 100}},
		{"negative weight subtracted while failed", 100, []Input{{Name: "s", Weight: -20, Status: failed}}, Effect{Priority: 80}},
		{"negative weight nothing while OK", 100, []Input{{Name: "s", Weight: -20, Status: ok}}, Effect{Priority: 100}},
		{"reverse positive subtracts while OK", 100, []Input{{Name: "s", Weight: 10, Reverse: true, Status: ok}}, Effect{Priority: 90}},
		{"reverse negative adds while failed", 100, []Input{{Name: "s", Weight: -20, Reverse: true, Status: failed}}, Effect{Priority: 120}},
		{"weight 0 failed is FAULT", 100, []Input{{Name: "s", Status: failed}}, Effect{Priority: 100, Fault: []string{"s"}}},
		{"weight 0 OK", 100, []Input{{Name: "s", Status: ok}}, Effect{Priority: 100}},
		{"weight 0 reverse OK is FAULT", 100, []Input{{Name: "p", Kind: KindProcess, Reverse: true, Status: ok}}, Effect{Priority: 100, Fault: []string{"p"}}},
		{"weight 0 script without result waits", 100, []Input{{Name: "s", Status: initial}}, Effect{Priority: 100, Waiting: []string{"s"}}},
		{"weighted script without result adds nothing", 100, []Input{{Name: "s", Weight: 50, Status: initial}, {Name: "t", Weight: -50, Status: initial}}, Effect{Priority: 100}},
		{"clamp high", 250, []Input{{Name: "s", Weight: 100, Status: ok}}, Effect{Priority: 254}},
		{"clamp low", 10, []Input{{Name: "s", Weight: -100, Status: failed}}, Effect{Priority: 1}},
		{"owner never adjusted", 255, []Input{{Name: "s", Weight: -100, Status: failed}}, Effect{Priority: 255}},
		{"owner still faults", 255, []Input{{Name: "i", Kind: KindInterface, Status: failed}}, Effect{Priority: 255, Fault: []string{"i"}}},
		{"file 5 x 1 on 244", 244, []Input{{Name: "f", Kind: KindFile, Weight: 1, Value: 5}}, Effect{Priority: 249}},
		{"file 6 x 1 on 244", 244, []Input{{Name: "f", Kind: KindFile, Weight: 1, Value: 6}}, Effect{Priority: 250}},
		{"file value x weight", 100, []Input{{Name: "f", Kind: KindFile, Weight: -3, Value: 10}}, Effect{Priority: 70}},
		{"file reverse", 100, []Input{{Name: "f", Kind: KindFile, Weight: 2, Reverse: true, Value: 10}}, Effect{Priority: 80}},
		{"file -254 is FAULT", 100, []Input{{Name: "f", Kind: KindFile, Weight: 1, Value: -254}}, Effect{Priority: 100, Fault: []string{"f"}}},
		{"file below -254 is FAULT", 100, []Input{{Name: "f", Kind: KindFile, Weight: 2, Value: -200}}, Effect{Priority: 100, Fault: []string{"f"}}},
		{"file -253 is not FAULT", 200, []Input{{Name: "f", Kind: KindFile, Weight: 1, Value: -253}}, Effect{Priority: 1}},
		{"file contribution capped at 253", 1, []Input{{Name: "f", Kind: KindFile, Weight: 1, Value: 100000}}, Effect{Priority: 254}},
		{"file weight 0 nonzero FAULT", 100, []Input{{Name: "f", Kind: KindFile, Value: 3}}, Effect{Priority: 100, Fault: []string{"f"}}},
		{"file weight 0 zero OK", 100, []Input{{Name: "f", Kind: KindFile, Value: 0}}, Effect{Priority: 100}},
		{"file weight 0 reverse zero FAULT", 100, []Input{{Name: "f", Kind: KindFile, Reverse: true}}, Effect{Priority: 100, Fault: []string{"f"}}},
		{"interface weight 5 down", 100, []Input{{Name: "eth1", Kind: KindInterface, Weight: -5, Status: failed}}, Effect{Priority: 95}},
		{"sum of several", 100, []Input{
			{Name: "a", Weight: 10, Status: ok},
			{Name: "b", Weight: -20, Status: failed},
			{Name: "c", Kind: KindFile, Weight: 1, Value: 7},
			{Name: "d", Kind: KindProcess, Weight: 5, Status: failed},
		}, Effect{Priority: 97}},
		{"faulting file contributes nothing else", 100, []Input{
			{Name: "f", Kind: KindFile, Weight: 1, Value: -300},
			{Name: "a", Weight: 10, Status: ok},
		}, Effect{Priority: 110, Fault: []string{"f"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective(tt.base, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Effective(%d, ...) (-want +got):\n%s", tt.base, diff)
			}
		})
	}
}

// TestRiseFall follows keepalived's counting result by result.
func TestRiseFall(t *testing.T) {
	type step struct {
		ok   bool
		want Status
	}
	S, F := true, false
	tests := []struct {
		name       string
		rise, fall int
		initFail   bool
		steps      []step
	}{
		{"first success decides", 3, 3, false, []step{{S, StatusOK}}},
		{"first failure decides", 3, 3, false, []step{{F, StatusFailed}}},
		{"fall 3 fails on third failure", 3, 3, false, []step{
			{S, StatusOK}, {F, StatusOK}, {F, StatusOK}, {F, StatusFailed}}},
		{"a success resets the fall count", 3, 3, false, []step{
			{S, StatusOK}, {F, StatusOK}, {F, StatusOK}, {S, StatusOK}, {F, StatusOK}, {F, StatusOK}, {F, StatusFailed}}},
		{"rise 3 recovers on third success", 3, 3, false, []step{
			{F, StatusFailed}, {S, StatusFailed}, {S, StatusFailed}, {S, StatusOK}}},
		{"a failure resets the rise count", 3, 3, false, []step{
			{F, StatusFailed}, {S, StatusFailed}, {S, StatusFailed}, {F, StatusFailed}, {S, StatusFailed}, {S, StatusFailed}, {S, StatusOK}}},
		{"init_fail needs rise successes", 2, 1, true, []step{{S, StatusFailed}, {S, StatusOK}, {F, StatusFailed}}},
		{"rise 1 fall 1", 1, 1, false, []step{{S, StatusOK}, {F, StatusFailed}, {S, StatusOK}}},
		{"zero rise/fall act as 1", 0, 0, false, []step{{S, StatusOK}, {F, StatusFailed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewRiseFall(tt.rise, tt.fall, tt.initFail)
			if tt.initFail && c.Status() != StatusFailed {
				t.Fatalf("init_fail start status %v", c.Status())
			}
			if !tt.initFail && c.Status() != StatusInit {
				t.Fatalf("start status %v", c.Status())
			}
			prev := c.Status()
			for i, s := range tt.steps {
				changed := c.Observe(s.ok)
				if got := c.Status(); got != s.want || changed != (got != prev) {
					t.Fatalf("step %d (ok=%v): status %v changed %v, want %v", i+1, s.ok, got, changed, s.want)
				}
				prev = c.Status()
			}
		})
	}
}

func TestQuorum(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	q := NewQuorum(0, QuorumNone, 0, 0)
	if q.Min != 0 || q.Max != 0 {
		t.Fatalf("quorum_max 0: %+v", q)
	}
	q.Init(0)
	if !q.Up() || !q.Update(1, at(0)) || q.Up() {
		t.Fatal("quorum_max 0: up must mean no process")
	}
	q = NewQuorum(0, 0, 0, 0)
	if q.Min != 1 || q.Max < 1<<30 {
		t.Fatalf("defaults: %+v", q)
	}
	q = NewQuorum(0, 0+5, 0, 0)
	if q.Min != 1 {
		t.Fatalf("default quorum with quorum_max: %+v", q)
	}

	// Defaults: up while at least one process.
	q = NewQuorum(1, 0, 0, 0)
	q.Init(0)
	if q.Up() {
		t.Fatal("up with 0 processes")
	}
	if !q.Update(1, at(0)) || !q.Up() {
		t.Fatal("not up after first process")
	}
	if q.Update(2, at(1)) {
		t.Fatal("change on second process")
	}
	if q.Update(1, at(2)) || !q.Up() {
		t.Fatal("change when one of two exits")
	}
	if !q.Update(0, at(3)) || q.Up() {
		t.Fatal("still up after last exit")
	}

	// quorum 2, quorum_max 3.
	q = NewQuorum(2, 3, 0, 0)
	q.Init(4)
	if q.Up() {
		t.Fatal("up above quorum_max")
	}
	if !q.Update(3, at(0)) || !q.Up() {
		t.Fatal("not up at quorum_max")
	}
	if !q.Update(1, at(1)) || q.Up() {
		t.Fatal("up below quorum")
	}

	// terminate_delay: the loss counts only after the delay; a restart
	// within the delay cancels it.
	q = NewQuorum(1, 0, 0, 500*time.Millisecond)
	q.Init(1)
	if q.Update(0, at(0)) || !q.Up() || !q.Deadline().Equal(at(500)) {
		t.Fatalf("terminate_delay: up %v deadline %v", q.Up(), q.Deadline())
	}
	if q.Tick(at(499)) {
		t.Fatal("tick before deadline changed status")
	}
	if q.Update(1, at(200)) || !q.Up() || !q.Deadline().IsZero() {
		t.Fatal("restart within terminate_delay did not cancel")
	}
	q.Update(0, at(1000))
	if !q.Tick(at(1500)) || q.Up() {
		t.Fatal("loss not applied at deadline")
	}

	// fork_delay: the gain counts only after the delay.
	q = NewQuorum(1, 0, 300*time.Millisecond, 0)
	q.Init(0)
	if q.Update(1, at(0)) || q.Up() {
		t.Fatal("fork_delay: up at once")
	}
	if !q.Tick(at(300)) || !q.Up() {
		t.Fatal("fork_delay: not up at deadline")
	}
	// A gain cancelled by a loss within fork_delay changes nothing.
	q.Update(0, at(400))
	if q.Up() {
		t.Fatal("no terminate_delay: still up")
	}
	q.Update(1, at(500))
	if q.Update(0, at(600)) || q.Tick(at(900)) || q.Up() {
		t.Fatal("gain cancelled within fork_delay changed status")
	}
}
