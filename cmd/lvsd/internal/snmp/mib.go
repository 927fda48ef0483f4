package snmp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
)

// OIDs of the MIBs served.
var (
	// Keepalived is KEEPALIVED-MIB::keepalived (the subagent's Open ID).
	Keepalived = agentx.OID{1, 3, 6, 1, 4, 1, 9586, 100, 5}
	// Global is KEEPALIVED-MIB::global (version.0, routerId.0).
	Global = Keepalived.Append(1)
	// VRRP is KEEPALIVED-MIB::vrrp, the subtree of enable_snmp_vrrp.
	VRRP = Keepalived.Append(2)
	// VRRPv3 is VRRPv3-MIB::vrrpv3MIB (mib-2 207), enable_snmp_rfcv3.
	VRRPv3 = agentx.OID{1, 3, 6, 1, 2, 1, 207}

	syncGroupEntry   = VRRP.Append(1, 1)
	syncMemberEntry  = VRRP.Append(2, 1)
	instanceEntry    = VRRP.Append(3, 1)
	routerID0        = Global.Append(2, 0)
	v3OperationsEnty = VRRPv3.Append(1, 1, 1, 1)
	v3StatisticsEnty = VRRPv3.Append(1, 2, 5, 1)

	// TrapSyncGroupStateChange is vrrpSyncGroupStateChange.
	TrapSyncGroupStateChange = VRRP.Append(10, 0, 1)
	// TrapInstanceStateChange is vrrpInstanceStateChange.
	TrapInstanceStateChange = VRRP.Append(10, 0, 2)
	// TrapV3NewMaster is vrrpv3NewMaster.
	TrapV3NewMaster = VRRPv3.Append(0, 1)
)

// State is KEEPALIVED-MIB's VrrpState.
type State int32

// The VrrpState values.
const (
	StateInit     State = 0
	StateBackup   State = 1
	StateMaster   State = 2
	StateFault    State = 3
	StateUnknown  State = 4
	StateShutdown State = 5
	StateDeleted  State = 6
)

// ParseState maps lvsd's state names (vrrp.State.String, config's
// "MASTER"/"BACKUP") to VrrpState.
func ParseState(s string) State {
	switch s {
	case "INIT", "init", "Init", "Initialize":
		return StateInit
	case "BACKUP", "backup", "Backup":
		return StateBackup
	case "MASTER", "master", "Master":
		return StateMaster
	case "FAULT", "fault", "Fault":
		return StateFault
	case "STOP", "stop", "Stop", "SHUTDOWN":
		return StateShutdown
	case "DELETED":
		return StateDeleted
	}
	return StateUnknown
}

// v3Status is vrrpv3OperationsStatus: initialize(1), backup(2), master(3).
func (s State) v3Status() int32 {
	switch s {
	case StateBackup:
		return 2
	case StateMaster:
		return 3
	}
	return 1
}

// Instance is one VRRP instance as the MIBs show it.
type Instance struct {
	Name              string
	VRID              int
	State             State
	InitialState      State
	WantedState       State
	BasePriority      int
	EffectivePriority int
	VIPsAllSet        bool
	Interface         string
	IfIndex           int // for VRRPv3-MIB's index; 0: the row is left out there
	TrackInterface    bool
	AdvertInt         time.Duration
	Preempt           bool
	PreemptDelay      time.Duration
	AuthType          int // 0 none, 1 password, 2 ah
	SyncGroup         string
	GARPDelay         time.Duration
	SMTPAlert         bool
	NotifyExec        bool
	ScriptMaster      string
	ScriptBackup      string
	ScriptFault       string
	ScriptStop        string
	Script            string
	Accept            bool
	Version           int // 2 or 3
	IPv6              bool
	Master            netip.Addr // the current master's address, if known
	Primary           netip.Addr // this router's advert source
	VIPCount          int
	VIPs              []netip.Addr  // the virtual addresses (VRRP-MIB's vrrpAssoIpAddrTable)
	Up                time.Duration // time since the instance left init (vrrpv3OperationsUpTime)
	NewMasterReason   int           // vrrpv3StatisticsNewMasterReason: 0 notMaster, 1 priority, 2 preempted, 3 masterNoResponse
}

// SyncGroup is one vrrp_sync_group.
type SyncGroup struct {
	Name           string
	State          State
	Members        []string
	SMTPAlert      bool
	NotifyExec     bool
	ScriptMaster   string
	ScriptBackup   string
	ScriptFault    string
	ScriptStop     string
	Script         string
	TrackingWeight bool
}

// Snapshot is what the MIBs show.
type Snapshot struct {
	Version        string
	RouterID       string
	Instances      []Instance
	SyncGroups     []SyncGroup
	VirtualServers []VirtualServer // checker.go
}

// Enabled says which parts are served (keepalived's enable_snmp_* keys).
type Enabled struct {
	VRRP   bool // enable_snmp_vrrp: KEEPALIVED-MIB global and vrrp
	RFCv3  bool // enable_snmp_rfcv3: VRRPv3-MIB
	Traps  bool // enable_traps: KEEPALIVED-MIB traps
	RFCv3T bool // VRRPv3 notifications (enable_snmp_rfcv3 with enable_traps)
	// Checker is enable_snmp_checker: KEEPALIVED-MIB global and check (checker.go).
	Checker bool
	// RFCv2 is enable_snmp_rfcv2: VRRP-MIB (rfc2787.go).
	RFCv2 bool
}

// Subtrees are the registrations for e.
func Subtrees(e Enabled) []agentx.OID {
	var out []agentx.OID
	if e.VRRP || e.Checker {
		out = append(out, Global)
	}
	if e.VRRP {
		out = append(out, VRRP)
	}
	if e.Checker {
		out = append(out, Check)
	}
	if e.RFCv2 {
		out = append(out, VRRPv2)
	}
	if e.RFCv3 {
		out = append(out, VRRPv3)
	}
	return out
}

func str(name agentx.OID, s string) agentx.VarBind {
	return agentx.VarBind{Name: name, Type: agentx.OctetString, Value: []byte(s)}
}

func integer(name agentx.OID, v int32) agentx.VarBind {
	return agentx.VarBind{Name: name, Type: agentx.Integer, Value: v}
}

func gauge(name agentx.OID, v int64) agentx.VarBind {
	return agentx.VarBind{Name: name, Type: agentx.Gauge32, Value: uint32(max(0, min(v, 1<<32-1)))}
}

// enabled is INTEGER { enabled(1), disabled(2) } and the TruthValue.
func enabled(b bool) int32 {
	if b {
		return 1
	}
	return 2
}

func inetAddr(a netip.Addr) []byte {
	if !a.IsValid() {
		return []byte{}
	}
	return a.AsSlice()
}

// Objects is every object of the enabled MIBs, sorted by OID.
func Objects(s Snapshot, e Enabled) []agentx.VarBind {
	var out []agentx.VarBind
	if e.VRRP || e.Checker {
		out = append(out, str(Global.Append(1, 0), s.Version), str(routerID0, s.RouterID))
	}
	if e.VRRP {
		out = append(out, syncGroups(s)...)
		out = append(out, instances(s)...)
	}
	if e.Checker {
		out = append(out, checker(s)...)
	}
	if e.RFCv2 {
		out = append(out, v2Oper(s)...)
	}
	if e.RFCv3 {
		out = append(out, v3Operations(s)...)
	}
	slices.SortFunc(out, func(a, b agentx.VarBind) int { return agentx.Compare(a.Name, b.Name) })
	return out
}

func syncGroups(s Snapshot) []agentx.VarBind {
	var out []agentx.VarBind
	byName := map[string]int{}
	for i, in := range s.Instances {
		byName[in.Name] = i + 1
	}
	for i, g := range s.SyncGroups {
		idx := uint32(i + 1)
		col := func(c uint32) agentx.OID { return syncGroupEntry.Append(c, idx) }
		out = append(out,
			str(col(2), g.Name),
			integer(col(3), int32(g.State)),
			integer(col(4), enabled(g.SMTPAlert)),
			integer(col(5), enabled(g.NotifyExec)),
		)
		for c, v := range map[uint32]string{6: g.ScriptMaster, 7: g.ScriptBackup, 8: g.ScriptFault, 9: g.Script, 11: g.ScriptStop} {
			if v != "" {
				out = append(out, str(col(c), v))
			}
		}
		out = append(out, integer(col(10), enabled(g.TrackingWeight)))
		for _, m := range g.Members {
			if mi, ok := byName[m]; ok {
				out = append(out, str(syncMemberEntry.Append(2, idx, uint32(mi)), m))
			}
		}
	}
	return out
}

func instances(s Snapshot) []agentx.VarBind {
	var out []agentx.VarBind
	for i, in := range s.Instances {
		idx := uint32(i + 1)
		col := func(c uint32) agentx.OID { return instanceEntry.Append(c, idx) }
		vips := int32(2)
		if in.VIPsAllSet {
			vips = 1
		}
		adv := in.AdvertInt / time.Second // seconds for VRRPv2
		if in.Version == 3 {
			adv = in.AdvertInt / (10 * time.Millisecond) // centiseconds
		}
		version := int32(2)
		if in.Version == 3 {
			version = 3
		}
		out = append(out,
			str(col(2), in.Name),
			gauge(col(3), int64(in.VRID)),
			integer(col(4), int32(in.State)),
			integer(col(5), int32(in.InitialState)),
			integer(col(6), int32(in.WantedState)),
			integer(col(7), int32(in.BasePriority)),
			integer(col(8), int32(in.EffectivePriority)),
			integer(col(9), vips),
			str(col(10), in.Interface),
			integer(col(11), enabled(in.TrackInterface)),
			gauge(col(12), int64(adv)),
			integer(col(13), enabled(in.Preempt)),
			gauge(col(14), int64(in.PreemptDelay/time.Second)),
			integer(col(15), int32(in.AuthType)),
			integer(col(16), 2), // lvs sync daemon: per instance in keepalived, global here
			str(col(18), in.SyncGroup),
			gauge(col(19), int64(in.GARPDelay/time.Second)),
			integer(col(20), enabled(in.SMTPAlert)),
			integer(col(21), enabled(in.NotifyExec)),
			integer(col(27), enabled(in.Accept)),
			integer(col(30), version),
		)
		for c, v := range map[uint32]string{22: in.ScriptMaster, 23: in.ScriptBackup, 24: in.ScriptFault, 25: in.ScriptStop, 26: in.Script} {
			if v != "" {
				out = append(out, str(col(c), v))
			}
		}
	}
	return out
}

// v3Index is vrrpv3OperationsTable's index: ifIndex, VRID, address type
// (ipv4(1), ipv6(2)).
func v3Index(in Instance) []uint32 {
	t := uint32(1)
	if in.IPv6 {
		t = 2
	}
	return []uint32{uint32(in.IfIndex), uint32(in.VRID), t}
}

func virtualMAC(in Instance) []byte {
	if in.IPv6 {
		return []byte{0, 0, 0x5e, 0, 2, byte(in.VRID)}
	}
	return []byte{0, 0, 0x5e, 0, 1, byte(in.VRID)}
}

func v3Operations(s Snapshot) []agentx.VarBind {
	var out []agentx.VarBind
	for _, in := range s.Instances {
		if in.IfIndex <= 0 {
			continue
		}
		idx := v3Index(in)
		col := func(c uint32) agentx.OID { return v3OperationsEnty.Append(c).Append(idx...) }
		master := in.Master
		if in.State == StateMaster {
			master = in.Primary
		}
		out = append(out,
			agentx.VarBind{Name: col(3), Type: agentx.OctetString, Value: inetAddr(master)},
			agentx.VarBind{Name: col(4), Type: agentx.OctetString, Value: inetAddr(in.Primary)},
			agentx.VarBind{Name: col(5), Type: agentx.OctetString, Value: virtualMAC(in)},
			integer(col(6), in.State.v3Status()),
			gauge(col(7), int64(in.EffectivePriority)),
			integer(col(8), int32(in.VIPCount)),
			integer(col(9), int32(in.AdvertInt/(10*time.Millisecond))),
			integer(col(10), enabled(in.Preempt)),
			integer(col(11), enabled(in.Accept)),
			agentx.VarBind{Name: col(12), Type: agentx.TimeTicks, Value: uint32(in.Up / (10 * time.Millisecond))},
			integer(col(13), 1), // rowStatus active
		)
	}
	return out
}

// InstanceStateChange is the vrrpInstanceStateChange trap's objects for
// instance i (0-based) of s: name, state, initial state, routerId.
func InstanceStateChange(s Snapshot, i int) []agentx.VarBind {
	in := s.Instances[i]
	idx := uint32(i + 1)
	return []agentx.VarBind{
		str(instanceEntry.Append(2, idx), in.Name),
		integer(instanceEntry.Append(4, idx), int32(in.State)),
		integer(instanceEntry.Append(5, idx), int32(in.InitialState)),
		str(routerID0, s.RouterID),
	}
}

// SyncGroupStateChange is the vrrpSyncGroupStateChange trap's objects for
// sync group i (0-based) of s: name, state, routerId.
func SyncGroupStateChange(s Snapshot, i int) []agentx.VarBind {
	g := s.SyncGroups[i]
	idx := uint32(i + 1)
	return []agentx.VarBind{
		str(syncGroupEntry.Append(2, idx), g.Name),
		integer(syncGroupEntry.Append(3, idx), int32(g.State)),
		str(routerID0, s.RouterID),
	}
}

// V3NewMaster is the vrrpv3NewMaster notification's objects for instance
// i of s (nil when the instance has no VRRPv3-MIB row): master address and
// the reason.
func V3NewMaster(s Snapshot, i int) []agentx.VarBind {
	in := s.Instances[i]
	if in.IfIndex <= 0 {
		return nil
	}
	idx := v3Index(in)
	return []agentx.VarBind{
		{Name: v3OperationsEnty.Append(3).Append(idx...), Type: agentx.OctetString, Value: inetAddr(in.Primary)},
		integer(v3StatisticsEnty.Append(2).Append(idx...), int32(in.NewMasterReason)),
	}
}
