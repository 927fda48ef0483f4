// Package snmp maps lvsd's state onto the MIBs keepalived serves as an
// AgentX subagent: KEEPALIVED-MIB (enterprises.9586.100.5: the global
// version and routerId, vrrpSyncGroupTable, vrrpSyncGroupMemberTable,
// vrrpInstanceTable and the vrrpSyncGroupStateChange and
// vrrpInstanceStateChange traps) and VRRPv3-MIB (RFC 6527:
// vrrpv3OperationsTable and the vrrpv3NewMaster notification).
//
// Everything here is pure: Objects turns a Snapshot (plain values the
// daemon fills from its configuration and status) into the sorted varbinds
// an agentx.Session serves, and the trap functions build a notification's
// objects. The session itself is package agentx.
//
// With enable_snmp_checker, KEEPALIVED-MIB's check subtree too
// (virtualServerTable, realServerTable, the realServerStateChange and
// virtualServerQuorumStateChange traps: checker.go); with
// enable_snmp_rfcv2, VRRP-MIB (RFC 2787: vrrpOperTable,
// vrrpAssoIpAddrTable, vrrpTrapNewMaster: rfc2787.go).
//
// Out of scope: the IPVS counters and rates of the checker tables, the
// virtual server group tables, the tracked object tables,
// vrrpv3StatisticsTable, VRRP-MIB's statistics and vrrpOperVirtualRouterUpTime,
// and writes (vrrpInstanceBasePriority is read-only here).
package snmp
