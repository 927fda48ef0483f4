package ipvs

import (
	"cmp"
	"fmt"
	"net/netip"
	"strings"
)

// Protocol is a virtual service's transport protocol (IPPROTO_*).
type Protocol uint16

// Protocols IPVS balances.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	case 0:
		return "-"
	}
	return fmt.Sprintf("proto(%d)", uint16(p))
}

// ParseProtocol parses keepalived's protocol keyword (TCP, UDP, SCTP).
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToUpper(s) {
	case "TCP", "":
		return TCP, nil
	case "UDP":
		return UDP, nil
	case "SCTP":
		return SCTP, nil
	}
	return 0, fmt.Errorf("ipvs: unknown protocol %q (want TCP, UDP or SCTP)", s)
}

// Forward is a destination's forwarding method (lb_kind).
type Forward uint32

// Forwarding methods, with the kernel's IP_VS_CONN_F_* values.
const (
	NAT Forward = 0 // masquerading
	TUN Forward = 2 // IP-in-IP (or GUE/GRE) tunnelling
	DR  Forward = 3 // direct routing
)

func (f Forward) String() string {
	switch f {
	case NAT:
		return "NAT"
	case TUN:
		return "TUN"
	case DR:
		return "DR"
	}
	return fmt.Sprintf("fwd(%d)", uint32(f))
}

// ParseForward parses keepalived's lb_kind (NAT, DR, TUN).
func ParseForward(s string) (Forward, error) {
	switch strings.ToUpper(s) {
	case "NAT", "":
		return NAT, nil
	case "DR":
		return DR, nil
	case "TUN":
		return TUN, nil
	}
	return 0, fmt.Errorf("ipvs: unknown lb_kind %q (want NAT, DR or TUN)", s)
}

// TunnelType is the encapsulation of a TUN destination (kernel 5.2+).
type TunnelType uint8

// Tunnel types.
const (
	IPIP TunnelType = 0
	GUE  TunnelType = 1
	GRE  TunnelType = 2
)

func (t TunnelType) String() string {
	switch t {
	case IPIP:
		return "ipip"
	case GUE:
		return "gue"
	case GRE:
		return "gre"
	}
	return fmt.Sprintf("tun(%d)", uint8(t))
}

// ParseTunnelType parses keepalived's tunnel_type (ipip, gue, gre).
func ParseTunnelType(s string) (TunnelType, error) {
	switch strings.ToLower(s) {
	case "ipip", "":
		return IPIP, nil
	case "gue":
		return GUE, nil
	case "gre":
		return GRE, nil
	}
	return 0, fmt.Errorf("ipvs: unknown tunnel type %q (want ipip, gue or gre)", s)
}

// TunnelFlags are the GUE/GRE checksum options.
type TunnelFlags uint16

// Tunnel flags.
const (
	TunnelChecksum       TunnelFlags = 1 << 0
	TunnelRemoteChecksum TunnelFlags = 1 << 1
)

// Flags are a service's IP_VS_SVC_F_* flags. Persistent is implied by a
// non-zero Service.Timeout and is set by the client; Hashed is the kernel's
// and never compared.
type Flags uint32

// Service flags.
const (
	FlagPersistent Flags = 0x0001
	FlagHashed     Flags = 0x0002
	FlagOnePacket  Flags = 0x0004 // ops: one-packet scheduling (UDP)
	FlagSched1     Flags = 0x0008 // sh-fallback, mh-fallback
	FlagSched2     Flags = 0x0010 // sh-port, mh-port
	FlagSched3     Flags = 0x0020
)

// flagsCompared are the flags lvsd sets and compares.
const flagsCompared = FlagOnePacket | FlagSched1 | FlagSched2 | FlagSched3

// ParseSchedulerFlag maps keepalived's lb_algo flag keywords to flags.
func ParseSchedulerFlag(s string) (Flags, error) {
	switch strings.ToLower(s) {
	case "sh-fallback", "mh-fallback", "flag-1":
		return FlagSched1, nil
	case "sh-port", "mh-port", "flag-2":
		return FlagSched2, nil
	case "flag-3":
		return FlagSched3, nil
	case "ops":
		return FlagOnePacket, nil
	}
	return 0, fmt.Errorf("ipvs: unknown scheduler flag %q", s)
}

// Schedulers lists the scheduler names lvsd accepts (ip_vs_<name> modules).
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// ServiceKey identifies a virtual service: either a firewall mark (FWMark
// != 0; Family then says IPv4 or IPv6) or a protocol, address and port.
type ServiceKey struct {
	FWMark   uint32
	IPv6     bool // with FWMark: the address family of the service
	Protocol Protocol
	Addr     netip.Addr
	Port     uint16
}

// IsFWMark reports whether the key is a firewall-mark service.
func (k ServiceKey) IsFWMark() bool { return k.FWMark != 0 }

// Is6 reports whether the service is IPv6.
func (k ServiceKey) Is6() bool {
	if k.FWMark != 0 {
		return k.IPv6
	}
	return k.Addr.Is6() && !k.Addr.Is4In6()
}

func (k ServiceKey) String() string {
	if k.FWMark != 0 {
		if k.IPv6 {
			return fmt.Sprintf("FWM %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM %d", k.FWMark)
	}
	return fmt.Sprintf("%s %s", k.Protocol, netip.AddrPortFrom(k.Addr, k.Port))
}

// Compare orders keys: fwmark services after address services, then by
// family, address, port and protocol.
func (k ServiceKey) Compare(o ServiceKey) int {
	switch {
	case k.FWMark != o.FWMark:
		if k.FWMark < o.FWMark {
			return -1
		}
		return 1
	case k.IPv6 != o.IPv6:
		if !k.IPv6 {
			return -1
		}
		return 1
	}
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c
	}
	if k.Port != o.Port {
		if k.Port < o.Port {
			return -1
		}
		return 1
	}
	if k.Protocol != o.Protocol {
		if k.Protocol < o.Protocol {
			return -1
		}
		return 1
	}
	return 0
}

// Service is a virtual service's identity and configuration.
type Service struct {
	ServiceKey
	Scheduler string
	Flags     Flags  // FlagOnePacket and scheduler flags; Persistent/Hashed are managed
	Timeout   uint32 // persistence_timeout in seconds; 0 = not persistent
	// NetmaskBits is persistence_granularity as a prefix length (IPv4 0-32,
	// IPv6 0-128); 0 means the full address (32 or 128).
	NetmaskBits int
	PE          string // persistence_engine ("sip"), "" for none
}

// normalized returns s with defaults filled in, as the kernel reports it.
func (s Service) normalized() Service {
	full := 32
	if s.Is6() {
		full = 128
	}
	if s.NetmaskBits == 0 || s.NetmaskBits > full {
		s.NetmaskBits = full
	}
	s.Flags &= flagsCompared
	if s.Timeout != 0 {
		s.Flags |= FlagPersistent
	}
	if s.Scheduler == "" {
		s.Scheduler = "wlc"
	}
	return s
}

// sameConfig reports whether two services with equal keys need no update.
func (s Service) sameConfig(o Service) bool {
	return s.normalized() == o.normalized()
}

// DestKey identifies a destination within its service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// Compare orders destination keys by address then port.
func (k DestKey) Compare(o DestKey) int {
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c
	}
	switch {
	case k.Port < o.Port:
		return -1
	case k.Port > o.Port:
		return 1
	}
	return 0
}

// Destination is a real server of a service: identity and configuration.
type Destination struct {
	DestKey
	Forward     Forward
	Weight      uint32
	UThreshold  uint32 // uthreshold: 0 = unlimited
	LThreshold  uint32 // lthreshold
	TunnelType  TunnelType
	TunnelPort  uint16 // GUE port
	TunnelFlags TunnelFlags
}

// normalized zeroes the tunnel fields of a non-TUN destination.
func (d Destination) normalized() Destination {
	if d.Forward != TUN {
		d.TunnelType, d.TunnelPort, d.TunnelFlags = 0, 0, 0
	}
	if d.TunnelType != GUE {
		d.TunnelPort = 0
	}
	return d
}

// VirtualService is a service with its destinations, sorted by key.
type VirtualService struct {
	Service
	Destinations []Destination
}

// Table is a set of virtual services keyed by identity.
type Table map[ServiceKey]VirtualService

// Add puts vs into t, replacing a service with the same key.
func (t Table) Add(vs VirtualService) { t[vs.ServiceKey] = vs }

// Stats are 64-bit counters and rates (per second) of a service or destination.
type Stats struct {
	Connections, InPackets, OutPackets, InBytes, OutBytes uint64
	CPS, InPPS, OutPPS, InBPS, OutBPS                     uint64
}

// ServiceStats is a service as observed in the kernel.
type ServiceStats struct {
	Service
	Stats Stats
}

// DestinationStats is a destination as observed in the kernel.
type DestinationStats struct {
	Destination
	ActiveConns, InactiveConns, PersistConns uint32
	Stats                                    Stats
}

// Info describes the kernel's IPVS.
type Info struct {
	Version       string // "1.2.1"
	ConnTableSize uint32
}

// Timeouts are the connection timeouts (lvs_timeouts), in seconds; 0 in a
// Client.SetTimeouts call leaves that value unchanged (Manager.SetTimeouts
// puts the original back instead, as keepalived).
type Timeouts struct {
	TCP, TCPFin, UDP uint32
}

// SyncState is a sync daemon's role.
type SyncState uint32

// Sync daemon roles (IP_VS_STATE_*).
const (
	SyncMaster SyncState = 1
	SyncBackup SyncState = 2
)

func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// SyncDaemon is the kernel's connection synchronisation thread
// (lvs_sync_daemon): it multicasts connection state (master) or receives it
// (backup) on Interface for SyncID.
type SyncDaemon struct {
	State     SyncState
	Interface string
	SyncID    uint8
	MaxLen    uint16     // sync_maxlen; 0 = kernel default
	Group     netip.Addr // mcast_group; invalid = 224.0.0.81
	Port      uint16     // mcast_port; 0 = 8848
	TTL       uint8      // mcast_ttl; 0 = 1
}

// The kernel's values for the sync daemon settings left at zero
// (IP_VS_SYNC_GROUP, IP_VS_SYNC_PORT, ttl 1); it reports them back.
var defaultSyncGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})

const (
	defaultSyncPort = 8848
	defaultSyncTTL  = 1
)

// Matches reports whether have, a daemon as the kernel reports it, runs
// as d asks. A setting d leaves at zero matches the kernel's default
// (sync_maxlen, derived from the interface's MTU, matches any value); a
// setting the kernel does not report (before Linux 4.3: sync_maxlen,
// mcast_group, mcast_port, mcast_ttl) matches anything.
func (d SyncDaemon) Matches(have SyncDaemon) bool {
	if d.State != have.State || d.Interface != have.Interface || d.SyncID != have.SyncID {
		return false
	}
	group := d.Group
	if !group.IsValid() {
		group = defaultSyncGroup
	}
	port, ttl := cmp.Or(d.Port, defaultSyncPort), cmp.Or(d.TTL, defaultSyncTTL)
	return (d.MaxLen == 0 || have.MaxLen == 0 || d.MaxLen == have.MaxLen) &&
		(!have.Group.IsValid() || group == have.Group) &&
		(have.Port == 0 || port == have.Port) &&
		(have.TTL == 0 || ttl == have.TTL)
}
