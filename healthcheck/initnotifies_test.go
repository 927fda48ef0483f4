package healthcheck

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// TestSchedulerInitNotifies: with rs_init_notifies, a real server that
// starts up (no alpha) runs notify_up when added; one that starts down
// (alpha) does not; without it, neither does.
func TestSchedulerInitNotifies(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, on := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			rec := &recorder{start: time.Now()}
			chk := &scripted{key: "a", fn: func(int) Result { return pass(-1) }}
			chk2 := &scripted{key: "b", fn: func(int) Result { return fail(ReasonTimeout) }}
			s := New(Options{Workers: 2, Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript, InitNotifies: on})
			s.Set([]RealServerSpec{
				{Key: rsKey("vs1", "10.0.0.1"), Weight: 1, NotifyUp: []string{"/bin/up", "1"},
					Checks: []CheckConfig{{Name: "a", Checker: chk, Policy: Policy{DelayLoop: 10 * time.Second, Retry: 0}}}},
				{Key: rsKey("vs1", "10.0.0.2"), Weight: 1, Alpha: true, NotifyUp: []string{"/bin/up", "2"},
					Checks: []CheckConfig{{Name: "b", Checker: chk2, Policy: Policy{DelayLoop: 10 * time.Second, Retry: 0}}}},
			})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); s.Run(ctx) }()
			time.Sleep(time.Minute)
			cancel()
			wg.Wait()
			_, scripts := rec.get()
			var want []string
			if on {
				want = []string{"t=0s [/bin/up 1]"}
			}
			if diff := cmp.Diff(want, scripts); diff != "" {
				t.Errorf("rs_init_notifies %v: scripts (-want +got)\n%s", on, diff)
			}
		})
	}
}
