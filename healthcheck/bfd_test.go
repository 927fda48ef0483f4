package healthcheck

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/config"
)

func TestBFDChecker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := NewBFDStates()
		c := NewBFDChecker("nbr", st)
		if r := c.Check(t.Context()); r.Reason != ReasonBFDDown {
			t.Fatalf("first check %v", r.Detail())
		}
		// Unchanged: waits BFDWait.
		start := time.Now()
		if r := c.Check(t.Context()); r.Reason != ReasonBFDDown || time.Since(start) != BFDWait {
			t.Fatalf("%v after %v", r.Detail(), time.Since(start))
		}
		// A change wakes it at once.
		go func() { time.Sleep(10 * time.Millisecond); st.Set("nbr", true, "") }()
		start = time.Now()
		if r := c.Check(t.Context()); !r.OK() || time.Since(start) != 10*time.Millisecond {
			t.Fatalf("%v after %v", r.Detail(), time.Since(start))
		}
		go func() { time.Sleep(20 * time.Millisecond); st.Set("nbr", false, "Down expired") }()
		r := c.Check(t.Context())
		if r.Reason != ReasonBFDDown || r.Err.Error() != "bfd_instance nbr: Down expired" {
			t.Fatal(r.Detail())
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if r := c.Check(ctx); r.Reason != ReasonBFDDown {
			t.Fatal(r.Detail())
		}
		if r := NewBFDChecker("x", nil).Check(t.Context()); r.Reason != ReasonBFDDown {
			t.Fatal(r.Detail())
		}
	})
}

// bfd_check through FromConfigBFD and the Scheduler: the real server
// follows its session within milliseconds, both ways.
func TestBFDCheckScheduler(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(`[[bfd_instance]]
name = "nbr"
neighbor_ip = "192.0.2.2"
[[virtual_server]]
ip = "10.0.0.1"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
port = 80
[[virtual_server.real_server.bfd_check]]
name = "nbr"
`))
	if err != nil {
		t.Fatal(err)
	}
	st := NewBFDStates()
	specs, err := FromConfigBFD(cfg, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		updates := make(chan Update, 16)
		s := New(Options{Workers: 2, Jitter: -1, OnUpdate: func(u Update) { updates <- u }})
		s.Set(specs)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		synctest.Wait()
		st.Set("nbr", true, "")
		start := time.Now()
		if u := <-updates; !u.Up || time.Since(start) > 2*time.Millisecond {
			t.Fatalf("%+v after %v", u, time.Since(start))
		}
		time.Sleep(5 * time.Second)
		st.Set("nbr", false, "Down expired")
		start = time.Now()
		if u := <-updates; u.Up || u.Reason != ReasonBFDDown || time.Since(start) > 2*time.Millisecond {
			t.Fatalf("%+v after %v", u, time.Since(start))
		}
		cancel()
		<-done
	})
}
