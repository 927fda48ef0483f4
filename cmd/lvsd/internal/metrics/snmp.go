package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// SNMP subagent metrics.
var (
	snmpConnected = newGauge("lvsd_snmp_connected", "1 while an AgentX session with snmpd is open.")
	snmpSessions  = newCounter("lvsd_snmp_sessions_total", "AgentX sessions opened with snmpd.")
	snmpRequests  = newCounter("lvsd_snmp_requests_total", "SNMP requests answered through snmpd.")
	snmpTraps     = newCounter("lvsd_snmp_traps_sent_total", "SNMP traps snmpd accepted.")
	snmpDropped   = newCounter("lvsd_snmp_traps_dropped_total", "SNMP traps not sent, by reason.", "reason")
)

func collectSNMP(b *batch, s *control.Status) {
	n := s.SNMP
	if n == nil {
		return
	}
	b.set(snmpConnected, b2f(n.Connected))
	b.set(snmpSessions, float64(n.Sessions))
	b.set(snmpRequests, float64(n.Requests))
	b.set(snmpTraps, float64(n.TrapsSent))
	for reason, c := range n.TrapsDropped {
		b.set(snmpDropped, float64(c), reason)
	}
}
