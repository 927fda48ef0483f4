package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lvsd/lvsd/vrrp/packet"
)

// Config is one VRRP instance as the runner needs it. cmd/lvsd maps
// config.VRRPInstance onto it. Zero values mean keepalived's defaults (see
// WithDefaults); where keepalived accepts an explicit 0 that disables
// something (garp_master_delay 0, garp_*_repeat 0), pass a negative value.
type Config struct {
	// Name is the instance name (vrrp_instance VI_1), used in logs and notifications.
	Name string
	// VRID is virtual_router_id, 1..255.
	VRID uint8
	// Version is 2 or 3. IPv6 instances must be 3. 0 means 2 for IPv4 and 3 for IPv6.
	Version uint8
	// Interface is the interface the instance runs on (for logs; the Conn is bound to it).
	Interface string
	// Priority is the base priority, 1..255; 255 is the address owner. 0 means 100.
	Priority uint8
	// AdvertInterval is advert_int: whole seconds for VRRPv2, centiseconds for
	// VRRPv3. 0 means 1 s.
	AdvertInterval time.Duration
	// StateMaster is `state = "MASTER"`: as in keepalived, a non-owner still
	// starts in BACKUP and takes over after Master_Down_Interval if it hears
	// no master; an owner (priority 255) becomes master at once.
	StateMaster bool
	// NoPreempt is nopreempt: a backup does not take over from a lower-priority master.
	NoPreempt bool
	// PreemptDelay is preempt_delay: a backup that hears a lower-priority
	// master keeps accepting it for this long before it preempts (keepalived
	// semantics: the takeover then follows within Master_Down_Interval).
	PreemptDelay time.Duration

	// AuthType and AuthPass are VRRPv2 authentication: none, PASS, or
	// keepalived's IPsec AH (HMAC-MD5-96 keyed with AuthPass; the Conn
	// then carries whole IPv4 datagrams of protocol 51, see
	// vrrpnet.Config.AH).
	AuthType packet.AuthType
	AuthPass string
	// UnicastTTL is the TTL of AH adverts (unicast_ttl; 0 means 255).
	// Without AH the Conn sets the TTL.
	UnicastTTL uint8

	// SrcAddr is the source address of our advertisements: mcast_src_ip,
	// unicast_src_ip, or the interface's primary address (IPv6: its
	// link-local address). It is needed for the VRRPv3 checksum
	// pseudo-header and to break priority ties, so it is required.
	SrcAddr netip.Addr
	// McastGroup overrides the multicast destination (224.0.0.18 / ff02::12).
	McastGroup netip.Addr
	// Peers are unicast_peer entries; when any is set the instance is in
	// unicast mode and sends one advertisement to each.
	Peers []packet.Peer

	// VIPs are virtual_ipaddress followed by virtual_ipaddress_excluded
	// entries (Excluded set); at most 255 non-excluded VIPs.
	VIPs []VIP
	// Routes are virtual_routes.
	Routes []Route
	// Rules are virtual_rules.
	Rules []Rule

	// GARPMasterDelay is garp_master_delay: the second announcement burst
	// after becoming master. 0 means 5 s; negative means no second burst.
	GARPMasterDelay time.Duration
	// GARPMasterRepeat is garp_master_repeat: announcements per burst. 0 means 5;
	// negative means none (keepalived's explicit 0).
	GARPMasterRepeat int
	// GARPMasterRefresh is garp_master_refresh: a periodic announcement while master; 0 is off.
	GARPMasterRefresh time.Duration
	// GARPMasterRefreshRepeat is garp_master_refresh_repeat. 0 means 1; negative means none.
	GARPMasterRefreshRepeat int
	// GARPLowerPrioRepeat is garp_lower_prio_repeat: announcements sent when a
	// master hears a lower-priority advertisement. 0 means GARPMasterRepeat;
	// negative disables.
	GARPLowerPrioRepeat int
	// GARPLowerPrioDelay is garp_lower_prio_delay: a second burst after a
	// lower-priority advert. 0 means GARPMasterDelay; negative disables.
	GARPLowerPrioDelay time.Duration
	// LowerPrioNoAdvert is lower_prio_no_advert: a master does not answer a
	// lower-priority advertisement with its own.
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert is higher_prio_send_advert: a master that hears
	// a higher priority sends one advert of its own before it becomes backup.
	HigherPrioSendAdvert bool
	// DownTimerAdverts is down_timer_adverts, 1..100: Master_Down_Interval
	// is this many advert intervals plus Skew_Time. 0 means 3.
	DownTimerAdverts int
	// UnicastFaultNoPeer is unicast_fault_no_peer: an instance configured
	// for unicast that has no peer stays in FAULT (it never falls back to
	// multicast, and never becomes master).
	UnicastFaultNoPeer bool
	// ExtraIfInterval is garp_extra_if's delay: while master, one
	// announcement of ExtraIfAddrs every ExtraIfInterval, the first one
	// ExtraIfInterval after becoming master. 0 is off.
	ExtraIfInterval time.Duration
	// ExtraIfAddrs are the addresses garp_extra_if announces: one per
	// interface other than the one the adverts go out of (the caller
	// picks them, see keepalived's vrrp_send_vmac_update).
	ExtraIfAddrs []netip.Addr
	// OldUnicastChecksum is old_unicast_checksum: a unicast VRRPv3/IPv4
	// instance computes its checksum with ChecksumGroup as the
	// pseudo-header's destination instead of the peer's address (the
	// checksum keepalived sent before 2.0.8, RFC 5798 violated), and
	// accepts adverts checksummed either way.
	OldUnicastChecksum bool
	// ChecksumGroup is the group of OldUnicastChecksum (keepalived's
	// vrrp_mcast_group4); zero means 224.0.0.18.
	ChecksumGroup netip.Addr
	// StartupUntil ends vrrp_startup_delay: the daemon's start plus the
	// delay (zero: none). See fsm.Config.StartupUntil.
	StartupUntil time.Time

	// ChecksumVariant is the VRRPv3-over-IPv4 checksum sent:
	// ChecksumPseudoHeader (keepalived's default) or ChecksumNoPseudoHeader
	// (v3_checksum_as_v2, RFC 9568). Both are accepted on receive.
	ChecksumVariant packet.ChecksumVariant
	// SkipCheckAdvAddr is skip_check_adv_addr: accept advertisements whose
	// address list differs from ours.
	SkipCheckAdvAddr bool
	// AnyUnicastSource is check_unicast_src = false (keepalived's default
	// without the keyword): a unicast instance accepts adverts from any
	// source, without the peers' TTL window.
	AnyUnicastSource bool
}

// Defaults of keepalived 2.2.7.
const (
	DefaultPriority         = 100
	DefaultAdvertInterval   = time.Second
	DefaultGARPMasterDelay  = 5 * time.Second
	DefaultGARPMasterRepeat = 5
)

// WithDefaults returns c with zero values replaced by keepalived's defaults.
func (c Config) WithDefaults() Config {
	if c.Version == 0 {
		c.Version = packet.Version2
		if c.SrcAddr.Is6() && !c.SrcAddr.Is4In6() {
			c.Version = packet.Version3
		}
	}
	if c.Priority == 0 {
		c.Priority = DefaultPriority
	}
	if c.AdvertInterval == 0 {
		c.AdvertInterval = DefaultAdvertInterval
	}
	if c.GARPMasterDelay == 0 {
		c.GARPMasterDelay = DefaultGARPMasterDelay
	}
	if c.GARPMasterRepeat == 0 {
		c.GARPMasterRepeat = DefaultGARPMasterRepeat
	}
	if c.GARPMasterRefreshRepeat == 0 {
		c.GARPMasterRefreshRepeat = 1
	}
	if c.GARPLowerPrioRepeat == 0 {
		c.GARPLowerPrioRepeat = c.GARPMasterRepeat
	}
	if c.GARPLowerPrioDelay == 0 {
		c.GARPLowerPrioDelay = c.GARPMasterDelay
	}
	return c
}

// IPv6 reports whether the instance runs over IPv6.
func (c *Config) IPv6() bool { return c.SrcAddr.Is6() && !c.SrcAddr.Is4In6() }

// Unicast reports whether the instance sends to unicast peers.
func (c *Config) Unicast() bool { return len(c.Peers) > 0 }

// Validate checks c (after WithDefaults) and returns every problem found.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("vrrp: instance %s: "+format, append([]any{c.Name}, a...)...))
	}
	if c.VRID == 0 {
		bad("virtual_router_id must be 1..255")
	}
	if !c.SrcAddr.IsValid() {
		bad("no source address (mcast_src_ip, unicast_src_ip or the interface's address)")
	}
	is6 := c.IPv6()
	switch c.Version {
	case packet.Version2:
		if is6 {
			bad("VRRPv2 is IPv4 only; use version 3 for IPv6")
		}
	case packet.Version3:
		if c.AuthType != packet.AuthNone {
			bad("VRRPv3 has no authentication")
		}
	default:
		bad("version must be 2 or 3, not %d", c.Version)
	}
	if c.Version == packet.Version2 || c.Version == packet.Version3 {
		if _, err := packet.EncodeInterval(c.Version, c.AdvertInterval); err != nil {
			bad("advert_int %v: %v", c.AdvertInterval, err)
		}
	}
	switch c.AuthType {
	case packet.AuthNone:
	case packet.AuthPass:
		if c.AuthPass == "" {
			bad("auth_type PASS needs auth_pass")
		}
	case packet.AuthAH:
		if c.AuthPass == "" {
			bad("auth_type AH needs auth_pass")
		}
	default:
		bad("auth_type %v not supported", c.AuthType)
	}
	if c.PreemptDelay < 0 {
		bad("preempt_delay must not be negative")
	}
	n := 0
	for _, v := range c.VIPs {
		if !v.Prefix.IsValid() {
			bad("invalid virtual address")
			continue
		}
		a := v.Prefix.Addr()
		if (a.Is6() && !a.Is4In6()) != is6 && !v.Excluded {
			bad("virtual address %v is not of the instance's address family", a)
		}
		if !v.Excluded {
			n++
		}
	}
	if n > packet.MaxAddrs {
		bad("%d virtual addresses, at most 255 (use virtual_ipaddress_excluded)", n)
	}
	for _, p := range c.Peers {
		if !p.Addr.IsValid() || (p.Addr.Is6() && !p.Addr.Is4In6()) != is6 {
			bad("unicast peer %v is not of the instance's address family", p.Addr)
		}
		if p.MaxTTL != 0 && p.MinTTL > p.MaxTTL {
			bad("unicast peer %v: min_ttl %d > max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
		}
	}
	if c.ExtraIfInterval < 0 {
		bad("garp_extra_if must not be negative")
	}
	if c.DownTimerAdverts < 0 || c.DownTimerAdverts > 100 {
		bad("down_timer_adverts %d out of range 1..100", c.DownTimerAdverts)
	}
	if c.McastGroup.IsValid() && !c.McastGroup.IsMulticast() {
		bad("multicast group %v is not a multicast address", c.McastGroup)
	}
	return errors.Join(errs...)
}
