package ratelimit

import (
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var l Limit
	for _, tt := range []struct {
		at   time.Duration
		ok   bool
		supp uint64
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{9 * time.Second, false, 0},
		{10 * time.Second, true, 2},
		{11 * time.Second, false, 0},
		{25 * time.Second, true, 1},
		{40 * time.Second, true, 0},
	} {
		ok, supp := l.Allow(t0.Add(tt.at), 10*time.Second)
		if ok != tt.ok || supp != tt.supp {
			t.Errorf("at %v: Allow = %v, %d; want %v, %d", tt.at, ok, supp, tt.ok, tt.supp)
		}
	}
}
