package metrics

import (
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
)

// SNMP subagent metrics.
var (
	snmpConnected = prometheus.NewDesc("lvsd_snmp_connected", "1 while an AgentX session with snmpd is open.", nil, nil)
	snmpSessions  = prometheus.NewDesc("lvsd_snmp_sessions_total", "AgentX sessions opened with snmpd.", nil, nil)
	snmpRequests  = prometheus.NewDesc("lvsd_snmp_requests_total", "SNMP requests answered through snmpd.", nil, nil)
	snmpTraps     = prometheus.NewDesc("lvsd_snmp_traps_sent_total", "SNMP traps snmpd accepted.", nil, nil)
	snmpDropped   = prometheus.NewDesc("lvsd_snmp_traps_dropped_total", "SNMP traps not sent, by reason.", []string{"reason"}, nil)
)

func collectSNMP(ch chan<- prometheus.Metric, s *control.Status) {
	n := s.SNMP
	if n == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(snmpConnected, prometheus.GaugeValue, b2f(n.Connected))
	ch <- prometheus.MustNewConstMetric(snmpSessions, prometheus.CounterValue, float64(n.Sessions))
	ch <- prometheus.MustNewConstMetric(snmpRequests, prometheus.CounterValue, float64(n.Requests))
	ch <- prometheus.MustNewConstMetric(snmpTraps, prometheus.CounterValue, float64(n.TrapsSent))
	for reason, c := range n.TrapsDropped {
		ch <- prometheus.MustNewConstMetric(snmpDropped, prometheus.CounterValue, float64(c), reason)
	}
}
