package daemon

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAutoPriority: a timer later than min_auto_priority_delay raises the
// SCHED_RR priority by one, from vrrp_rt_priority (or 1), up to
// max_auto_priority; earlier ones do not; a failure stops it.
func TestAutoPriority(t *testing.T) {
	var set []int
	a := &autoPriority{set: func(p int) error { set = append(set, p); return nil }, log: slog.New(slog.DiscardHandler)}
	a.late(5 * time.Second) // not configured: off
	a.configure(0, 3, time.Second, nil)
	a.late(999 * time.Millisecond)
	for range 5 {
		a.late(time.Second)
	}
	if d := cmp.Diff([]int{1, 2, 3}, set); d != "" {
		t.Errorf("priorities set (-want +got):\n%s", d)
	}
	set = nil
	b := &autoPriority{set: func(p int) error { set = append(set, p); return nil }, log: slog.New(slog.DiscardHandler)}
	b.configure(10, 12, 100*time.Millisecond, nil) // vrrp_rt_priority 10
	for range 3 {
		b.late(time.Second)
	}
	if d := cmp.Diff([]int{11, 12}, set); d != "" {
		t.Errorf("from vrrp_rt_priority (-want +got):\n%s", d)
	}
	calls := 0
	c := &autoPriority{set: func(int) error { calls++; return errors.New("EPERM") }, log: slog.New(slog.DiscardHandler)}
	c.configure(0, 99, time.Millisecond, nil)
	c.late(time.Second)
	c.late(time.Second)
	if calls != 1 {
		t.Errorf("%d attempts after a failure, want 1", calls)
	}
}
