package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// This file holds the VRRP keys of keepalived 2.2.7 beyond the core ones
// (issue 11): their fields, decoding, defaults, checks and dump. The
// fields are embedded in Global and VRRPInstance.

// DefaultDownTimerAdverts is keepalived's VRRP_DOWN_TIMER_ADVERTS: the
// advert intervals in Master_Down_Interval (RFC 3768 and 5798, 6.1).
const DefaultDownTimerAdverts = 3

// VRRPGlobalExtra is the part of [global] this file decodes.
type VRRPGlobalExtra struct {
	// VRRPDownTimerAdverts is vrrp_down_timer_adverts 1..100, default 3:
	// every instance's down_timer_adverts.
	VRRPDownTimerAdverts int
	// VRRPHigherPrioSendAdvert is vrrp_higher_prio_send_advert: every
	// instance's higher_prio_send_advert (off in strict mode).
	VRRPHigherPrioSendAdvert bool
	// VRRPMinGARP is vrrp_min_garp: one gratuitous ARP / NA when becoming
	// master and no more. The vrrp_garp_* keys the file leaves out become
	// vrrp_garp_master_repeat 1, vrrp_garp_master_delay 0 (no second burst)
	// and no refresh, as keepalived 2.2.7 does; the lower-priority burst
	// follows (its defaults are the master ones).
	VRRPMinGARP bool
	// VRRPGARPExtraIf is vrrp_garp_extra_if "DELAY [all]": every
	// instance's garp_extra_if. 0: off.
	VRRPGARPExtraIf    time.Duration
	VRRPGARPExtraIfAll bool
	// VMACPrefix is vmac_prefix, default "vrrp": the VMAC of a use_vmac
	// without a name is PREFIX.VRID (the prefix shortened to fit 15
	// characters, as keepalived 2.2.7).
	VMACPrefix string
	// LogUnknownVRIDs is log_unknown_vrids: log adverts received for a
	// VRID no instance has on the interface (they are counted anyway).
	LogUnknownVRIDs bool
	// VRRPRxBufsPolicy is vrrp_rx_bufs_policy: "" (the kernel's default
	// receive buffer), "MTU" (VRRPRxBufsMultiplier interface MTUs per
	// instance), "ADVERT" (VRRPRxBufsMultiplier advert sizes per
	// instance) or "SIZE" (VRRPRxBufsSize bytes per instance); an
	// instance's kernel_rx_buf_size replaces its share. The shares of the
	// instances on one advert socket are summed into its SO_RCVBUF.
	VRRPRxBufsPolicy     string
	VRRPRxBufsSize       int
	VRRPRxBufsMultiplier int // vrrp_rx_bufs_multiplier, default 3
	// MaxAutoPriority is max_auto_priority 0..99 (0: off): each time a
	// VRRP timer fires more than MinAutoPriorityDelay late, the daemon's
	// SCHED_RR priority goes up by one, up to this.
	MaxAutoPriority      int
	MinAutoPriorityDelay time.Duration // min_auto_priority_delay 1µs..10s, default 1s
}

// DefaultMinAutoPriorityDelay is keepalived's min_auto_priority_delay.
const DefaultMinAutoPriorityDelay = time.Second

// DefaultRxBufsMultiplier is keepalived's vrrp_rx_bufs_multiplier.
const DefaultRxBufsMultiplier = 3

// DefaultVMACPrefix is keepalived's VMAC name prefix.
const DefaultVMACPrefix = "vrrp"

// VMACName returns PREFIX.VRID, shortening the prefix so that the name
// fits an interface name (15 characters), as keepalived's create_vmac_name.
func VMACName(prefix string, vrid int) string {
	suffix := "." + strconv.Itoa(vrid)
	if len(prefix)+len(suffix) > 15 {
		prefix = prefix[:15-len(suffix)]
	}
	return prefix + suffix
}

// VRRPInstanceExtra is the part of [[vrrp_instance]] this file decodes.
type VRRPInstanceExtra struct {
	// DownTimerAdverts is down_timer_adverts 1..100, default
	// global.vrrp_down_timer_adverts: Master_Down_Interval is this many
	// advert intervals plus Skew_Time (the RFCs' 3). Not with strict mode.
	DownTimerAdverts int
	// HigherPrioSendAdvert is higher_prio_send_advert; nil: the global
	// default (false in strict mode). A master that hears a higher
	// priority sends one advert of its own before it becomes backup.
	HigherPrioSendAdvert *bool
	// UnicastFaultNoPeer is unicast_fault_no_peer: with no unicast_peer,
	// the instance stays in FAULT instead of running multicast.
	UnicastFaultNoPeer bool
	// GARPExtraIf is garp_extra_if "DELAY [all]", default
	// global.vrrp_garp_extra_if: while master, one gratuitous ARP / NA
	// every DELAY (whole seconds) on each interface carrying a VIP other
	// than the one the adverts go out of: the VMAC when adverts use the
	// base interface (vmac_xmit_base); with all (GARPExtraIfAll), every
	// other interface of a VIP too. 0: off.
	GARPExtraIf    time.Duration
	GARPExtraIfAll bool
	// McastDstIP is mcast_dst_ip: the multicast group the instance sends
	// its adverts to and joins, instead of global.vrrp_mcast_group4/6.
	McastDstIP netip.Addr
	// PromoteSecondaries is promote_secondaries: set
	// net.ipv4.conf.INTERFACE.promote_secondaries while the instance runs,
	// so that removing the subnet's primary address does not remove the
	// VIPs (a VMAC always has it).
	PromoteSecondaries bool
	// KernelRxBufSize is kernel_rx_buf_size: this instance's share of its
	// advert socket's receive buffer in bytes (0: the global policy's).
	KernelRxBufSize int
	// OldUnicastChecksum is old_unicast_checksum: a unicast VRRPv3/IPv4
	// instance checksums its adverts as keepalived before 2.0.8 did (the
	// pseudo-header's destination is global.vrrp_mcast_group4, not the
	// peer) and accepts both checksums.
	OldUnicastChecksum bool
}

func defaultVRRPGlobalExtra() VRRPGlobalExtra {
	return VRRPGlobalExtra{VRRPDownTimerAdverts: DefaultDownTimerAdverts, VMACPrefix: DefaultVMACPrefix,
		VRRPRxBufsMultiplier: DefaultRxBufsMultiplier, MinAutoPriorityDelay: DefaultMinAutoPriorityDelay}
}

func defaultVRRPInstanceExtra(g *Global) VRRPInstanceExtra {
	return VRRPInstanceExtra{DownTimerAdverts: g.VRRPDownTimerAdverts,
		GARPExtraIf: g.VRRPGARPExtraIf, GARPExtraIfAll: g.VRRPGARPExtraIfAll}
}

// decodeVRRPGlobalExtra reads the keys of VRRPGlobalExtra. It runs after
// the vrrp_garp_* keys are read and before fillGlobal derives the
// lower-priority defaults from them.
func (d *decoder) decodeVRRPGlobalExtra(n *node, g *Global) {
	n.integer("vrrp_down_timer_adverts", &g.VRRPDownTimerAdverts, 1, 100)
	n.boolean("vrrp_higher_prio_send_advert", &g.VRRPHigherPrioSendAdvert)
	n.garpExtraIf("vrrp_garp_extra_if", &g.VRRPGARPExtraIf, &g.VRRPGARPExtraIfAll, 1)
	n.boolean("log_unknown_vrids", &g.LogUnknownVRIDs)
	n.integer("vrrp_rx_bufs_multiplier", &g.VRRPRxBufsMultiplier, 1, 1<<20)
	n.integer("max_auto_priority", &g.MaxAutoPriority, 0, 99)
	n.duration("min_auto_priority_delay", &g.MinAutoPriorityDelay, time.Microsecond, 10*time.Second)
	if v, ok := n.get("vrrp_rx_bufs_policy"); ok {
		switch x := v.(type) {
		case int64:
			if x < 1 || x > 1<<30 {
				d.errorf(n.keyPath("vrrp_rx_bufs_policy"), "%d bytes out of range 1..%d", x, 1<<30)
			} else {
				g.VRRPRxBufsPolicy, g.VRRPRxBufsSize = "SIZE", int(x)
			}
		case string:
			switch p := strings.ToUpper(x); p {
			case "MTU", "ADVERT":
				g.VRRPRxBufsPolicy = p
			default:
				d.errorf(n.keyPath("vrrp_rx_bufs_policy"), "%q: want \"MTU\", \"ADVERT\" or a size in bytes (one of them: keepalived ignores the others)", x)
			}
		default:
			n.typeErr("vrrp_rx_bufs_policy", v, `"MTU", "ADVERT" or a size in bytes`)
		}
	}
	if n.nonEmpty("vmac_prefix", &g.VMACPrefix) {
		if len(g.VMACPrefix) > 15 || strings.ContainsAny(g.VMACPrefix, "/ \t") {
			d.errorf(n.keyPath("vmac_prefix"), "bad interface name prefix %q (at most 15 characters, no '/' or blanks)", g.VMACPrefix)
		}
	}
	if n.boolean("vrrp_min_garp", &g.VRRPMinGARP) && g.VRRPMinGARP {
		// keepalived's vrrp_min_garp_handler: the values still at their
		// defaults become one ARP, no delayed burst, no refresh.
		if !n.has("vrrp_garp_master_repeat") {
			g.GARPMasterRepeat = 1
		}
		if !n.has("vrrp_garp_master_delay") {
			g.GARPMasterDelay = 0
		}
		if n.has("vrrp_garp_master_refresh") && !n.has("vrrp_garp_master_refresh_repeat") {
			// keepalived makes the refresh repeat 0 here: a refresh that sends nothing.
			d.errorf(n.keyPath("vrrp_garp_master_refresh"), "needs vrrp_garp_master_refresh_repeat with vrrp_min_garp (keepalived's min_garp makes the refresh send no ARP)")
		}
	}
}

// decodeVRRPInstanceExtra reads the keys of VRRPInstanceExtra.
func (d *decoder) decodeVRRPInstanceExtra(n *node, in *VRRPInstance, g *Global) {
	if in.UseVMAC && in.VMACName == "" {
		in.VMACName = VMACName(g.VMACPrefix, in.VirtualRouterID)
	}
	n.integer("down_timer_adverts", &in.DownTimerAdverts, 1, 100)
	in.HigherPrioSendAdvert = n.optBool("higher_prio_send_advert")
	n.boolean("unicast_fault_no_peer", &in.UnicastFaultNoPeer)
	n.garpExtraIf("garp_extra_if", &in.GARPExtraIf, &in.GARPExtraIfAll, 0)
	n.integer("kernel_rx_buf_size", &in.KernelRxBufSize, 0, 1<<30)
	n.boolean("old_unicast_checksum", &in.OldUnicastChecksum)
	if n.boolean("promote_secondaries", &in.PromoteSecondaries) && in.PromoteSecondaries && in.UseVMAC {
		d.errorf(n.keyPath("promote_secondaries"), "not with use_vmac (the VMAC always has it; keepalived ignores it)")
	}
	if n.addr("mcast_dst_ip", &in.McastDstIP) {
		a := in.McastDstIP
		switch {
		case !a.IsMulticast():
			d.errorf(n.keyPath("mcast_dst_ip"), "%s is not a multicast address", a)
		case a.Is6() && !a.IsLinkLocalMulticast():
			d.errorf(n.keyPath("mcast_dst_ip"), "%s is not a link-local multicast address (ff02::/16; keepalived requires one)", a)
		}
	}
}

// garpExtraIf reads keepalived's "DELAY [all]" (DELAY whole seconds
// lo..86400): a number, or a string with the delay and optionally "all".
func (n *node) garpExtraIf(k string, delay *time.Duration, all *bool, lo int64) {
	v, ok := n.get(k)
	if !ok {
		return
	}
	var words []string
	switch x := v.(type) {
	case int64:
		words = []string{strconv.FormatInt(x, 10)}
	case string:
		words = strings.Fields(x)
	default:
		n.typeErr(k, v, `a number of seconds or "SECONDS [all]"`)
		return
	}
	var secs int64 = -1
	withAll := false
	for _, w := range words {
		if w == "all" {
			withAll = true
			continue
		}
		s, err := strconv.ParseInt(w, 10, 64)
		if err != nil || secs >= 0 {
			n.d.errorf(n.keyPath(k), "%q: want \"SECONDS [all]\"", v)
			return
		}
		secs = s
	}
	if secs < 0 {
		n.d.errorf(n.keyPath(k), "%q: missing the delay in seconds", v)
		return
	}
	if secs < lo || secs > 86400 {
		n.d.errorf(n.keyPath(k), "%d s out of range %d..86400", secs, lo)
		return
	}
	*delay, *all = time.Duration(secs)*time.Second, withAll
}

func garpExtraIfString(d time.Duration, all bool) string {
	s := strconv.FormatInt(int64(d/time.Second), 10)
	if all {
		s += " all"
	}
	return s
}

// HigherPrioSendAdvertMode resolves higher_prio_send_advert as keepalived
// 2.2.7 (vrrp_complete_instance): the instance's value, else the global
// one; unset, it is off in strict mode.
func (in *VRRPInstance) HigherPrioSendAdvertMode(g *Global) bool {
	if in.HigherPrioSendAdvert != nil {
		return *in.HigherPrioSendAdvert
	}
	return g.VRRPHigherPrioSendAdvert && !in.Strict(g)
}

// validateVRRPExtra refuses what keepalived 2.2.7 resets with a
// configuration error.
func (d *decoder) validateVRRPExtra(c *Config) {
	g := &c.Global
	for i := range c.Instances {
		in := &c.Instances[i]
		if a := in.McastDstIP; a.IsValid() && a.Is6() != (in.Family == 6) {
			d.errorf(fmt.Sprintf("vrrp_instance[%d].mcast_dst_ip", i), "IPv%d group for an IPv%d instance", map[bool]int{false: 4, true: 6}[a.Is6()], in.Family)
		}
		if in.OldUnicastChecksum && (len(in.UnicastPeers) == 0 || in.Version != 3 || in.Family == 6) {
			d.errorf(fmt.Sprintf("vrrp_instance[%d].old_unicast_checksum", i), "applies only to a VRRPv3 IPv4 instance with unicast_peer (keepalived ignores it otherwise)")
		}
		if !in.Strict(g) {
			continue
		}
		base := fmt.Sprintf("vrrp_instance[%d]", i)
		if in.DownTimerAdverts != DefaultDownTimerAdverts {
			d.errorf(base+".down_timer_adverts", "%d not allowed in strict mode (RFC 5798 counts 3 adverts; keepalived resets it)", in.DownTimerAdverts)
		}
		if in.HigherPrioSendAdvert != nil && *in.HigherPrioSendAdvert {
			d.errorf(base+".higher_prio_send_advert", "not allowed in strict mode (RFC 5798 sends no advert before stepping down; keepalived resets it)")
		}
	}
}

func (w *tomlWriter) vrrpGlobalExtra(g *Global) {
	w.int("vrrp_down_timer_adverts", g.VRRPDownTimerAdverts)
	w.boolean("vrrp_higher_prio_send_advert", g.VRRPHigherPrioSendAdvert)
	w.boolean("vrrp_min_garp", g.VRRPMinGARP)
	w.str("vmac_prefix", g.VMACPrefix)
	w.boolean("log_unknown_vrids", g.LogUnknownVRIDs)
	w.int("vrrp_rx_bufs_multiplier", g.VRRPRxBufsMultiplier)
	w.int("max_auto_priority", g.MaxAutoPriority)
	w.dur("min_auto_priority_delay", g.MinAutoPriorityDelay)
	switch g.VRRPRxBufsPolicy {
	case "SIZE":
		w.int("vrrp_rx_bufs_policy", g.VRRPRxBufsSize)
	case "MTU", "ADVERT":
		w.str("vrrp_rx_bufs_policy", g.VRRPRxBufsPolicy)
	}
	if g.VRRPGARPExtraIf > 0 {
		w.str("vrrp_garp_extra_if", garpExtraIfString(g.VRRPGARPExtraIf, g.VRRPGARPExtraIfAll))
	}
}

func (w *tomlWriter) vrrpInstanceExtra(in *VRRPInstance) {
	w.int("down_timer_adverts", in.DownTimerAdverts)
	w.boolPtr("higher_prio_send_advert", in.HigherPrioSendAdvert)
	w.boolean("unicast_fault_no_peer", in.UnicastFaultNoPeer)
	w.str("garp_extra_if", garpExtraIfString(in.GARPExtraIf, in.GARPExtraIfAll))
	w.addrOpt("mcast_dst_ip", in.McastDstIP)
	w.boolean("promote_secondaries", in.PromoteSecondaries)
	w.int("kernel_rx_buf_size", in.KernelRxBufSize)
	w.boolean("old_unicast_checksum", in.OldUnicastChecksum)
}

// GARPGroup is a [[garp_group]] (keepalived's garp_group): the pacing of
// gratuitous ARPs and unsolicited NAs on some interfaces, instead of
// global.vrrp_garp_interval / vrrp_gna_interval. The interfaces of one
// group share one pacing: successive ARPs out of any of them are at least
// GARPInterval apart, over every instance.
type GARPGroup struct {
	GARPInterval time.Duration // garp_interval, 0..1 s
	GNAInterval  time.Duration // gna_interval, 0..1 s
	Interfaces   []string      // interface and interfaces (each in one group at most)
}

func (d *decoder) decodeGARPGroup(n *node) GARPGroup {
	var gg GARPGroup
	hasARP := n.duration("garp_interval", &gg.GARPInterval, 0, time.Second)
	hasNA := n.duration("gna_interval", &gg.GNAInterval, 0, time.Second)
	if !hasARP && !hasNA && !n.has("garp_interval") && !n.has("gna_interval") {
		d.errorf(n.path(), "needs garp_interval or gna_interval (keepalived drops a group without)")
	}
	var one string
	if n.nonEmpty("interface", &one) {
		gg.Interfaces = append(gg.Interfaces, one)
	}
	var more []string
	if n.stringList("interfaces", &more) {
		gg.Interfaces = append(gg.Interfaces, more...)
	}
	for _, i := range gg.Interfaces {
		if err := checkIfName(i); err != nil {
			d.errorf(n.keyPath("interfaces"), "%v", err)
		}
	}
	if len(gg.Interfaces) == 0 && !n.has("interface") && !n.has("interfaces") {
		d.errorf(n.path(), "needs interface or interfaces")
	}
	n.finish()
	return gg
}

// validateGARPGroups refuses an interface in two groups (keepalived
// ignores the second).
func (d *decoder) validateGARPGroups(c *Config) {
	seen := map[string]int{}
	for i, gg := range c.GARPGroups {
		for _, ifname := range gg.Interfaces {
			if j, ok := seen[ifname]; ok && j != i {
				d.errorf(fmt.Sprintf("garp_group[%d].interfaces", i), "%s is in garp_group[%d] already", ifname, j)
			} else if ok {
				d.errorf(fmt.Sprintf("garp_group[%d].interfaces", i), "%s listed twice", ifname)
			}
			seen[ifname] = i
		}
	}
}

func (w *tomlWriter) garpGroups(gs []GARPGroup) {
	for _, gg := range gs {
		w.arrayTable("garp_group")
		w.dur("garp_interval", gg.GARPInterval)
		w.dur("gna_interval", gg.GNAInterval)
		w.strs("interfaces", gg.Interfaces)
	}
}
