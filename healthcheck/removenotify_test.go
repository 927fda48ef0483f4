package healthcheck

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSchedulerRemovedRunsNotifyDown: a Set (a reload) that drops a real
// server that is up runs its notify_down, as keepalived's clear_service_rs
// does for an alive real server it removes; a dropped server that is down,
// and a kept one, run nothing.
func TestSchedulerRemovedRunsNotifyDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{start: time.Now()}
		ok := &scripted{key: "a", fn: func(int) Result { return pass(-1) }}
		bad := &scripted{key: "b", fn: func(int) Result { return fail(ReasonTimeout) }}
		pol := Policy{DelayLoop: 10 * time.Second, Retry: 0}
		kept := RealServerSpec{Key: rsKey("vs1", "10.0.0.1"), Weight: 1, NotifyDown: []string{"/bin/down", "1"},
			Checks: []CheckConfig{{Name: "a", Checker: ok, Policy: pol}}}
		up := RealServerSpec{Key: rsKey("vs1", "10.0.0.2"), Weight: 1, NotifyDown: []string{"/bin/down", "2"},
			Checks: []CheckConfig{{Name: "a", Checker: ok, Policy: pol}}}
		down := RealServerSpec{Key: rsKey("vs1", "10.0.0.3"), Weight: 1, NotifyDown: []string{"/bin/down", "3"},
			Checks: []CheckConfig{{Name: "b", Checker: bad, Policy: pol}}}
		s := New(Options{Workers: 2, Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript})
		s.Set([]RealServerSpec{kept, up, down})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		_, before := rec.get()
		if diff := cmp.Diff([]string{"t=0s [/bin/down 3]"}, before); diff != "" {
			t.Fatalf("before the reload, scripts (-want +got)\n%s", diff)
		}
		s.Set([]RealServerSpec{kept})
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		wg.Wait()
		_, scripts := rec.get()
		if diff := cmp.Diff([]string{"t=0s [/bin/down 3]", "t=1m0s [/bin/down 2]"}, scripts); diff != "" {
			t.Errorf("scripts (-want +got)\n%s", diff)
		}
	})
}
