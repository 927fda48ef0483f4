package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lvsd/lvsd/vrrp"
)

// TestStateWriterHeartbeatOnlyAsMaster: while every instance is BACKUP the
// state writer records no heartbeat (its ticker is stopped: no wakeup a
// second); the kick of the transition to MASTER starts it, and the file's
// modification time then follows the master's adverts.
func TestStateWriterHeartbeatOnlyAsMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		k.setLink("eth9", 3)
		d := newDaemon(parseConfig(t, relinkBase), slog.New(slog.DiscardHandler))
		kick := make(chan struct{}, 1)
		d.stateKick = kick
		d.kernel, d.runScript = k, slowScript(0)
		if err := d.vrrp.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer stopFake(t, d)
		path := filepath.Join(t.TempDir(), "state.json")
		o := newOps("lvsd.toml", opsFlags{stateFile: path}, slog.New(slog.DiscardHandler))
		o.d = d
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); o.stateWriter(ctx, kick) }()
		defer func() { cancel(); <-done }()

		time.Sleep(2 * time.Second)
		synctest.Wait()
		if relinkState(d) != vrrp.StateBackup {
			t.Fatalf("state %v after 2 s, want BACKUP", relinkState(d))
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(time.Unix(0, 0)) {
			t.Errorf("heartbeat %v recorded while BACKUP, want the epoch", st.ModTime())
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if relinkState(d) != vrrp.StateMaster {
			t.Fatalf("state %v after 7 s, want MASTER", relinkState(d))
		}
		st, err = os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if age := time.Since(st.ModTime()); age < 0 || age > 2*time.Second {
			t.Errorf("heartbeat %v old as MASTER, want within two advert intervals (one tick, one advert)", age)
		}
	})
}

// TestHeartbeatMode: the state writer ticks while an instance is MASTER
// or still INIT. An instance that takes a predecessor's MASTER over
// quietly (an upgrade, a reload's hand-over) makes no transition, so no
// kick: a writer that stopped ticking when it saw only INIT instances
// never recorded the new process's heartbeat, and a restart after an
// upgrade did not resume (seen once in make test).
func TestHeartbeatMode(t *testing.T) {
	for _, c := range []struct {
		states         []vrrp.State
		tick, starting bool
	}{
		{nil, false, false},
		{[]vrrp.State{vrrp.StateBackup, vrrp.StateFault}, false, false},
		{[]vrrp.State{vrrp.StateBackup, vrrp.StateMaster}, true, false},
		{[]vrrp.State{vrrp.StateInit}, true, true},
		{[]vrrp.State{vrrp.StateBackup, vrrp.StateInit}, true, true},
	} {
		if tick, starting := heartbeatMode(c.states); tick != c.tick || starting != c.starting {
			t.Errorf("%v: tick %v starting %v, want %v %v", c.states, tick, starting, c.tick, c.starting)
		}
	}
}
