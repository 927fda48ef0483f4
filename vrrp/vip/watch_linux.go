package vip

import (
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// table is the namespace's interfaces and addresses, kept current by
// rtnetlink notifications, so that a master checking its VIPs every advert
// interval costs no system call: with hundreds of instances, one address
// dump per instance per second would dominate lvsd's CPU use.
//
// It subscribes first and then dumps, applying the notifications that
// arrived meanwhile after the dump, in order, so the table converges to the
// kernel's. When a subscription fails (its channel closes, e.g. on a
// receive buffer overrun), the table is marked stale, callers fall back to
// dumps, and it resubscribes and dumps again.
type table struct {
	ns  netns.NsHandle // the namespace the Manager was created in
	mon RcvBuf         // the monitors' receive buffer

	// mu guards the fields below.
	mu      sync.Mutex
	ok      bool                          // subscribed and filled
	links   map[string]int                // name to index
	addrs   map[int]map[netip.Prefix]bool // index to its addresses
	done    chan struct{}                 // closed by close
	backlog []func()                      // updates received while dumping
	dumping bool

	// changed gets a token (capacity 1, never blocking) after each link
	// notification and each fill: LinkChanges.
	changed chan struct{}
}

// resubscribeDelay spaces the attempts after a failed subscription.
const resubscribeDelay = time.Second

func newTable(mon RcvBuf) (*table, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("vip: current network namespace: %w", err)
	}
	t := &table{ns: ns, mon: mon, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	go t.run()
	return t, nil
}

func (t *table) close() {
	close(t.done)
}

// run keeps the table subscribed until close.
func (t *table) run() {
	defer t.ns.Close()
	for {
		stop := make(chan struct{})
		lch := make(chan netlink.LinkUpdate, 256)
		ach := make(chan netlink.AddrUpdate, 1024)
		err := netlink.LinkSubscribeWithOptions(lch, stop, netlink.LinkSubscribeOptions{Namespace: &t.ns,
			ReceiveBufferSize: t.mon.Size, ReceiveBufferForceSize: t.mon.Force})
		if err == nil {
			err = netlink.AddrSubscribeWithOptions(ach, stop, netlink.AddrSubscribeOptions{Namespace: &t.ns,
				ReceiveBufferSize: t.mon.Size, ReceiveBufferForceSize: t.mon.Force})
		}
		if err == nil {
			t.fill()
			t.follow(lch, ach)
		}
		close(stop)
		t.mu.Lock()
		t.ok = false
		t.mu.Unlock()
		select {
		case <-t.done:
			return
		case <-time.After(resubscribeDelay):
		}
	}
}

// fill dumps links and addresses, then applies the updates that arrived
// during the dump.
func (t *table) fill() {
	t.mu.Lock()
	t.dumping = true
	t.backlog = t.backlog[:0]
	t.mu.Unlock()
	links, addrs, err := dump(t.ns)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dumping = false
	if err != nil {
		t.ok = false
		return
	}
	t.links, t.addrs = links, addrs
	for _, f := range t.backlog {
		f()
	}
	t.backlog = nil
	t.ok = true
	t.signal()
}

// signal tells the LinkChanges reader that the links may have changed.
func (t *table) signal() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func dump(ns netns.NsHandle) (map[string]int, map[int]map[netip.Prefix]bool, error) {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	var list []netlink.Link
	for range retries {
		if list, err = h.LinkList(); err == nil || !isInterrupted(err) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var al []netlink.Addr
	for range retries {
		if al, err = h.AddrList(nil, netlink.FAMILY_ALL); err == nil || !isInterrupted(err) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	links := make(map[string]int, len(list))
	for _, l := range list {
		links[l.Attrs().Name] = l.Attrs().Index
	}
	addrs := map[int]map[netip.Prefix]bool{}
	for _, a := range al {
		if p, ok := prefixOf(a.IPNet.IP, a.IPNet.Mask); ok {
			if addrs[a.LinkIndex] == nil {
				addrs[a.LinkIndex] = map[netip.Prefix]bool{}
			}
			addrs[a.LinkIndex][p] = true
		}
	}
	return links, addrs, nil
}

// follow applies notifications until a subscription ends or close.
func (t *table) follow(lch <-chan netlink.LinkUpdate, ach <-chan netlink.AddrUpdate) {
	for {
		select {
		case <-t.done:
			return
		case u, ok := <-lch:
			if !ok {
				return
			}
			name, idx, del := u.Attrs().Name, u.Attrs().Index, u.Header.Type == unix.RTM_DELLINK
			t.apply(func() {
				if del {
					if t.links[name] == idx {
						delete(t.links, name)
					}
					delete(t.addrs, idx)
					return
				}
				t.links[name] = idx
			})
			t.signal()
		case u, ok := <-ach:
			if !ok {
				return
			}
			p, valid := prefixOf(u.LinkAddress.IP, u.LinkAddress.Mask)
			if !valid {
				continue
			}
			idx, add := u.LinkIndex, u.NewAddr
			t.apply(func() {
				if add {
					if t.addrs[idx] == nil {
						t.addrs[idx] = map[netip.Prefix]bool{}
					}
					t.addrs[idx][p] = true
				} else {
					delete(t.addrs[idx], p)
				}
			})
		}
	}
}

// apply runs f on the table now, or after the dump in progress.
func (t *table) apply(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dumping {
		t.backlog = append(t.backlog, f)
		return
	}
	if t.links != nil {
		f()
	}
}

// missing reports which addresses are absent; ok is false when the table
// is not current (the caller then asks the kernel).
func (t *table) missing(addrs []Address) (missing []Address, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ok {
		return nil, false
	}
	for _, a := range addrs {
		idx, known := t.links[a.Dev]
		if !known || !t.addrs[idx][a.Prefix] {
			missing = append(missing, a)
		}
	}
	return missing, true
}

func prefixOf(ip []byte, mask []byte) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones := 0
	for _, b := range mask {
		for ; b&0x80 != 0; b <<= 1 {
			ones++
		}
	}
	return netip.PrefixFrom(a, ones), true
}

// linkIndexes copies the interfaces' indexes by name; ok is false when the
// table is not current.
func (t *table) linkIndexes() (idx map[string]int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ok {
		return nil, false
	}
	return maps.Clone(t.links), true
}
