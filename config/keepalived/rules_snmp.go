package keepalived

import "sync"

// SNMP keywords: global_defs' enable_snmp_* / enable_traps / snmp_socket,
// and snmp_name of virtual and real servers. keepalived's switches take no
// value; enable_snmp_keepalived (deprecated in 2.0) becomes
// enable_snmp_vrrp, as keepalived treats it.

var snmpGlobalRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"enable_snmp_vrrp":       snmpVRRPFlag,
		"enable_snmp_keepalived": snmpVRRPFlag,
		"enable_snmp_checker":    boolFlag("enable_snmp_checker"),
		"enable_snmp_rfc":        boolFlag("enable_snmp_rfc"),
		"enable_snmp_rfcv2":      boolFlag("enable_snmp_rfcv2"),
		"enable_snmp_rfcv3":      boolFlag("enable_snmp_rfcv3"),
		"enable_traps":           boolFlag("enable_traps"),
		"snmp_socket":            str("snmp_socket"),
	}
})

// snmpVRRPFlag: enable_snmp_vrrp and enable_snmp_keepalived are one switch;
// configurations written for both keepalived 1.x and 2.x give both.
var snmpVRRPFlag = rule{key: "enable_snmp_vrrp", fn: func(x *ctx, n *Node) {
	if !x.args(n, 0, 0) {
		return
	}
	if x.t.get("enable_snmp_vrrp") != nil {
		x.warnf(n, "enable_snmp_vrrp and enable_snmp_keepalived are the same switch, already on")
		return
	}
	x.t.set(n, "enable_snmp_vrrp", "true")
}}
