package announce

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// timedWriter records when each frame was written and its EtherType.
type timedWriter struct {
	mu    *sync.Mutex
	sends *[]timedSend
}

type timedSend struct {
	at  time.Time
	arp bool
}

func (w timedWriter) WriteTo(b []byte, _ net.Addr) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	*w.sends = append(*w.sends, timedSend{time.Now(), b[12] == 0x08 && b[13] == 0x06})
	return len(b), nil
}
func (timedWriter) Close() error { return nil }

func fakeAnnouncer(ifname string, mu *sync.Mutex, sends *[]timedSend) *Announcer {
	a := New(ifname)
	a.iface = func(string) (*net.Interface, error) {
		return &net.Interface{Name: ifname, Index: 3, HardwareAddr: mustMAC("02:00:00:00:00:01")}, nil
	}
	a.open = func(*net.Interface) (writer, error) { return timedWriter{mu, sends}, nil }
	return a
}

// TestAnnouncePacing: with vrrp_garp_interval / vrrp_gna_interval, the ARPs
// leaving one interface are the ARP gap apart and the NAs the NA gap apart,
// over all announcers of that interface (keepalived's per-interface delay),
// the first one at once and without blocking the caller; 0 sends the burst
// at once.
func TestAnnouncePacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sends []timedSend
		a := fakeAnnouncer("pace0", &mu, &sends)
		b := fakeAnnouncer("pace0", &mu, &sends) // a second instance on the same interface
		a.SetIntervals(10*time.Millisecond, 30*time.Millisecond)
		b.SetIntervals(10*time.Millisecond, 30*time.Millisecond)
		start := time.Now()
		addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1"), netip.MustParseAddr("10.0.0.2")}
		if err := a.Announce(addrs); err != nil {
			t.Fatal(err)
		}
		if err := b.Announce([]netip.Addr{netip.MustParseAddr("10.0.0.3")}); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) != 0 {
			t.Fatal("Announce blocked")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		var arps, nas []time.Duration
		for _, s := range sends {
			if s.arp {
				arps = append(arps, s.at.Sub(start))
			} else {
				nas = append(nas, s.at.Sub(start))
			}
		}
		wantARP := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond}
		if len(arps) != 3 || arps[0] != wantARP[0] || arps[1] != wantARP[1] || arps[2] != wantARP[2] {
			t.Errorf("ARPs at %v, want %v", arps, wantARP)
		}
		if len(nas) != 1 || nas[0] != 0 {
			t.Errorf("NAs at %v, want [0s]", nas)
		}
		// a second burst of NAs waits for the NA gap
		sends = sends[:0]
		mu.Unlock()
		start = time.Now()
		a.Announce([]netip.Addr{netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")})
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		if len(sends) != 2 || sends[0].at != start || sends[1].at.Sub(start) != 30*time.Millisecond {
			t.Errorf("NA burst: %v", sends)
		}

		// without intervals the burst goes at once, synchronously
		sends = sends[:0]
		mu.Unlock()
		c := fakeAnnouncer("pace1", &mu, &sends)
		c.Announce(addrs)
		mu.Lock()
		if len(sends) != 3 {
			t.Errorf("unpaced burst: %d frames sent by Announce, want 3", len(sends))
		}
	})
}

// TestAnnouncePacingClose: Close drops what is queued.
func TestAnnouncePacingClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sends []timedSend
		a := fakeAnnouncer("pace2", &mu, &sends)
		a.SetIntervals(100*time.Millisecond, 0)
		a.Announce([]netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")})
		a.Close()
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(sends) != 1 {
			t.Errorf("%d frames sent after Close, want the first one only", len(sends))
		}
	})
}
