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
// Out of scope: the checker part of KEEPALIVED-MIB (virtualServerTable,
// realServerTable), VRRP-MIB (RFC 2787, enable_snmp_rfcv2), the tracked
// object tables, vrrpv3StatisticsTable, and writes (vrrpInstanceBasePriority
// is read-only here).
package snmp
