package snmp

import (
	"net/netip"
	"strings"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
)

// The checker part of KEEPALIVED-MIB (enable_snmp_checker), as
// keepalived's check_snmp.c fills it: virtualServerTable and
// realServerTable, and the realServerStateChange and
// virtualServerQuorumStateChange traps.
var (
	// Check is KEEPALIVED-MIB::check.
	Check = Keepalived.Append(3)

	vsEntry = Check.Append(3, 1)
	rsEntry = Check.Append(4, 1)

	// TrapRealServerStateChange is realServerStateChange.
	TrapRealServerStateChange = Check.Append(5, 0, 1)
	// TrapVirtualServerQuorumStateChange is virtualServerQuorumStateChange.
	TrapVirtualServerQuorumStateChange = Check.Append(5, 0, 2)
)

// VirtualServer is one virtual_server as the checker MIB shows it.
type VirtualServer struct {
	Key              string // the daemon's name for it (config.VirtualServer.Name)
	Group            string // virtual_server_group; "" when none
	FWMark           uint32
	Addr             netip.Addr
	Port             uint16
	Protocol         string // TCP, UDP, SCTP
	Algo             string // lb_algo
	Kind             string // lb_kind: NAT, DR, TUN
	VirtualHost      string
	Persist          bool
	PersistTimeout   time.Duration
	Granularity      int // persistence_granularity prefix length; 0: none
	DelayLoop        time.Duration
	HASuspend        bool
	Alpha, Omega     bool
	Quorum           int
	QuorumUp         bool
	QuorumUpScript   string
	QuorumDownScript string
	Hysteresis       int
	OPS              bool
	SMTPAlert        bool
	Name             string // snmp_name
	RealServers      []RealServer
}

// RealServer is one real_server (or the sorry server) of a virtual server.
type RealServer struct {
	Addr             netip.Addr
	Port             uint16
	Sorry            bool
	Alive            bool
	Weight           int
	UThreshold       int
	LThreshold       int
	Inhibit          bool // inhibit_on_failure
	NotifyUp         string
	NotifyDown       string
	FailedChecks     int
	Kind             string // NAT, DR, TUN
	VirtualHost      string
	Alpha            bool
	Retry            int
	DelayBeforeRetry time.Duration
	Warmup           time.Duration
	DelayLoop        time.Duration
	SMTPAlert        bool
	Name             string // snmp_name
	ActiveConns      uint64
	InactiveConns    uint64
}

// RealServerIndex finds a real server (0-based virtual and real server
// indices), -1, -1 when it is not there.
func (s Snapshot) RealServerIndex(vs string, addr netip.Addr, port uint16) (int, int) {
	for i, v := range s.VirtualServers {
		if v.Key != vs {
			continue
		}
		for j, r := range v.RealServers {
			if r.Addr.Unmap() == addr.Unmap() && r.Port == port && !r.Sorry {
				return i, j
			}
		}
	}
	return -1, -1
}

func (v VirtualServer) vsType() int32 {
	switch {
	case v.Group != "":
		return 3
	case v.FWMark != 0:
		return 1
	}
	return 2
}

func protocol(p string) int32 {
	switch strings.ToUpper(p) {
	case "TCP":
		return 1
	case "UDP":
		return 2
	case "SCTP":
		return 3
	}
	return 4
}

var algos = map[string]int32{"rr": 1, "wrr": 2, "lc": 3, "wlc": 4, "lblc": 5, "lblcr": 6, "dh": 7, "sh": 8,
	"sed": 9, "nq": 10, "fo": 11, "ovf": 12, "mh": 13, "twos": 14}

func algo(a string) int32 {
	if n, ok := algos[strings.ToLower(a)]; ok {
		return n
	}
	return 99
}

func kind(k string) int32 {
	switch strings.ToUpper(k) {
	case "DR":
		return 2
	case "TUN":
		return 3
	}
	return 1
}

// addrType is InetAddressType: ipv4(1), ipv6(2).
func addrType(a netip.Addr) int32 {
	if a.Is6() && !a.Is4In6() {
		return 2
	}
	return 1
}

func octets(a netip.Addr) agentx.VarBind {
	return agentx.VarBind{Type: agentx.OctetString, Value: inetAddr(a.Unmap())}
}

func unsigned(name agentx.OID, v int64) agentx.VarBind { return gauge(name, v) }

func (v VirtualServer) realUp() (up, total int) {
	for _, r := range v.RealServers {
		if r.Sorry {
			continue
		}
		total++
		if r.Alive {
			up++
		}
	}
	return up, total
}

// quorumStatus is virtualServerQuorumStatus: met(1), notMet(2).
func (v VirtualServer) quorumStatus() int32 {
	if v.QuorumUp {
		return 1
	}
	return 2
}

func named(b agentx.VarBind, name agentx.OID) agentx.VarBind { b.Name = name; return b }

func checker(s Snapshot) []agentx.VarBind {
	var out []agentx.VarBind
	for i, v := range s.VirtualServers {
		idx := uint32(i + 1)
		col := func(c uint32) agentx.OID { return vsEntry.Append(c, idx) }
		up, total := v.realUp()
		alive := int32(2)
		if v.QuorumUp {
			alive = 1
		}
		out = append(out, integer(col(2), v.vsType()))
		switch v.vsType() {
		case 3:
			out = append(out, str(col(3), v.Group))
		case 1:
			out = append(out, unsigned(col(4), int64(v.FWMark)))
		default:
			out = append(out, integer(col(5), addrType(v.Addr)), named(octets(v.Addr), col(6)))
		}
		if v.vsType() != 1 {
			out = append(out, unsigned(col(7), int64(v.Port)))
		}
		out = append(out,
			integer(col(8), protocol(v.Protocol)),
			integer(col(9), algo(v.Algo)),
			integer(col(10), kind(v.Kind)),
			integer(col(11), alive),
			integer(col(13), enabled(v.Persist)),
			unsigned(col(16), int64(v.DelayLoop/time.Second)),
			integer(col(17), enabled(v.HASuspend)),
			integer(col(18), enabled(v.Alpha)),
			integer(col(19), enabled(v.Omega)),
			unsigned(col(20), int64(total)),
			unsigned(col(21), int64(up)),
			unsigned(col(22), int64(v.Quorum)),
			integer(col(23), v.quorumStatus()),
			unsigned(col(26), int64(v.Hysteresis)),
			integer(col(37), enabled(v.OPS)),
			integer(col(64), enabled(v.SMTPAlert)),
			unsigned(col(67), int64(v.DelayLoop/time.Microsecond)),
		)
		if v.VirtualHost != "" {
			out = append(out, str(col(12), v.VirtualHost))
		}
		if v.Persist {
			out = append(out, unsigned(col(14), int64(v.PersistTimeout/time.Second)))
			if v.Granularity > 0 {
				if v.Addr.Is4() {
					out = append(out, agentx.VarBind{Name: col(15), Type: agentx.OctetString, Value: netmask4(v.Granularity)})
				} else {
					out = append(out, unsigned(col(63), int64(v.Granularity)))
				}
			}
		}
		if v.QuorumUpScript != "" {
			out = append(out, str(col(24), v.QuorumUpScript))
		}
		if v.QuorumDownScript != "" {
			out = append(out, str(col(25), v.QuorumDownScript))
		}
		if v.Name != "" {
			out = append(out, str(col(71), v.Name))
		}
		for j, r := range v.RealServers {
			out = append(out, realServer(idx, uint32(j+1), r)...)
		}
	}
	return out
}

func netmask4(bits int) []byte {
	m := uint32(0xffffffff) << (32 - bits)
	return []byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
}

func realServer(vi, ri uint32, r RealServer) []agentx.VarBind {
	col := func(c uint32) agentx.OID { return rsEntry.Append(c, vi, ri) }
	typ, status, action := int32(1), int32(2), int32(1)
	if r.Sorry {
		typ = 2
	}
	if r.Alive {
		status = 1
	}
	if r.Inhibit {
		action = 2
	}
	out := []agentx.VarBind{
		integer(col(2), typ),
		integer(col(3), addrType(r.Addr)),
		named(octets(r.Addr), col(4)),
		unsigned(col(5), int64(r.Port)),
		integer(col(6), status),
		integer(col(7), int32(r.Weight)),
	}
	if !r.Sorry {
		out = append(out,
			unsigned(col(8), int64(r.UThreshold)),
			unsigned(col(9), int64(r.LThreshold)),
			integer(col(10), action),
		)
		if r.NotifyUp != "" {
			out = append(out, str(col(11), r.NotifyUp))
		}
		if r.NotifyDown != "" {
			out = append(out, str(col(12), r.NotifyDown))
		}
		out = append(out, unsigned(col(13), int64(r.FailedChecks)))
	}
	out = append(out,
		gauge(col(15), int64(r.ActiveConns)),
		gauge(col(16), int64(r.InactiveConns)),
		integer(col(40), kind(r.Kind)),
	)
	if !r.Sorry {
		if r.VirtualHost != "" {
			out = append(out, str(col(41), r.VirtualHost))
		}
		out = append(out,
			integer(col(42), enabled(r.Alpha)),
			unsigned(col(43), int64(r.Retry)),
			unsigned(col(44), int64(r.DelayBeforeRetry/time.Second)),
			unsigned(col(45), int64(r.Warmup/time.Second)),
			unsigned(col(46), int64(r.DelayLoop/time.Second)),
			integer(col(47), enabled(r.SMTPAlert)),
			unsigned(col(48), int64(r.DelayBeforeRetry/time.Microsecond)),
			unsigned(col(49), int64(r.Warmup/time.Microsecond)),
			unsigned(col(50), int64(r.DelayLoop/time.Microsecond)),
		)
	}
	if r.Name != "" {
		out = append(out, str(col(55), r.Name))
	}
	return out
}

// vsTrapObjects are the virtual server's objects both checker traps carry.
func vsTrapObjects(v VirtualServer, idx uint32) []agentx.VarBind {
	col := func(c uint32) agentx.OID { return vsEntry.Append(c, idx) }
	out := []agentx.VarBind{integer(col(2), v.vsType())}
	switch v.vsType() {
	case 3:
		out = append(out, str(col(3), v.Group))
	case 1:
		out = append(out, unsigned(col(4), int64(v.FWMark)))
	default:
		out = append(out, integer(col(5), addrType(v.Addr)), named(octets(v.Addr), col(6)), unsigned(col(7), int64(v.Port)))
	}
	return append(out, integer(col(8), protocol(v.Protocol)))
}

// RealServerStateChange is realServerStateChange's objects for real
// server ri of virtual server vi (0-based) of s: the real server's
// address, port and status, the virtual server, its real servers up and
// total, routerId.
func RealServerStateChange(s Snapshot, vi, ri int) []agentx.VarBind {
	v := s.VirtualServers[vi]
	r := v.RealServers[ri]
	vidx, ridx := uint32(vi+1), uint32(ri+1)
	col := func(c uint32) agentx.OID { return rsEntry.Append(c, vidx, ridx) }
	status := int32(2)
	if r.Alive {
		status = 1
	}
	out := []agentx.VarBind{
		integer(col(3), addrType(r.Addr)),
		named(octets(r.Addr), col(4)),
		unsigned(col(5), int64(r.Port)),
		integer(col(6), status),
	}
	out = append(out, vsTrapObjects(v, vidx)...)
	up, total := v.realUp()
	return append(out,
		unsigned(vsEntry.Append(21, vidx), int64(up)),
		unsigned(vsEntry.Append(20, vidx), int64(total)),
		str(routerID0, s.RouterID))
}

// VirtualServerQuorumStateChange is virtualServerQuorumStateChange's
// objects for virtual server vi (0-based) of s.
func VirtualServerQuorumStateChange(s Snapshot, vi int) []agentx.VarBind {
	v := s.VirtualServers[vi]
	vidx := uint32(vi + 1)
	out := vsTrapObjects(v, vidx)
	up, total := v.realUp()
	return append(out,
		integer(vsEntry.Append(23, vidx), v.quorumStatus()),
		unsigned(vsEntry.Append(22, vidx), int64(v.Quorum)),
		unsigned(vsEntry.Append(21, vidx), int64(up)),
		unsigned(vsEntry.Append(20, vidx), int64(total)),
		str(routerID0, s.RouterID))
}
