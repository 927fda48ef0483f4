package snmp

import (
	"net/netip"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
)

// VRRP-MIB (RFC 2787, enable_snmp_rfcv2): vrrpOperTable,
// vrrpAssoIpAddrTable and vrrpTrapNewMaster, for the VRRPv2 instances over
// IPv4 (the MIB knows no other), as keepalived's vrrp_snmp.c serves it.
var (
	// VRRPv2 is VRRP-MIB::vrrpMIB (mib-2 68).
	VRRPv2 = agentx.OID{1, 3, 6, 1, 2, 1, 68}

	v2OperEntry = VRRPv2.Append(1, 3, 1)
	v2AssoEntry = VRRPv2.Append(1, 4, 1)

	// TrapV2NewMaster is vrrpTrapNewMaster.
	TrapV2NewMaster = VRRPv2.Append(0, 1)
)

// inV2MIB reports whether an instance has a VRRP-MIB row.
func inV2MIB(in Instance) bool { return in.IfIndex > 0 && in.Version != 3 && !in.IPv6 }

func ipAddress(name agentx.OID, a netip.Addr) agentx.VarBind {
	if !a.IsValid() || !a.Unmap().Is4() {
		a = netip.IPv4Unspecified()
	}
	return agentx.VarBind{Name: name, Type: agentx.IPAddress, Value: a.Unmap()}
}

// v2State is vrrpOperState: initialize(1), backup(2), master(3).
func (s State) v2State() int32 { return s.v3Status() }

func v2Master(in Instance) netip.Addr {
	if in.State == StateMaster {
		return in.Primary
	}
	return in.Master
}

func v2Oper(s Snapshot) []agentx.VarBind {
	var out []agentx.VarBind
	for _, in := range s.Instances {
		if !inV2MIB(in) {
			continue
		}
		ifx, vrid := uint32(in.IfIndex), uint32(in.VRID)
		col := func(c uint32) agentx.OID { return v2OperEntry.Append(c, ifx, vrid) }
		auth := int32(1)
		switch in.AuthType {
		case 1:
			auth = 2
		case 2:
			auth = 3
		}
		out = append(out,
			agentx.VarBind{Name: col(2), Type: agentx.OctetString, Value: virtualMAC(in)},
			integer(col(3), in.State.v2State()),
			integer(col(4), 1), // adminState up: lvsd runs every configured instance
			integer(col(5), int32(in.EffectivePriority)),
			integer(col(6), int32(in.VIPCount)),
			ipAddress(col(7), v2Master(in)),
			ipAddress(col(8), in.Primary),
			integer(col(9), auth),
			agentx.VarBind{Name: col(10), Type: agentx.OctetString, Value: []byte{}}, // the key always reads empty (RFC 2787)
			integer(col(11), int32(max(1, in.AdvertInt/time.Second))),
			integer(col(12), enabled(in.Preempt)),
			integer(col(14), 1), // protocol ip
			integer(col(15), 1), // rowStatus active
		)
		for _, a := range in.VIPs {
			if a.Is4() {
				b := a.As4()
				out = append(out, integer(v2AssoEntry.Append(2, ifx, vrid, uint32(b[0]), uint32(b[1]), uint32(b[2]), uint32(b[3])), 1))
			}
		}
	}
	return out
}

// V2NewMaster is vrrpTrapNewMaster's objects for instance i of s (nil when
// the instance has no VRRP-MIB row): vrrpOperMasterIpAddr.
func V2NewMaster(s Snapshot, i int) []agentx.VarBind {
	in := s.Instances[i]
	if !inV2MIB(in) {
		return nil
	}
	return []agentx.VarBind{ipAddress(v2OperEntry.Append(7, uint32(in.IfIndex), uint32(in.VRID)), in.Primary)}
}
