package vrrp

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/packet"
)

// TestPushBackupInline: over a PushConn, a BACKUP outside a sync group
// handles an accepted advert before the push returns (no hop to its
// goroutine, handleInline): the master-down deadline has moved and the
// advert is counted when deliver returns. A master's adverts still go
// through its goroutine, and failover timing is unchanged
// (TestPushElectionFailover).
func TestPushBackupInline(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		h.push = true
		b := newNode(t, h, baseCfg(2, 100))
		b.run()
		settle(time.Second)
		wantState(t, "b", b, StateBackup)
		src := nodeIP(1)
		meta := RecvMeta{Src: src, Dst: packet.Group4, TTL: 255}
		for k := range 3 {
			if k > 0 {
				settle(time.Second)
			}
			now := time.Now()
			b.conn.deliver(pushTestAdvert(t, src, nil), meta)
			// no synctest.Wait: the instance goroutine has not run
			b.inst.ownLock.Lock()
			d := b.inst.m.Deadline()
			b.inst.ownLock.Unlock()
			if want := now.Add(mdi100); !d.Equal(want) {
				t.Errorf("deadline %v after deliver returned, want %v (now + Master_Down_Interval)", d.Sub(now), mdi100)
			}
		}
		if s := b.inst.Stats(); s.AdvertsReceived != 3 || s.Master != src || s.State != StateBackup {
			t.Errorf("stats: received %d, master %v, state %v", s.AdvertsReceived, s.Master, s.State)
		}
		// the deadline moved by the reader: the old timer does not fire
		settle(3500 * time.Millisecond)
		wantState(t, "b within Master_Down_Interval of the last advert", b, StateBackup)
		settle(200 * time.Millisecond)
		wantState(t, "b after Master_Down_Interval", b, StateMaster)
		b.stop(t)
	})
}
