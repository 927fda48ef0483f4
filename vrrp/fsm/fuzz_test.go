package fsm

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzMachine drives a machine with arbitrary event sequences and checks
// invariants after every step:
//   - the addresses are installed exactly while the state is Master;
//   - Transition actions chain (From is the previous state, To the new one)
//     and appear exactly when the state changes, except that Inherit
//     leaves Init for Master or Backup without one;
//   - a master always has an advert deadline not in the past, a backup a
//     master-down deadline unless it waits for its group, other states none;
//   - adverts are only sent as or when becoming master, or with priority 0
//     when leaving master;
//   - the effective priority stays within 1..255 and the owner's is 255.
func FuzzMachine(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 2, 200, 1, 9, 1, 1, 3, 0, 2, 0, 5, 1, 5, 0, 1, 1})
	f.Add([]byte{10, 0, 1, 1, 11, 12, 1, 13, 1, 4})
	f.Add([]byte{0, 100, 1, 240, 1, 3, 200, 1})
	f.Add([]byte{4, 100, 1, 241, 1, 1, 11, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 3 {
			return
		}
		cfg := Config{
			Version:        2 + ops[0]&1,
			Priority:       max(1, ops[1]),
			AdvertInterval: time.Duration(1+ops[2]%100) * 10 * time.Millisecond,
			NoPreempt:      ops[0]&2 != 0,
			PreemptDelay:   time.Duration(ops[0]>>4) * 100 * time.Millisecond,
			LocalAddr:      addr2,
		}
		if cfg.Version == 2 {
			cfg.AdvertInterval = time.Duration(1+ops[2]%3) * time.Second
		}
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.SetGated(ops[0]&4 != 0)
		now := t0
		installed := false
		var out []Action
		srcs := []netip.Addr{addr1, addr2, addr3}
		for k := 3; k < len(ops); k++ {
			op := ops[k]
			arg := byte(0)
			if k+1 < len(ops) {
				arg = ops[k+1]
			}
			before := m.State()
			out = out[:0]
			quiet := false // Inherit: the state may change without a Transition
			switch {
			case op >= 240:
				st := Backup
				if op&1 == 0 {
					st = Master
				}
				out = m.Inherit(now, st, out)
				quiet = before == Init
			case op%14 == 0:
				out = m.Start(now, out)
			case op%14 == 1 || op%14 == 2: // time passes to the deadline, or a bit
				if d := m.Deadline(); !d.IsZero() && op%14 == 1 {
					now = d
				} else {
					now = advance(now, m.Deadline(), time.Duration(arg)*7*time.Millisecond)
				}
				out = m.Timer(now, out)
			case op%14 >= 3 && op%14 <= 5:
				out = m.Advert(now, Advert{Priority: arg, Interval: time.Duration(1+arg%50) * 10 * time.Millisecond, Src: srcs[int(arg)%3]}, out)
				k++
			case op%14 == 6:
				out = m.Shutdown(now, out)
			case op%14 == 7:
				out = m.SetFault(now, arg&1 == 1, out)
				k++
			case op%14 == 8:
				out = m.SetPriority(now, int(arg)-20, out)
				k++
			case op%14 == 9:
				out = m.SetSyncFault(now, arg&1 == 1, out)
				k++
			case op%14 == 10:
				out = m.SyncMaster(now, out)
			case op%14 == 11:
				out = m.SyncBackup(now, out)
			case op%14 == 12:
				out = m.Resume(now, out)
			default:
				// Time passes, but the runner fires the timer at the deadline.
				now = advance(now, m.Deadline(), time.Duration(arg)*time.Millisecond)
			}
			after := m.State()
			cur := before
			for _, a := range out {
				switch a.Kind {
				case AddVIPs:
					installed = true
				case RemoveVIPs:
					installed = false
				case SendAdvert:
					// As master, becoming master (the advert precedes the
					// Transition action), or priority 0 when leaving master.
					if cur != Master && after != Master && !(a.Priority == 0 && before == Master) {
						t.Fatalf("op %d: advert prio %d sent in %v", op, a.Priority, cur)
					}
				case Announce:
					// Only a master announces (a resumed one with its
					// first periodic advert, never after stepping down).
					if cur != Master && after != Master {
						t.Fatalf("op %d: announcement %d in %v", op, a.Announce, cur)
					}
				case Transition:
					if a.From != cur || a.To == cur {
						t.Fatalf("op %d: transition %v->%v from state %v", op, a.From, a.To, cur)
					}
					cur = a.To
				}
			}
			if cur != after && !(quiet && cur == Init && (after == Master || after == Backup)) {
				t.Fatalf("op %d: state %v but transitions end in %v", op, after, cur)
			}
			if installed != (after == Master) {
				t.Fatalf("op %d: VIPs installed=%v in %v (actions %v)", op, installed, after, out)
			}
			d := m.Deadline()
			switch after {
			case Master:
				if d.IsZero() || d.Before(now) {
					t.Fatalf("op %d: master deadline %v before now %v", op, d.Sub(t0), now.Sub(t0))
				}
			case Backup:
				if d.IsZero() != m.WantsMaster() {
					t.Fatalf("op %d: backup deadline %v, wants master %v", op, d, m.WantsMaster())
				}
			default:
				if !d.IsZero() {
					t.Fatalf("op %d: deadline %v in %v", op, d, after)
				}
			}
			if p := m.Priority(); p == 0 || (cfg.Priority == 255 && p != 255) {
				t.Fatalf("op %d: priority %d", op, p)
			}
		}
	})
}

// advance returns now+d, but not past a pending deadline.
func advance(now, deadline time.Time, d time.Duration) time.Time {
	next := now.Add(d)
	if !deadline.IsZero() && next.After(deadline) && !now.After(deadline) {
		return deadline
	}
	return next
}
