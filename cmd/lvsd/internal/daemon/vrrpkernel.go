package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/kernaddr"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/announce"
	"github.com/lvsd/lvsd/vrrp/packet"
	"github.com/lvsd/lvsd/vrrp/vip"
	"github.com/lvsd/lvsd/vrrp/vrrpnet"
)

// This file binds the vrrp runner's kernel interfaces to their Linux
// implementations (vrrpnet, vip, announce) and maps a config.VRRPInstance
// onto a vrrp.Config.

var (
	_ vrrp.PushConn     = vrrpConn{}
	_ vrrp.AddrManager  = (*addrManager)(nil)
	_ vrrp.Announcer    = (*announcers)(nil)
	_ vipManager        = (*vip.Manager)(nil)
	_ vrrpSockets       = (*vrrpnet.Registry)(nil)
	_ garpAnnouncer     = (*announce.Announcer)(nil)
	_ vrrpKernelFactory = linuxKernel{}
)

// vrrpKernelFactory opens what the VRRP instances hold in the kernel: the
// address manager (VIPs, routes, VMACs), the advert sockets, the
// gratuitous ARP / NA senders, and what the part reads of the links.
// linuxKernel is the real one; tests give the daemon a recording fake
// (fakekernel_test.go), so that a reload hand-over is a unit test.
type vrrpKernelFactory interface {
	// addrs opens the address manager the VRRP part shares (vip.New).
	addrs() (vipManager, error)
	// sockets returns a new set of advert sockets, shared per interface
	// and family among the instances of one part (vrrpnet.NewRegistry).
	sockets() vrrpSockets
	// announcer returns the gratuitous ARP / NA sender of dev.
	announcer(dev string) garpAnnouncer
	// sourceAddr is the address adverts go out from on iface
	// (vrrpnet.SourceAddr).
	sourceAddr(iface string, ipv6 bool) (netip.Addr, error)
	// linkIndex is the index of the interface name, -1 when it does not
	// exist.
	linkIndex(name string) int
	// linkReady reports whether in's interface can carry it (linkReady).
	linkReady(in *config.VRRPInstance) bool
	// links returns the index of every interface by name (checkLinks
	// compares them with those the sockets were opened on).
	links() (map[string]int, error)
}

// vipManager is what the VRRP part uses of *vip.Manager.
type vipManager interface {
	AddVIPs(ctx context.Context, addrs []vip.Address) error
	DelVIPs(ctx context.Context, addrs []vip.Address) error
	MissingVIPs(ctx context.Context, addrs []vip.Address) ([]vip.Address, error)
	AddRoutes(ctx context.Context, routes []vip.Route) error
	DelRoutes(ctx context.Context, routes []vip.Route) error
	AddRules(ctx context.Context, rules []vip.Rule) error
	DelRules(ctx context.Context, rules []vip.Rule) error
	EnsureVMAC(name, parent string, vrid uint8, ipv6 bool) (int, error)
	DeleteVMAC(name string) error
	Close() error
}

// vrrpSockets opens an instance's share of its interface's socket
// (*vrrpnet.Registry).
type vrrpSockets interface {
	Open(cfg vrrpnet.Config, vrid uint8) (vrrpnet.Endpoint, error)
}

// garpAnnouncer is what the VRRP part uses of *announce.Announcer.
type garpAnnouncer interface {
	Announce(addrs []netip.Addr) error
	SetIntervals(garp, gna time.Duration)
	SetPacingGroup(name string)
	Close() error
}

// linuxKernel is the vrrpKernelFactory of `lvsd run`.
type linuxKernel struct {
	vip vip.Options // the sockets' receive buffers (netlinkbufs.go)
}

func (k linuxKernel) addrs() (vipManager, error) {
	m, err := vip.NewWithOptions(k.vip)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (linuxKernel) sockets() vrrpSockets               { return vrrpnet.NewRegistry() }
func (linuxKernel) announcer(dev string) garpAnnouncer { return announce.New(dev) }
func (linuxKernel) sourceAddr(iface string, ipv6 bool) (netip.Addr, error) {
	return vrrpnet.SourceAddr(iface, ipv6)
}
func (linuxKernel) linkReady(in *config.VRRPInstance) bool { return linkReady(in) }
func (linuxKernel) links() (map[string]int, error)         { return linkIndexes() }

func (linuxKernel) linkIndex(name string) int {
	i, err := ifIndex(name)
	if err != nil {
		return -1
	}
	return i
}

// vrrpConn adapts a vrrpnet.Endpoint to vrrp.Conn (the metadata types
// differ only by package; the conversion allocates nothing).
type vrrpConn struct{ c vrrpnet.Endpoint }

func (v vrrpConn) WriteTo(b []byte, dst netip.Addr) error { return v.c.WriteTo(b, dst) }
func (v vrrpConn) Close() error                           { return v.c.Close() }

func (v vrrpConn) ReadFrom(b []byte) (int, vrrp.RecvMeta, error) {
	n, m, err := v.c.ReadFrom(b)
	return n, vrrp.RecvMeta{Src: m.Src, Dst: m.Dst, TTL: m.TTL, IfIndex: m.IfIndex}, err
}

// Push lets a shared socket's reader deliver to the instance directly
// (vrrpnet.Sub.Push); an endpoint of its own is read with ReadFrom.
func (v vrrpConn) Push(deliver func([]byte, vrrp.RecvMeta)) bool {
	s, ok := v.c.(*vrrpnet.Sub)
	if !ok {
		return false
	}
	return s.Push(func(b []byte, m vrrpnet.Meta) {
		deliver(b, vrrp.RecvMeta{Src: m.Src, Dst: m.Dst, TTL: m.TTL, IfIndex: m.IfIndex})
	})
}

// addrManager adapts *vip.Manager to vrrp.AddrManager for one instance:
// VIPs and routes without a device, or on the instance's interface, go on
// dev (the VMAC with use_vmac, else the interface).
type addrManager struct {
	m     vipManager
	iface string // the instance's interface
	dev   string // where its VIPs live
	// fw, when set (accept off: no_accept, vrrp_strict), drops traffic to
	// and from the VIPs while they are installed: added before the
	// addresses and removed after them, as keepalived 2.2.7.
	fw vipDropper
}

// vipDropper is the firewall of Accept_Mode off (*vipfw.Firewall).
type vipDropper interface {
	Drop(addrs []netip.Addr) error
	Accept(addrs []netip.Addr) error
}

func vipAddrs(vs []vrrp.VIP) []netip.Addr {
	out := make([]netip.Addr, len(vs))
	for i, v := range vs {
		out[i] = v.Prefix.Addr()
	}
	return out
}

func (a *addrManager) place() kernaddr.Placement {
	return kernaddr.Placement{Iface: a.iface, Dev: a.dev}
}

func (a *addrManager) conv(vs []vrrp.VIP) []vip.Address {
	p, out := a.place(), make([]vip.Address, len(vs))
	for i, v := range vs {
		out[i] = p.Addr(v)
	}
	return out
}

func (a *addrManager) convRoutes(rs []vrrp.Route) []vip.Route {
	p, out := a.place(), make([]vip.Route, len(rs))
	for i, r := range rs {
		out[i] = p.Route(r)
	}
	return out
}

func (a *addrManager) AddVIPs(ctx context.Context, vs []vrrp.VIP) error {
	if a.fw != nil {
		if err := a.fw.Drop(vipAddrs(vs)); err != nil {
			return err
		}
	}
	return a.m.AddVIPs(ctx, a.conv(vs))
}

func (a *addrManager) DelVIPs(ctx context.Context, vs []vrrp.VIP) error {
	err := a.m.DelVIPs(ctx, a.conv(vs))
	if a.fw != nil {
		err = errors.Join(err, a.fw.Accept(vipAddrs(vs)))
	}
	return err
}

func (a *addrManager) MissingVIPs(ctx context.Context, vs []vrrp.VIP) ([]vrrp.VIP, error) {
	conv := a.conv(vs)
	missing, err := a.m.MissingVIPs(ctx, conv)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	gone := make(map[vip.Address]bool, len(missing))
	for _, m := range missing {
		gone[m] = true
	}
	var out []vrrp.VIP
	for i, v := range vs {
		if gone[conv[i]] {
			out = append(out, v)
		}
	}
	return out, nil
}

func (a *addrManager) AddRoutes(ctx context.Context, rs []vrrp.Route) error {
	return a.m.AddRoutes(ctx, a.convRoutes(rs))
}

func (a *addrManager) DelRoutes(ctx context.Context, rs []vrrp.Route) error {
	return a.m.DelRoutes(ctx, a.convRoutes(rs))
}

func convRules(rs []vrrp.Rule) []vip.Rule {
	out := make([]vip.Rule, len(rs))
	for i, r := range rs {
		out[i] = kernaddr.KernelRule(r)
	}
	return out
}

func (a *addrManager) AddRules(ctx context.Context, rs []vrrp.Rule) error {
	return a.m.AddRules(ctx, convRules(rs))
}

func (a *addrManager) DelRules(ctx context.Context, rs []vrrp.Rule) error {
	if len(rs) == 0 {
		return nil
	}
	return a.m.DelRules(ctx, convRules(rs))
}

// announcers sends each address's announcement out of the interface that
// carries it.
type announcers struct {
	byAddr map[netip.Addr]garpAnnouncer
	def    garpAnnouncer
	// scratch groups addresses per announcer between calls (the instance
	// goroutine is the only caller).
	scratch map[garpAnnouncer][]netip.Addr
	// byDev is the announcer of each interface (garp_group, vrrpextra.go).
	byDev map[string]garpAnnouncer
}

func newAnnouncers(dev string, vips []vrrp.VIP, devOf func(string) string, open func(dev string) garpAnnouncer) *announcers {
	a := &announcers{byAddr: map[netip.Addr]garpAnnouncer{}, def: open(dev), scratch: map[garpAnnouncer][]netip.Addr{}}
	byDev := map[string]garpAnnouncer{dev: a.def}
	a.byDev = byDev
	for _, v := range vips {
		d := devOf(v.Dev)
		an, ok := byDev[d]
		if !ok {
			an = open(d)
			byDev[d] = an
		}
		a.byAddr[v.Prefix.Addr()] = an
	}
	return a
}

// setIntervals applies vrrp_garp_interval and vrrp_gna_interval to every
// interface the instance announces on.
func (a *announcers) setIntervals(garp, gna time.Duration) {
	a.def.SetIntervals(garp, gna)
	for _, an := range a.byAddr {
		an.SetIntervals(garp, gna)
	}
}

// Close releases the announcers' sockets.
func (a *announcers) Close() {
	a.def.Close()
	for _, an := range a.byAddr {
		an.Close()
	}
}

func (a *announcers) Announce(addrs []netip.Addr) error {
	if a == nil { // a waiting instance (waitlink.go)
		return fmt.Errorf("announce: %w", errLinkMissing)
	}
	if len(a.byAddr) <= 1 {
		return a.def.Announce(addrs)
	}
	for k := range a.scratch {
		a.scratch[k] = a.scratch[k][:0]
	}
	for _, ad := range addrs {
		an := a.byAddr[ad]
		if an == nil {
			an = a.def
		}
		a.scratch[an] = append(a.scratch[an], ad)
	}
	var errs []error
	for an, list := range a.scratch {
		if err := an.Announce(list); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// explicitDur and explicitInt turn a configured 0 into the runner's "none"
// (negative); the runner reads 0 as "keepalived's default".
func explicitDur(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func explicitInt(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// instanceConfig maps a loaded instance onto the runner's Config. The source
// address is filled in later, from the socket.
func instanceConfig(g *config.Global, in *config.VRRPInstance) (vrrp.Config, error) {
	c := vrrp.Config{
		Name:           in.Name,
		VRID:           uint8(in.VirtualRouterID),
		Version:        uint8(in.Version),
		Interface:      in.Interface,
		Priority:       uint8(in.Priority),
		AdvertInterval: in.AdvertInt,
		StateMaster:    in.State == "MASTER",
		NoPreempt:      in.NoPreempt,
		PreemptDelay:   in.PreemptDelay,
		// The loaded config has every default filled in, so a 0 here is the
		// user's explicit 0 ("none"), which the runner spells negative.
		GARPMasterDelay:         explicitDur(in.GARPMasterDelay),
		GARPMasterRepeat:        explicitInt(in.GARPMasterRepeat),
		GARPMasterRefresh:       in.GARPMasterRefresh, // 0 is off in both
		GARPMasterRefreshRepeat: explicitInt(in.GARPMasterRefreshRepeat),
		GARPLowerPrioDelay:      explicitDur(in.GARPLowerPrioDelay),
		GARPLowerPrioRepeat:     explicitInt(in.GARPLowerPrioRepeat),
		SkipCheckAdvAddr:        in.SkipCheckAdvAddr || g.VRRPSkipCheckAdvAddr,
		AnyUnicastSource:        !g.CheckUnicastSrc(in),
		LowerPrioNoAdvert:       lowerPrioNoAdvert(g, in),
		StartupUntil:            startupUntil(g),
		HigherPrioSendAdvert:    in.HigherPrioSendAdvertMode(g),
		DownTimerAdverts:        in.DownTimerAdverts,
		UnicastFaultNoPeer:      in.UnicastFaultNoPeer,
		OldUnicastChecksum:      in.OldUnicastChecksum,
		ChecksumGroup:           g.VRRPMcastGroup4,
	}
	if in.Priority < 0 || in.Priority > 255 || in.VirtualRouterID < 1 || in.VirtualRouterID > 255 {
		return c, fmt.Errorf("instance %s: priority or virtual_router_id out of range", in.Name)
	}
	switch in.Auth.Type {
	case "":
	case "PASS":
		c.AuthType, c.AuthPass = packet.AuthPass, in.Auth.Pass
	case "AH":
		c.AuthType, c.AuthPass = packet.AuthAH, in.Auth.Pass
		c.UnicastTTL = uint8(in.UnicastTTL)
	default:
		return c, fmt.Errorf("instance %s: auth_type %q is not supported", in.Name, in.Auth.Type)
	}
	if in.V3ChecksumAsV2 {
		c.ChecksumVariant = packet.ChecksumNoPseudoHeader
	}
	if in.Family == 6 {
		if g.VRRPMcastGroup6.IsValid() {
			c.McastGroup = g.VRRPMcastGroup6
		}
	} else if g.VRRPMcastGroup4.IsValid() {
		c.McastGroup = g.VRRPMcastGroup4
	}
	if in.McastDstIP.IsValid() {
		c.McastGroup = in.McastDstIP
	}
	for _, p := range in.UnicastPeers {
		c.Peers = append(c.Peers, packet.Peer{Addr: p.IP, MinTTL: uint8(p.MinTTL), MaxTTL: uint8(p.MaxTTL)})
	}
	for _, v := range in.VIPs {
		x, err := kernaddr.VIP(v, false)
		if err != nil {
			return c, fmt.Errorf("instance %s: %w", in.Name, err)
		}
		c.VIPs = append(c.VIPs, x)
	}
	for _, v := range in.ExcludedVIPs {
		x, err := kernaddr.VIP(v, true)
		if err != nil {
			return c, fmt.Errorf("instance %s: %w", in.Name, err)
		}
		c.VIPs = append(c.VIPs, x)
	}
	for _, r := range in.Routes {
		x, err := kernaddr.Route(r)
		if err != nil {
			return c, fmt.Errorf("instance %s: %w", in.Name, err)
		}
		c.Routes = append(c.Routes, x)
	}
	for _, r := range in.Rules {
		x, err := kernaddr.Rule(r)
		if err != nil {
			return c, fmt.Errorf("instance %s: %w", in.Name, err)
		}
		c.Rules = append(c.Rules, x)
	}
	return c, nil
}

// vrrpKernel is what one instance holds in the kernel: its socket, its VMAC.
type vrrpKernel struct {
	conn     vrrpnet.Endpoint
	addrs    *addrManager
	announce *announcers
	vmac     string // created VMAC, removed at stop; empty without use_vmac
	// keepVMAC: closing leaves the VMAC in place, for a successor that
	// reuses it (reload hand-over, see keepVMAC in reload.go).
	keepVMAC bool
	// waiting: the interface did not exist when the instance was built
	// (waitlink.go); conn is a waitingEndpoint.
	waiting bool
	// promoted: the interface whose promote_secondaries this instance
	// set (closeKernel undoes it); empty without promote_secondaries.
	promoted string
	// ifindex is the index the interface had when the socket was opened
	// (-1: unknown); an interface made again gets another one and the
	// instance is rebuilt on it (checkLinks, waitlink.go). vmacIndex is
	// the VMAC's, watched the same way.
	ifindex, vmacIndex int
}

// openKernel creates the VMAC (use_vmac), opens the instance's share of its
// interface's socket and fills the source address into c.
func openKernel(f vrrpKernelFactory, m vipManager, reg vrrpSockets, g *config.Global, groups []config.GARPGroup, in *config.VRRPInstance, c *vrrp.Config) (*vrrpKernel, error) {
	k := &vrrpKernel{}
	dev := in.Interface
	recvIf, sendIf := in.Interface, in.Interface
	ipv6 := in.Family == 6
	unicast := len(in.UnicastPeers) > 0
	src := in.MCastSrcIP
	if unicast && in.UnicastSrcIP.IsValid() {
		src = in.UnicastSrcIP
	}
	if in.UseVMAC {
		if _, err := m.EnsureVMAC(in.VMACName, in.Interface, uint8(in.VirtualRouterID), ipv6); err != nil {
			return nil, err
		}
		k.vmac, dev = in.VMACName, in.VMACName
		if !in.VMACXmitBase && !unicast {
			// As keepalived: adverts go out of the VMAC, and are received
			// there too (a peer's advert from the same virtual MAC is
			// delivered to our VMAC only). With unicast peers they go
			// through the base interface: every peer has the same VMAC,
			// and a frame from it, ARP included, never reaches a peer's
			// base interface.
			sendIf, recvIf = in.VMACName, in.VMACName
			if !src.IsValid() && !ipv6 {
				s, err := f.sourceAddr(in.Interface, false)
				if err != nil {
					_ = m.DeleteVMAC(k.vmac)
					return nil, err
				}
				src = s
			}
		}
	}
	var (
		conn vrrpnet.Endpoint
		err  error
	)
	// a fresh VMAC's IPv6 link-local address may still be tentative
	for try := 0; ; try++ {
		conn, err = reg.Open(vrrpnet.Config{
			Interface: recvIf, SendInterface: sendIf, IPv6: ipv6, Src: src, Unicast: unicast, TTL: in.UnicastTTL,
			AH:    in.Auth.Type == "AH",
			Group: c.McastGroup, RcvBuf: rxBufShare(g, in, c, interfaceMTU),
		}, uint8(in.VirtualRouterID))
		if err == nil || !ipv6 || try == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		if k.vmac != "" {
			_ = m.DeleteVMAC(k.vmac)
		}
		return nil, err
	}
	k.conn = conn
	if in.PromoteSecondaries {
		if err := promoteSecondaries(m, in.Interface); err != nil {
			conn.Close()
			if k.vmac != "" {
				_ = m.DeleteVMAC(k.vmac)
			}
			return nil, err
		}
		k.promoted = in.Interface
	}
	c.SrcAddr = conn.LocalAddr()
	k.addrs = &addrManager{m: m, iface: in.Interface, dev: dev}
	k.announce = newAnnouncers(dev, c.VIPs, k.addrs.place().DevOf, f.announcer)
	if in.GARPExtraIf > 0 {
		c.ExtraIfInterval = in.GARPExtraIf
		c.ExtraIfAddrs = extraIfAddrs(c.VIPs, k.addrs.place().DevOf, dev, k.vmac, in.VMACXmitBase, in.GARPExtraIfAll)
	}
	k.announce.setIntervals(g.GARPInterval, g.GNAInterval)
	k.announce.applyGARPGroups(groups, in.Interface, k.vmac)
	return k, nil
}

// lowerPrioNoAdvert resolves lower_prio_no_advert as keepalived 2.2.7 does:
// the instance's value, else the global default; always on in strict mode.
func lowerPrioNoAdvert(g *config.Global, in *config.VRRPInstance) bool {
	return in.LowerPrioNoAdvertMode(g)
}

// processStart is when the daemon started: vrrp_startup_delay runs from it,
// and a reload does not restart it (keepalived 2.2.7 neither).
var processStart = time.Now()

// startupUntil is the end of vrrp_startup_delay, zero without one.
func startupUntil(g *config.Global) time.Time {
	if g.VRRPStartupDelay <= 0 {
		return time.Time{}
	}
	return processStart.Add(g.VRRPStartupDelay)
}
