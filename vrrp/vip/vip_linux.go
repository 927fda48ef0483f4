package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Address is one virtual address (keepalived's virtual_ipaddress line).
type Address struct {
	Prefix        netip.Prefix // address and prefix length
	Dev           string       // interface carrying it (required)
	Brd           netip.Addr   // broadcast (IPv4); zero: computed by the kernel library
	Scope         uint8        // RT_SCOPE_*: 0 global (default), 200 site, 253 link, 254 host, 255 nowhere
	Label         string       // IPv4 label, e.g. "eth0:1"
	NoPrefixRoute bool         // IFA_F_NOPREFIXROUTE
	NoDAD         bool         // IFA_F_NODAD (IPv6)
}

func (a Address) String() string { return a.Prefix.String() + " dev " + a.Dev }

// Route is one virtual route (keepalived's virtual_routes line).
type Route struct {
	Dst       netip.Prefix
	Src       netip.Addr
	Via       netip.Addr
	Dev       string
	Metric    int
	Table     int   // 0: main
	Scope     uint8 // RT_SCOPE_*; 0 (global) becomes link for a route with a device and no gateway, as ip(8) does
	Protocol  uint8 // RTPROT_*; 0: boot (as ip route)
	Blackhole bool
	// Nexthops make a multipath route (RTA_MULTIPATH); Via and Dev are
	// then empty.
	Nexthops []Nexthop
}

// Nexthop is one path of a multipath route.
type Nexthop struct {
	Via    netip.Addr
	Dev    string
	Weight int // 1..256
}

func (r Route) String() string {
	s := r.Dst.String()
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	return s
}

// Manager applies addresses and routes in the network namespace it was
// created in.
type Manager struct {
	h   *netlink.Handle
	tab *table // nil: every MissingVIPs asks the kernel

	// mu guards arp: the ARP settings of the parents of our VMACs, saved
	// when the first VMAC on a parent was created and put back when its
	// last one is removed.
	mu  sync.Mutex
	arp map[string]*savedARP
	// promote (guarded by mu) counts the promote_secondaries users of an
	// interface (promote_linux.go).
	promote map[string]*savedPromote

	// The address and route requests run on one goroutine of the Manager
	// (call): a netlink receive keeps a 64 KB buffer on its caller's stack
	// (vishvananda/netlink's Receive), and each VRRP instance goroutine
	// that made one kept a 128 KB stack (33 MB at 250 instances).
	// callMu serialises the callers and guards closed.
	callMu sync.Mutex
	closed bool
	reqs   chan func()
	ack    chan struct{}
}

type savedARP struct {
	vmacs  map[string]bool
	ignore string // net.ipv4.conf.PARENT.arp_ignore before us
	filter string // net.ipv4.conf.PARENT.arp_filter before us
}

// New opens a netlink handle in the current network namespace and starts
// following its addresses (see table).
func New() (*Manager, error) { return NewWithOptions(Options{}) }

// NewWithOptions is New with the sockets' receive buffers (rcvbuf_linux.go).
func NewWithOptions(o Options) (*Manager, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("vip: netlink: %w", err)
	}
	if o.Cmd.Size > 0 {
		if err := h.SetSocketReceiveBufferSize(o.Cmd.Size, o.Cmd.Force); err != nil {
			h.Close()
			return nil, fmt.Errorf("vip: netlink: %s %d: %w", o.Cmd.opt(), o.Cmd.Size, err)
		}
	}
	tab, err := newTable(o.Monitor)
	if err != nil {
		h.Close()
		return nil, err
	}
	m := &Manager{h: h, tab: tab, arp: map[string]*savedARP{}, reqs: make(chan func()), ack: make(chan struct{})}
	go m.serve()
	return m, nil
}

// serve runs the requests call hands over until Close.
func (m *Manager) serve() {
	for f := range m.reqs {
		f()
		m.ack <- struct{}{}
	}
}

// call runs f on the Manager's request goroutine and waits for it; after
// Close (or without one) it runs f on the caller's.
func (m *Manager) call(f func()) {
	m.callMu.Lock()
	defer m.callMu.Unlock()
	if m.reqs == nil || m.closed {
		f()
		return
	}
	m.reqs <- f
	<-m.ack
}

// Close releases the netlink handle and stops following the addresses.
func (m *Manager) Close() error {
	m.callMu.Lock()
	if !m.closed && m.reqs != nil {
		close(m.reqs)
	}
	m.closed = true
	m.callMu.Unlock()
	m.h.Close()
	if m.tab != nil {
		m.tab.close()
	}
	return nil
}

// scopes maps ip(8)'s scope names to rtnetlink scopes.
var scopes = map[string]netlink.Scope{
	"":        netlink.SCOPE_UNIVERSE,
	"global":  netlink.SCOPE_UNIVERSE,
	"site":    netlink.SCOPE_SITE,
	"link":    netlink.SCOPE_LINK,
	"host":    netlink.SCOPE_HOST,
	"nowhere": netlink.SCOPE_NOWHERE,
}

// ParseScope returns the rtnetlink scope (RT_SCOPE_*) of an ip(8) scope
// name or number.
func ParseScope(s string) (uint8, error) {
	if sc, ok := scopes[strings.ToLower(s)]; ok {
		return uint8(sc), nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("vip: unknown scope %q", s)
	}
	return uint8(n), nil
}

func (m *Manager) link(name string) (netlink.Link, error) {
	l, err := m.h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("vip: interface %q: %w", name, err)
	}
	return l, nil
}

func toNL(a Address, link netlink.Link) (*netlink.Addr, error) {
	return NetlinkAddr(a, link.Attrs().Index), nil
}

// NetlinkAddr is the netlink request for an address on the interface with
// index ifindex (a.Dev names it). Every other field of a reaches the request.
func NetlinkAddr(a Address, ifindex int) *netlink.Addr {
	na := &netlink.Addr{
		IPNet:     &net.IPNet{IP: a.Prefix.Addr().AsSlice(), Mask: net.CIDRMask(a.Prefix.Bits(), a.Prefix.Addr().BitLen())},
		Label:     a.Label,
		Scope:     int(a.Scope),
		LinkIndex: ifindex,
	}
	switch {
	case a.Brd.IsValid():
		na.Broadcast = a.Brd.AsSlice()
	case a.Prefix.Addr().Is4():
		// Like keepalived (netlink_ipaddress sends IFA_BROADCAST only for
		// a configured brd), no broadcast address: the netlink library
		// would compute one for a nil Broadcast, 0.0.0.0 means none.
		na.Broadcast = net.IPv4zero.To4()
	}
	if a.NoPrefixRoute {
		na.Flags |= unix.IFA_F_NOPREFIXROUTE
	}
	if a.NoDAD && a.Prefix.Addr().Is6() {
		na.Flags |= unix.IFA_F_NODAD
	}
	return na
}

// AddVIPs adds the addresses; addresses already present count as added.
func (m *Manager) AddVIPs(ctx context.Context, addrs []Address) (err error) {
	m.call(func() { err = m.addVIPs(ctx, addrs) })
	return err
}

func (m *Manager) addVIPs(ctx context.Context, addrs []Address) error {
	var errs []error
	for _, a := range addrs {
		if err := ctx.Err(); err != nil {
			return err
		}
		link, err := m.link(a.Dev)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		na, err := toNL(a, link)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.h.AddrAdd(link, na); err != nil && !errors.Is(err, unix.EEXIST) {
			errs = append(errs, fmt.Errorf("vip: add %s: %w", a, err))
		}
	}
	return errors.Join(errs...)
}

// DelVIPs removes the addresses; addresses already absent count as removed,
// and so does a missing interface.
func (m *Manager) DelVIPs(ctx context.Context, addrs []Address) (err error) {
	m.call(func() { err = m.delVIPs(ctx, addrs) })
	return err
}

func (m *Manager) delVIPs(ctx context.Context, addrs []Address) error {
	var errs []error
	for _, a := range addrs {
		if err := ctx.Err(); err != nil {
			return err
		}
		link, err := m.h.LinkByName(a.Dev)
		if err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) || errors.Is(err, unix.ENODEV) {
				continue
			}
			errs = append(errs, fmt.Errorf("vip: interface %q: %w", a.Dev, err))
			continue
		}
		na, err := toNL(a, link)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.h.AddrDel(link, na); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("vip: delete %s: %w", a, err))
		}
	}
	return errors.Join(errs...)
}

// retries bounds the retries of an interrupted dump.
const retries = 5

func isInterrupted(err error) bool { return errors.Is(err, netlink.ErrDumpInterrupted) }

func (m *Manager) addrList(link netlink.Link, family int) ([]netlink.Addr, error) {
	var (
		list []netlink.Addr
		err  error
	)
	for range retries {
		list, err = m.h.AddrList(link, family)
		if !isInterrupted(err) {
			break
		}
	}
	return list, err
}

// MissingVIPs returns the addresses that are not on their interface (an
// address counts as present when address and prefix length match). It
// answers from the in-memory table without a system call when nothing is
// missing; what the table reports missing is confirmed with the kernel.
func (m *Manager) MissingVIPs(ctx context.Context, addrs []Address) ([]Address, error) {
	if m.tab != nil {
		cand, ok := m.tab.missing(addrs)
		if ok && len(cand) == 0 {
			return nil, nil
		}
		if ok {
			addrs = cand
		}
	}
	var (
		missing []Address
		err     error
	)
	m.call(func() { missing, err = m.missingFromKernel(ctx, addrs) })
	return missing, err
}

func (m *Manager) missingFromKernel(ctx context.Context, addrs []Address) ([]Address, error) {
	var missing []Address
	present := map[string]map[netip.Prefix]bool{} // by device
	for _, a := range addrs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		set, ok := present[a.Dev]
		if !ok {
			link, err := m.h.LinkByName(a.Dev)
			if err != nil {
				var nf netlink.LinkNotFoundError
				if errors.As(err, &nf) {
					missing = append(missing, a)
					continue
				}
				return nil, fmt.Errorf("vip: interface %q: %w", a.Dev, err)
			}
			list, err := m.addrList(link, netlink.FAMILY_ALL)
			if err != nil {
				return nil, fmt.Errorf("vip: list addresses of %s: %w", a.Dev, err)
			}
			set = map[netip.Prefix]bool{}
			for _, na := range list {
				ip, ok := netip.AddrFromSlice(na.IP)
				if !ok {
					continue
				}
				ones, _ := na.Mask.Size()
				set[netip.PrefixFrom(ip.Unmap(), ones)] = true
			}
			present[a.Dev] = set
		}
		if !set[a.Prefix] {
			missing = append(missing, a)
		}
	}
	return missing, nil
}

// NetlinkRoute is the netlink request for a route; index resolves a device
// name to its interface index. Every field of r reaches the request.
func NetlinkRoute(r Route, index func(dev string) (int, error)) (*netlink.Route, error) {
	nr := &netlink.Route{
		Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
		Priority: r.Metric,
		Table:    r.Table,
		Family:   netlink.FAMILY_V4,
		Protocol: netlink.RouteProtocol(r.Protocol),
	}
	if r.Protocol == 0 {
		nr.Protocol = unix.RTPROT_BOOT
	}
	if r.Dst.Addr().Is6() {
		nr.Family = netlink.FAMILY_V6
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Blackhole {
		if r.Via.IsValid() || r.Dev != "" {
			return nil, fmt.Errorf("vip: blackhole route %s with a gateway or device", r.Dst)
		}
		nr.Type = unix.RTN_BLACKHOLE
	}
	if r.Via.IsValid() {
		nr.Gw = r.Via.AsSlice()
	}
	if r.Dev != "" {
		i, err := index(r.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = i
	}
	if len(r.Nexthops) > 0 && (r.Via.IsValid() || r.Dev != "" || r.Blackhole) {
		return nil, fmt.Errorf("vip: multipath route %s with a route-level gateway, device or blackhole", r.Dst)
	}
	for _, nh := range r.Nexthops {
		if nh.Weight < 1 || nh.Weight > 256 {
			return nil, fmt.Errorf("vip: route %s: nexthop weight %d out of 1..256", r.Dst, nh.Weight)
		}
		ni := &netlink.NexthopInfo{Hops: nh.Weight - 1} // rtnh_hops is the weight minus one
		if nh.Via.IsValid() {
			ni.Gw = nh.Via.AsSlice()
		}
		if nh.Dev != "" {
			i, err := index(nh.Dev)
			if err != nil {
				return nil, err
			}
			ni.LinkIndex = i
		}
		nr.MultiPath = append(nr.MultiPath, ni)
	}
	switch {
	case r.Scope != 0:
		nr.Scope = netlink.Scope(r.Scope)
	case !r.Via.IsValid() && !r.Blackhole && r.Dev != "":
		nr.Scope = netlink.SCOPE_LINK
	}
	return nr, nil
}

func (m *Manager) toNLRoute(r Route) (*netlink.Route, error) {
	return NetlinkRoute(r, func(dev string) (int, error) {
		l, err := m.link(dev)
		if err != nil {
			return 0, err
		}
		return l.Attrs().Index, nil
	})
}

// AddRoutes adds the routes; a route already present counts as added.
func (m *Manager) AddRoutes(ctx context.Context, routes []Route) (err error) {
	m.call(func() { err = m.addRoutes(ctx, routes) })
	return err
}

func (m *Manager) addRoutes(ctx context.Context, routes []Route) error {
	var errs []error
	for _, r := range routes {
		if err := ctx.Err(); err != nil {
			return err
		}
		nr, err := m.toNLRoute(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("vip: route %s: %w", r, err))
			continue
		}
		if err := m.h.RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
			errs = append(errs, fmt.Errorf("vip: add route %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// DelRoutes removes the routes; a route already absent counts as removed.
func (m *Manager) DelRoutes(ctx context.Context, routes []Route) (err error) {
	m.call(func() { err = m.delRoutes(ctx, routes) })
	return err
}

func (m *Manager) delRoutes(ctx context.Context, routes []Route) error {
	var errs []error
	for _, r := range routes {
		if err := ctx.Err(); err != nil {
			return err
		}
		nr, err := m.toNLRoute(r)
		if err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				continue // the interface went away with its routes
			}
			errs = append(errs, fmt.Errorf("vip: route %s: %w", r, err))
			continue
		}
		if err := m.h.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("vip: delete route %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// VMACAddr is the virtual router MAC address of a VRID: 00:00:5e:00:01:VRID
// for IPv4, 00:00:5e:00:02:VRID for IPv6.
func VMACAddr(vrid uint8, ipv6 bool) net.HardwareAddr {
	if ipv6 {
		return net.HardwareAddr{0, 0, 0x5e, 0, 2, vrid}
	}
	return net.HardwareAddr{0, 0, 0x5e, 0, 1, vrid}
}

// EnsureVMAC creates (or reuses) the macvlan name on parent with the VRID's
// virtual MAC, in private mode as keepalived does, and sets it up. It
// returns the interface index.
func (m *Manager) EnsureVMAC(name, parent string, vrid uint8, ipv6 bool) (int, error) {
	mac := VMACAddr(vrid, ipv6)
	p, err := m.link(parent)
	if err != nil {
		return 0, err
	}
	if l, err := m.h.LinkByName(name); err == nil {
		mv, ok := l.(*netlink.Macvlan)
		if !ok || l.Attrs().ParentIndex != p.Attrs().Index || l.Attrs().HardwareAddr.String() != mac.String() {
			return 0, fmt.Errorf("vip: interface %s exists and is not the VMAC %s on %s", name, mac, parent)
		}
		if err := m.h.LinkSetUp(mv); err != nil {
			return 0, fmt.Errorf("vip: set %s up: %w", name, err)
		}
		if err := m.arpSetup(name, parent); err != nil {
			return 0, err
		}
		return l.Attrs().Index, nil
	}
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: p.Attrs().Index, HardwareAddr: mac},
		Mode:      netlink.MACVLAN_MODE_PRIVATE,
	}
	if err := m.h.LinkAdd(mv); err != nil {
		return 0, fmt.Errorf("vip: add macvlan %s on %s: %w", name, parent, err)
	}
	l, err := m.link(name)
	if err != nil {
		return 0, err
	}
	if ipv6 {
		// Every router of the group has this MAC, so the link-local address
		// the kernel would derive from it is the same everywhere and fails
		// duplicate address detection. The VMAC gets none of its own and
		// sends from the parent's link-local address instead.
		if err := m.h.LinkSetIP6AddrGenMode(l, nl.IN6_ADDR_GEN_MODE_NONE); err != nil {
			_ = m.h.LinkDel(l)
			return 0, fmt.Errorf("vip: %s: no IPv6 address generation: %w", name, err)
		}
	}
	if err := m.h.LinkSetUp(l); err != nil {
		_ = m.h.LinkDel(l)
		return 0, fmt.Errorf("vip: set %s up: %w", name, err)
	}
	if ipv6 {
		if err := m.copyLinkLocal(p, l); err != nil {
			_ = m.h.LinkDel(l)
			return 0, err
		}
	}
	if err := m.arpSetup(name, parent); err != nil {
		_ = m.h.LinkDel(l)
		return 0, err
	}
	return l.Attrs().Index, nil
}

// arpSetup makes the VMAC the only interface that answers ARP for its
// addresses, as keepalived does: with the kernel's default (arp_ignore 0)
// every interface answers for every local address, so the parent would
// answer for the VIPs with its own MAC, and a backup's VMAC for the
// parent's address with the group's shared MAC. arp_ignore 1 answers only
// for addresses of the receiving interface; arp_filter 1 on the parent
// answers only where the reply would be routed.
func (m *Manager) arpSetup(vmac, parent string) error {
	return m.inNS(func() error { return m.arpSetupHere(vmac, parent) })
}

func (m *Manager) arpSetupHere(vmac, parent string) error {
	if err := writeSysctl("net/ipv4/conf/"+vmac+"/arp_ignore", "1"); err != nil {
		return err
	}
	// keepalived sets promote_secondaries on its VMACs: a VIP whose
	// primary of the same subnet is removed stays.
	if err := writeSysctl("net/ipv4/conf/"+vmac+"/promote_secondaries", "1"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if sa := m.arp[parent]; sa != nil {
		sa.vmacs[vmac] = true
		return nil
	}
	ign, err1 := readSysctl("net/ipv4/conf/" + parent + "/arp_ignore")
	fil, err2 := readSysctl("net/ipv4/conf/" + parent + "/arp_filter")
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if err := writeSysctl("net/ipv4/conf/"+parent+"/arp_ignore", "1"); err != nil {
		return err
	}
	if err := writeSysctl("net/ipv4/conf/"+parent+"/arp_filter", "1"); err != nil {
		_ = writeSysctl("net/ipv4/conf/"+parent+"/arp_ignore", ign)
		return err
	}
	m.arp[parent] = &savedARP{vmacs: map[string]bool{vmac: true}, ignore: ign, filter: fil}
	return nil
}

// inNS runs fn on a thread in the Manager's network namespace: /proc/sys/net
// shows the namespace of the thread that opens it.
func (m *Manager) inNS(fn func() error) error {
	if m.tab == nil {
		return fn()
	}
	runtime.LockOSThread()
	cur, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("vip: current network namespace: %w", err)
	}
	defer cur.Close()
	if cur.Equal(m.tab.ns) {
		defer runtime.UnlockOSThread()
		return fn()
	}
	if err := netns.Set(m.tab.ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("vip: enter network namespace: %w", err)
	}
	ferr := fn()
	if err := netns.Set(cur); err != nil {
		// the thread stays locked and dies with this goroutine's thread
		return errors.Join(ferr, fmt.Errorf("vip: leave network namespace: %w", err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// arpRestore puts the parent's ARP settings back when its last VMAC goes.
func (m *Manager) arpRestore(vmac string) error {
	return m.inNS(func() error { return m.arpRestoreHere(vmac) })
}

func (m *Manager) arpRestoreHere(vmac string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for parent, sa := range m.arp {
		if !sa.vmacs[vmac] {
			continue
		}
		delete(sa.vmacs, vmac)
		if len(sa.vmacs) > 0 {
			return nil
		}
		delete(m.arp, parent)
		return errors.Join(
			writeSysctl("net/ipv4/conf/"+parent+"/arp_ignore", sa.ignore),
			writeSysctl("net/ipv4/conf/"+parent+"/arp_filter", sa.filter))
	}
	return nil
}

// readSysctl and writeSysctl access /proc/sys of the calling thread's
// network namespace (interface names keep their dots in the path).
func readSysctl(path string) (string, error) {
	b, err := os.ReadFile("/proc/sys/" + path)
	if err != nil {
		return "", fmt.Errorf("vip: read sysctl %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeSysctl(path, v string) error {
	if err := os.WriteFile("/proc/sys/"+path, []byte(v), 0o644); err != nil {
		return fmt.Errorf("vip: set sysctl %s=%s: %w", path, v, err)
	}
	return nil
}

// copyLinkLocal gives the VMAC the parent's IPv6 link-local address.
func (m *Manager) copyLinkLocal(parent, vmac netlink.Link) error {
	list, err := m.addrList(parent, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("vip: addresses of %s: %w", parent.Attrs().Name, err)
	}
	for _, a := range list {
		if a.IP.IsLinkLocalUnicast() {
			ll := &netlink.Addr{IPNet: a.IPNet, Flags: unix.IFA_F_NODAD, Scope: int(netlink.SCOPE_LINK)}
			if err := m.h.AddrAdd(vmac, ll); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("vip: link-local address on %s: %w", vmac.Attrs().Name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("vip: %s has no IPv6 link-local address for %s", parent.Attrs().Name, vmac.Attrs().Name)
}

// DeleteVMAC removes the macvlan; a missing one counts as removed.
func (m *Manager) DeleteVMAC(name string) error {
	l, err := m.h.LinkByName(name)
	if err != nil {
		return nil
	}
	if _, ok := l.(*netlink.Macvlan); !ok {
		return fmt.Errorf("vip: %s is not a macvlan, not deleting it", name)
	}
	if err := m.h.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("vip: delete %s: %w", name, err)
	}
	return m.arpRestore(name)
}
