package daemon

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/vip"
	"github.com/lvsd/lvsd/vrrp/vrrpnet"
)

// extraIfAddrs picks what garp_extra_if announces, as keepalived 2.2.7's
// vrrp_send_vmac_update: the first address (VIPs, then excluded ones) on
// each interface other than own, the interface the instance runs on (its
// VMAC with use_vmac). Without all only the VMAC (vmac) qualifies; own
// qualifies only when the adverts leave from elsewhere (xmitBase:
// vmac_xmit_base). devOf places a VIP's dev (the base interface moves to
// the VMAC).
func extraIfAddrs(vips []vrrp.VIP, devOf func(string) string, own, vmac string, xmitBase, all bool) []netip.Addr {
	var out []netip.Addr
	seen := map[string]bool{}
	for _, excluded := range []bool{false, true} {
		for _, v := range vips {
			if v.Excluded != excluded {
				continue
			}
			d := devOf(v.Dev)
			if seen[d] {
				continue
			}
			if d != vmac || vmac == "" {
				if !all {
					continue
				}
			}
			if d == own && !xmitBase {
				continue
			}
			seen[d] = true
			out = append(out, v.Prefix.Addr())
		}
	}
	return out
}

// unknownHandlerSetter is the part of *vrrpnet.Registry that
// log_unknown_vrids uses.
type unknownHandlerSetter interface {
	SetUnknownHandler(fn vrrpnet.UnknownFunc)
}

// setUnknownHandler applies log_unknown_vrids to the part's sockets
// (every build: a reload may change it).
func setUnknownHandler(reg vrrpSockets, g *config.Global, log *slog.Logger) {
	s, ok := reg.(unknownHandlerSetter)
	if !ok {
		return
	}
	if !g.LogUnknownVRIDs {
		s.SetUnknownHandler(nil)
		return
	}
	s.SetUnknownHandler(unknownVRIDLogger(log, time.Now))
}

// unknownVRIDLogger logs an advert for an unknown VRID as keepalived's
// log_unknown_vrids ("Unknown VRID(N) received on interface(IF) from
// SRC"), at most once a second per interface and VRID, with the number
// suppressed.
func unknownVRIDLogger(log *slog.Logger, now func() time.Time) vrrpnet.UnknownFunc {
	type key struct {
		ifname string
		v6     bool
		vrid   uint8
	}
	type seen struct {
		at         time.Time
		suppressed uint64
	}
	var (
		mu   sync.Mutex
		last = map[key]*seen{}
	)
	return func(ifname string, v6 bool, vrid uint8, src netip.Addr) {
		t := now()
		k := key{ifname, v6, vrid}
		mu.Lock()
		s := last[k]
		if s == nil {
			if len(last) > 1024 { // a flood of VRIDs: forget the old ones
				clear(last)
			}
			s = &seen{}
			last[k] = s
		} else if t.Sub(s.at) < time.Second {
			s.suppressed++
			mu.Unlock()
			return
		}
		sup := s.suppressed
		s.at, s.suppressed = t, 0
		mu.Unlock()
		log.Info("unknown VRID received, ignoring", "vrid", vrid, "interface", ifname, "ipv6", v6, "src", src, "suppressed", sup)
	}
}

// promoter is the part of *vip.Manager promote_secondaries uses.
type promoter interface {
	PromoteSecondaries(iface string) error
	UnpromoteSecondaries(iface string) error
}

var _ promoter = (*vip.Manager)(nil)

// promoteSecondaries sets promote_secondaries on iface (counted by the
// manager); an address manager that cannot is an error, never a silent
// skip.
func promoteSecondaries(m vipManager, iface string) error {
	p, ok := m.(promoter)
	if !ok {
		return fmt.Errorf("promote_secondaries on %s: the address manager cannot set it", iface)
	}
	if err := p.PromoteSecondaries(iface); err != nil {
		return fmt.Errorf("promote_secondaries on %s: %w", iface, err)
	}
	return nil
}

func unpromoteSecondaries(m vipManager, iface string) error {
	if p, ok := m.(promoter); ok {
		return p.UnpromoteSecondaries(iface)
	}
	return nil
}

// interfaceMTU is the MTU of an interface, 0 when unknown (a variable for
// tests).
var interfaceMTU = func(name string) int {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0
	}
	return ifi.MTU
}

// rxBufShare is the instance's share of its advert socket's receive
// buffer, as keepalived 2.2.7 sums it (vrrp_create_sockpool):
// kernel_rx_buf_size, else vrrp_rx_bufs_policy's size, multiplier × the
// advert length (ADVERT) or multiplier × the interface MTU (MTU); 0: none.
func rxBufShare(g *config.Global, in *config.VRRPInstance, c *vrrp.Config, mtu func(string) int) int {
	if in.KernelRxBufSize > 0 {
		return in.KernelRxBufSize
	}
	switch g.VRRPRxBufsPolicy {
	case "SIZE":
		return g.VRRPRxBufsSize
	case "ADVERT":
		return g.VRRPRxBufsMultiplier * advertLen(int(c.Version), in.Family == 6, c.VIPs)
	case "MTU":
		return g.VRRPRxBufsMultiplier * mtu(in.Interface)
	}
	return 0
}

// advertLen is keepalived's vrrp_adv_len: the VRRP message (8-byte header,
// the addresses, VRRPv2's 8 bytes of authentication data), plus the IPv4
// header for IPv4.
func advertLen(version int, ipv6 bool, vips []vrrp.VIP) int {
	n, size := 0, 4
	if ipv6 {
		size = 16
	}
	for _, v := range vips {
		if !v.Excluded {
			n++
		}
	}
	l := 8 + n*size
	if version != 3 && !ipv6 {
		l += 8
	}
	if !ipv6 {
		l += 20
	}
	return l
}

// applyGARPGroups gives the announcers of the interfaces in a garp_group
// the group's intervals and its shared pacing (a VMAC follows its base
// interface's group).
func (a *announcers) applyGARPGroups(groups []config.GARPGroup, base, vmac string) {
	for dev, an := range a.byDev {
		name := dev
		if vmac != "" && dev == vmac {
			name = base
		}
		for i, gg := range groups {
			if slices.Contains(gg.Interfaces, name) {
				an.SetIntervals(gg.GARPInterval, gg.GNAInterval)
				an.SetPacingGroup("garp_group " + strconv.Itoa(i))
				break
			}
		}
	}
}
