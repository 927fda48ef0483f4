package healthcheck

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// scripted is a Checker whose results come from a function of the call
// number; it records when it was called. It stands for the network.
type scripted struct {
	key   string
	mu    sync.Mutex
	calls []time.Time // guarded by mu
	fn    func(n int) Result
}

func (c *scripted) Key() string { return c.key }
func (c *scripted) Check(ctx context.Context) Result {
	c.mu.Lock()
	n := len(c.calls)
	c.calls = append(c.calls, time.Now())
	c.mu.Unlock()
	return c.fn(n)
}
func (c *scripted) count() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.calls) }

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type recorder struct {
	mu      sync.Mutex
	start   time.Time
	updates []string // guarded by mu: "t=16s vs 10.0.0.1:80 up=false w=1 reason"
	scripts []string // guarded by mu
}

func (r *recorder) onUpdate(u Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, fmt.Sprintf("t=%v %s up=%v w=%d %s", time.Since(r.start), u.Key, u.Up, u.Weight, u.Reason))
}

func (r *recorder) runScript(argv []string, _ *Credential) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scripts = append(r.scripts, fmt.Sprintf("t=%v %v", time.Since(r.start), argv))
}

func (r *recorder) get() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.updates...), append([]string(nil), r.scripts...)
}

func rsKey(vs string, ip string) RealServerKey {
	return RealServerKey{VirtualServer: vs, Addr: netip.MustParseAddr(ip), Port: 80}
}

// TestSchedulerRetryTimeline runs an hour of fake time: retry 2 with
// delay_before_retry 3 s and delay_loop 10 s brings the server DOWN at the
// third failure (t=16 s), notify_down runs, and one success brings it UP.
func TestSchedulerRetryTimeline(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{start: time.Now()}
		chk := &scripted{key: "a", fn: func(n int) Result {
			switch {
			case n == 0:
				return pass(-1)
			case n <= 4: // t=10,13,16 fail => DOWN at 16; t=26 fails
				return fail(ReasonTimeout)
			}
			return pass(-1)
		}}
		var logBuf syncBuffer
		s := New(Options{Workers: 2, Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
		s.Set([]RealServerSpec{{
			Key: rsKey("vs1", "10.0.0.1"), Weight: 5,
			NotifyUp: []string{"/bin/up"}, NotifyDown: []string{"/bin/down", "x"},
			Checks: []CheckConfig{{Name: "scripted", Checker: chk, Policy: Policy{DelayLoop: 10 * time.Second, Retry: 2, DelayBeforeRetry: 3 * time.Second}}},
		}})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(time.Hour)
		cancel()
		wg.Wait()
		updates, scripts := rec.get()
		want := []string{
			"t=0s vs1 10.0.0.1:80 up=true w=5 ok",
			"t=16s vs1 10.0.0.1:80 up=false w=5 timeout",
			"t=36s vs1 10.0.0.1:80 up=true w=5 ok",
		}
		if diff := cmp.Diff(want, updates); diff != "" {
			t.Errorf("updates (-want +got)\n%s", diff)
		}
		if diff := cmp.Diff([]string{"t=16s [/bin/down x]", "t=36s [/bin/up]"}, scripts); diff != "" {
			t.Errorf("scripts (-want +got)\n%s", diff)
		}
		v := s.View()
		if v.Results[ReasonTimeout] != 4 || !v.Servers[rsKey("vs1", "10.0.0.1")].Up {
			t.Errorf("view: %+v", v)
		}
		logs := logBuf.String()
		for _, want := range []string{
			`msg="check state changed" check=scripted up=false reason=timeout`,
			`msg="real server health" real_server="vs1 10.0.0.1:80" up=false weight=5 reason=timeout`,
			`msg="check failed" check=scripted failures=1 retry=2 reason=timeout`,
		} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q:\n%s", want, logs)
			}
		}
		// failures at 13 s and 26 s are within a minute of the one at 10 s: not logged.
		if n := strings.Count(logs, `msg="check failed"`); n != 1 {
			t.Errorf("%d failure lines, want 1 (rate limit)", n)
		}
		// 0,10,13,16,26,36 then every 10 s up to 3600 s.
		if got, want := chk.count(), 6+(3600-36)/10; got != want && got != want+1 {
			t.Errorf("%d checks in an hour, want %d", got, want)
		}
	})
}

// TestSchedulerDedupAndAlpha: two virtual servers with the same check on the
// same target share one check; alpha starts them DOWN; misc_dynamic weights
// reach every subscriber.
func TestSchedulerDedupAndAlpha(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{start: time.Now()}
		mk := func() *scripted {
			return &scripted{key: "same", fn: func(n int) Result {
				if n < 2 {
					return fail(ReasonRefused)
				}
				return pass(n) // dynamic weight = call number
			}}
		}
		c1, c2 := mk(), mk()
		pol := Policy{DelayLoop: 5 * time.Second, Retry: 1, DelayBeforeRetry: time.Second}
		s := New(Options{Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript})
		s.Set([]RealServerSpec{
			{Key: rsKey("vsA", "10.0.0.1"), Weight: 1, Alpha: true, Checks: []CheckConfig{{Name: "c", Checker: c1, Policy: pol}}},
			{Key: rsKey("vsB", "10.0.0.1"), Weight: 1, Alpha: true, Checks: []CheckConfig{{Name: "c", Checker: c2, Policy: pol}}},
		})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(16 * time.Second)
		synctest.Wait()
		if c1.count()+c2.count() != c1.count() && c1.count()+c2.count() != c2.count() {
			t.Errorf("dedup: both checkers ran (%d, %d)", c1.count(), c2.count())
		}
		v := s.View()
		if v.Checks != 1 || v.CheckedServers != 2 {
			t.Errorf("view: %d checks for %d servers, want 1 for 2", v.Checks, v.CheckedServers)
		}
		// Per check counts by reason, for each server sharing the check:
		// refused at 0 and 5, ok at 10 and 15.
		for _, k := range []RealServerKey{rsKey("vsA", "10.0.0.1"), rsKey("vsB", "10.0.0.1")} {
			res := v.Servers[k].Checks[0].Results
			if res[ReasonRefused] != 2 || res[ReasonOK] != 2 {
				t.Errorf("%s: results refused %d ok %d, want 2 and 2", k, res[ReasonRefused], res[ReasonOK])
			}
		}
		cancel()
		wg.Wait()
		updates, _ := rec.get()
		want := []string{
			"t=0s vsA 10.0.0.1:80 up=false w=1 ok",
			"t=0s vsB 10.0.0.1:80 up=false w=1 ok",
			// failures at 0 and 5 (DOWN already), success at 10 with weight 2, 15 weight 3
			"t=10s vsA 10.0.0.1:80 up=true w=2 ok",
			"t=10s vsB 10.0.0.1:80 up=true w=2 ok",
			"t=15s vsA 10.0.0.1:80 up=true w=3 ok",
			"t=15s vsB 10.0.0.1:80 up=true w=3 ok",
		}
		if diff := cmp.Diff(want, updates); diff != "" {
			t.Errorf("updates (-want +got)\n%s", diff)
		}
	})
}

// TestSchedulerReconfigure: a Set with the same check keeps its state (no
// update); a new check on a server starts from the initial state; a removed
// server's check stops.
func TestSchedulerReconfigure(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{start: time.Now()}
		failing := &scripted{key: "f", fn: func(int) Result { return fail(ReasonBadStatus) }}
		ok := &scripted{key: "ok", fn: func(int) Result { return pass(-1) }}
		pol := Policy{DelayLoop: 2 * time.Second, Retry: 0, DelayBeforeRetry: time.Second}
		a := RealServerSpec{Key: rsKey("vs", "10.0.0.1"), Weight: 1, Checks: []CheckConfig{{Name: "f", Checker: failing, Policy: pol}}}
		b := RealServerSpec{Key: rsKey("vs", "10.0.0.2"), Weight: 1, Checks: []CheckConfig{{Name: "ok", Checker: ok, Policy: pol}}}
		s := New(Options{Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript})
		s.Set([]RealServerSpec{a, b})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(5 * time.Second)
		s.Set([]RealServerSpec{a}) // b removed, a unchanged
		time.Sleep(5 * time.Second)
		synctest.Wait()
		n := ok.count()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ok.count() != n {
			t.Errorf("removed server still checked: %d -> %d", n, ok.count())
		}
		cancel()
		wg.Wait()
		updates, _ := rec.get()
		want := []string{
			"t=0s vs 10.0.0.1:80 up=true w=1 ok",
			"t=0s vs 10.0.0.2:80 up=true w=1 ok",
			"t=0s vs 10.0.0.1:80 up=false w=1 bad_status",
		}
		if diff := cmp.Diff(want, updates); diff != "" {
			t.Errorf("updates (-want +got)\n%s", diff)
		}
	})
}

// TestSchedulerWarmupAndJitter: the first check of each of 50 servers lands
// within warmup, not all at once; later checks are delay_loop apart within
// the jitter.
func TestSchedulerWarmupAndJitter(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var checks []*scripted
		var specs []RealServerSpec
		for i := range 50 {
			c := &scripted{key: fmt.Sprint(i), fn: func(int) Result { return pass(-1) }}
			checks = append(checks, c)
			specs = append(specs, RealServerSpec{Key: rsKey("vs", fmt.Sprintf("10.0.0.%d", i+1)), Weight: 1,
				Checks: []CheckConfig{{Name: "c", Checker: c, Policy: Policy{DelayLoop: 10 * time.Second, Warmup: 5 * time.Second}}}})
		}
		s := New(Options{Jitter: 0.1})
		s.Set(specs)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
		time.Sleep(100 * time.Second)
		cancel()
		wg.Wait()
		firsts := map[time.Duration]bool{}
		for i, c := range checks {
			c.mu.Lock()
			calls := append([]time.Time(nil), c.calls...)
			c.mu.Unlock()
			if len(calls) < 8 {
				t.Fatalf("server %d checked %d times in 100 s", i, len(calls))
			}
			first := calls[0].Sub(start)
			if first < 0 || first >= 5*time.Second {
				t.Fatalf("server %d first checked at %v, want within the 5 s warmup", i, first)
			}
			firsts[first] = true
			for k := 1; k < len(calls); k++ {
				if gap := calls[k].Sub(calls[k-1]); gap < 9*time.Second || gap > 11*time.Second {
					t.Fatalf("server %d: checks %v apart, want 10 s ± 10%%", i, gap)
				}
			}
		}
		if len(firsts) < 40 {
			t.Fatalf("only %d distinct first-check instants for 50 servers", len(firsts))
		}
	})
}

// TestSchedulerInitialStates: a successor scheduler given its predecessor's
// States starts a DOWN real server DOWN (no "configured" UP update, no
// notify script), keeps its failure count, and a check it does not know
// starts as usual.
func TestSchedulerInitialStates(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		pol := Policy{DelayLoop: 10 * time.Second, Retry: 1, DelayBeforeRetry: time.Second}
		failing := func() *scripted { return &scripted{key: "down", fn: func(int) Result { return fail(ReasonRefused) }} }
		specs := func(c *scripted) []RealServerSpec {
			return []RealServerSpec{
				{Key: rsKey("vs1", "10.0.0.1"), Weight: 1, NotifyUp: []string{"/bin/up"}, NotifyDown: []string{"/bin/down"},
					Checks: []CheckConfig{{Name: "c", Checker: c, Policy: pol}}},
				{Key: rsKey("vs1", "10.0.0.2"), Weight: 1, Checks: []CheckConfig{{Name: "n", Checker: &scripted{key: "new", fn: func(int) Result { return pass(-1) }}, Policy: pol}}},
			}
		}
		run := func(s *Scheduler, d time.Duration) {
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); s.Run(ctx) }()
			time.Sleep(d)
			synctest.Wait()
			cancel()
			wg.Wait()
		}
		old := New(Options{Jitter: -1, RunScript: func([]string, *Credential) {}})
		old.Set(specs(failing())[:1])
		run(old, 5*time.Second) // fails at 0 and 1 s: DOWN
		states := old.States()
		if st, ok := states["down|"+fmt.Sprintf("%+v", pol)+"|false"]; !ok || st.Up || st.Failures < 2 {
			t.Fatalf("predecessor states %+v: want the check DOWN with 2+ failures", states)
		}
		rec := &recorder{start: time.Now()}
		next := New(Options{Jitter: -1, OnUpdate: rec.onUpdate, RunScript: rec.runScript, Initial: states})
		next.Set(specs(failing()))
		run(next, 100*time.Millisecond)
		updates, scripts := rec.get()
		want := []string{"t=0s vs1 10.0.0.1:80 up=false w=1 ok", "t=0s vs1 10.0.0.2:80 up=true w=1 ok"}
		if diff := cmp.Diff(want, updates); diff != "" {
			t.Errorf("successor updates (-want +got)\n%s", diff)
		}
		if len(scripts) != 0 {
			t.Errorf("notify scripts ran: %v", scripts)
		}
		if v := next.View(); v.Servers[rsKey("vs1", "10.0.0.1")].Up || v.Servers[rsKey("vs1", "10.0.0.1")].Checks[0].Failures < 2 {
			t.Errorf("successor view %+v: want 10.0.0.1 DOWN with its failures", v.Servers[rsKey("vs1", "10.0.0.1")])
		}
	})
}
