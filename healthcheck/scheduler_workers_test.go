package healthcheck

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestSchedulerWorkersOnDemand: real servers without checkers start no
// worker goroutine; checks start one each, up to Options.Workers.
func TestSchedulerWorkersOnDemand(t *testing.T) {
	// the count is the process's: wait until goroutines other tests left
	// behind (servers closing) are gone, so that base holds
	base := runtime.NumGoroutine()
	for stable, deadline := 0, time.Now().Add(5*time.Second); stable < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == base {
			stable++
		} else {
			base, stable = n, 0
		}
	}
	s := New(Options{Workers: 8})
	var specs []RealServerSpec
	for i := range 100 {
		specs = append(specs, RealServerSpec{Key: rsKey("vs", fmt.Sprintf("10.0.0.%d", i+1)), Weight: 1})
	}
	s.Set(specs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitGoroutines := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitGoroutines(base + 1) // Run alone
	pol := Policy{DelayLoop: time.Hour}
	specs = slices.Clone(specs) // the scheduler holds the previous one
	for i := range 3 {
		specs[i].Checks = []CheckConfig{{Name: "c", Checker: &scripted{key: fmt.Sprint(i), fn: func(int) Result { return Result{} }}, Policy: pol}}
	}
	s.Set(specs)
	waitGoroutines(base + 1 + 3)
	specs = slices.Clone(specs)
	for i := range specs {
		specs[i].Checks = []CheckConfig{{Name: "c", Checker: &scripted{key: fmt.Sprint(i), fn: func(int) Result { return Result{} }}, Policy: pol}}
	}
	s.Set(specs)
	waitGoroutines(base + 1 + 8)
}
