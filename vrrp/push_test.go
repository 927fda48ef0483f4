package vrrp

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/lvsd/lvsd/vrrp/packet"
)

// The same election and failover as TestElectionFailoverAndGracefulStop,
// over PushConns: the sender's goroutine decodes into the receiver's queue
// and no reader goroutine runs.
func TestPushElectionFailover(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		h.push = true
		t0 := time.Now()
		a := startNode(t, h, baseCfg(1, 200))
		b := startNode(t, h, baseCfg(2, 100))
		settle(10 * time.Second)
		wantState(t, "a", a, StateMaster)
		wantState(t, "b", b, StateBackup)
		if got := a.becameMaster(t).Sub(t0); got != mdi200 {
			t.Errorf("a became master after %v, want %v", got, mdi200)
		}
		if s := b.inst.Stats(); s.AdvertsReceived != 7 || s.Master != nodeIP(1) || s.MasterPriority != 200 {
			t.Errorf("b stats: received %d, master %v/%d", s.AdvertsReceived, s.Master, s.MasterPriority)
		}
		settle(370 * time.Millisecond)
		a.conn.cut.Store(true)
		last := h.lastSend(nodeIP(1)).at
		settle(5 * time.Second)
		wantState(t, "b after failover", b, StateMaster)
		if got := b.becameMaster(t).Sub(last); got != mdi100 {
			t.Errorf("failover %v after the master's last advert, want %v", got, mdi100)
		}
		a.stop(t)
		b.stop(t)
	})
}

func pushTestAdvert(t *testing.T, src netip.Addr, mut func(*packet.Advert)) []byte {
	t.Helper()
	a := packet.Advert{Version: 2, VRID: 51, Priority: 200, AuthType: packet.AuthPass, AuthData: packet.PassData("s3cr3t"), Interval: 1, Addrs: []netip.Addr{vip.Addr()}}
	if mut != nil {
		mut(&a)
	}
	buf := make([]byte, packet.MaxLen)
	n, err := a.MarshalTo(buf, src, packet.Group4, 0)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// Over a PushConn every rejected advert is still counted under its reason,
// and adverts pushed before Run are handled once it runs.
func TestPushDropsCounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHub()
		h.push = true
		b := newNode(t, h, baseCfg(2, 100))
		src := nodeIP(9)
		meta := RecvMeta{Src: src, Dst: packet.Group4, TTL: 255}
		// queued before Run (as on a socket opened before the instance runs)
		b.conn.deliver(pushTestAdvert(t, src, nil), meta)
		b.run()
		ttl64 := meta
		ttl64.TTL = 64
		b.conn.deliver([]byte{0x21, 51}, meta)
		b.conn.deliver(pushTestAdvert(t, src, nil), ttl64)
		b.conn.deliver(pushTestAdvert(t, src, func(a *packet.Advert) { a.Interval = 2 }), meta)
		settle(time.Second)
		s := b.inst.Stats()
		want := map[packet.DropReason]uint64{packet.DropShortPacket: 1, packet.DropBadTTL: 1, packet.DropIntervalMismatch: 1}
		for r := packet.DropReason(0); r < packet.NumDropReasons; r++ {
			if s.Drops[r] != want[r] {
				t.Errorf("drops[%v] = %d, want %d", r, s.Drops[r], want[r])
			}
		}
		if s.AdvertsReceived != 1 || s.Master != src {
			t.Errorf("received %d, master %v; want the advert pushed before Run", s.AdvertsReceived, s.Master)
		}
		b.stop(t)
	})
}

// A valid advert beyond the rxQueue waiting for the instance goroutine is
// dropped as queue_full and not counted as received.
func TestReceiverQueueFull(t *testing.T) {
	b := newNode(t, newHub(), baseCfg(2, 100))
	rx := make(chan rxAdvert, rxQueue)
	deliver := b.inst.receiver(rx)
	src := nodeIP(9)
	for range rxQueue + 1 {
		deliver(pushTestAdvert(t, src, nil), RecvMeta{Src: src, Dst: packet.Group4, TTL: 255})
	}
	s := b.inst.Stats()
	if s.Drops[packet.DropQueueFull] != 1 || s.AdvertsReceived != rxQueue || len(rx) != rxQueue {
		t.Errorf("queue_full %d, received %d, queued %d; want 1, %d, %d", s.Drops[packet.DropQueueFull], s.AdvertsReceived, len(rx), rxQueue, rxQueue)
	}
}
