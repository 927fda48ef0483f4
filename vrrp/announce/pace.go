package announce

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Pacing of announcements (keepalived's vrrp_garp_interval and
// vrrp_gna_interval): successive gratuitous ARPs sent out of one interface
// are at least the ARP interval apart, successive unsolicited NAs at least
// the NA interval, counted over every instance sending on that interface as
// keepalived does (its per-interface garp_delay). A frame that may not go
// yet is queued and sent by a goroutine of its Announcer, so that the
// instance goroutine never sleeps (keepalived queues them too).

// slots hands out send times per interface and frame kind.
var slots = struct {
	mu   sync.Mutex
	next map[slotKey]time.Time
}{next: map[slotKey]time.Time{}}

type slotKey struct {
	ifname string
	na     bool
}

// reserve returns when the next frame of the kind may leave ifname (now or
// later) and books the slot after it gap later.
func reserve(ifname string, na bool, gap time.Duration, now time.Time) time.Time {
	slots.mu.Lock()
	defer slots.mu.Unlock()
	k := slotKey{ifname, na}
	at := now
	if n, ok := slots.next[k]; ok && n.After(now) {
		at = n
	}
	slots.next[k] = at.Add(gap)
	return at
}

// queued is a frame waiting for its slot.
type queued struct {
	ifi   *net.Interface
	frame []byte
	addr  netip.Addr
	at    time.Time
}

// SetIntervals sets the minimum gaps between gratuitous ARPs and between
// unsolicited NAs sent out of the Announcer's interface (0: none, the
// default). Call it before the first Announce.
func (a *Announcer) SetIntervals(garp, gna time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.garpGap, a.gnaGap = max(garp, 0), max(gna, 0)
}

// SetPacingGroup makes the Announcer's frames share their pacing with every
// Announcer of the same group (keepalived's garp_group with several
// interfaces: one garp_interval / gna_interval over all of them) instead
// of with those of its interface only. "" restores the interface's own.
// Call it before the first Announce.
func (a *Announcer) SetPacingGroup(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.group = name
}

// slotKey is the key of the pacing slots; a.mu is held.
func (a *Announcer) slotKey() string {
	if a.group != "" {
		return "\x00group " + a.group // never an interface name
	}
	return a.ifname
}

// gap is the interval for a frame announcing addr.
func (a *Announcer) gap(addr netip.Addr) (time.Duration, bool) {
	if addr.Unmap().Is4() {
		return a.garpGap, false
	}
	return a.gnaGap, true
}

// drain sends the queued frames at their times. It runs while the queue of
// generation gen is not empty; Close starts a new generation and drops the
// queue.
func (a *Announcer) drain(gen uint64) {
	for {
		a.mu.Lock()
		if a.gen != gen || len(a.queue) == 0 {
			if a.gen == gen {
				a.draining = false
			}
			a.mu.Unlock()
			return
		}
		q := a.queue[0]
		a.mu.Unlock()
		if d := time.Until(q.at); d > 0 {
			time.Sleep(d)
		}
		a.mu.Lock()
		if a.gen != gen {
			a.mu.Unlock()
			return
		}
		a.queue = a.queue[1:]
		if err := a.sendLocked(q.ifi, q.frame, q.addr); err != nil {
			// reported by the next Announce
			a.asyncErr = err
		}
		a.mu.Unlock()
	}
}
