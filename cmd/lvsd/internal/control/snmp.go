package control

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// SNMP is the AgentX subagent's state (enable_snmp_*, enable_traps).
type SNMP struct {
	Socket    string `json:"snmp_socket"`
	Connected bool   `json:"connected"` // a session with snmpd is open
	Sessions  uint64 `json:"sessions"`  // sessions opened since start
	Requests  uint64 `json:"requests"`  // Get, GetNext, GetBulk answered
	TrapsSent uint64 `json:"traps_sent"`
	// TrapsDropped counts the traps not sent, by reason (not_connected,
	// queue_full, refused, encode, hook_queue_full).
	TrapsDropped map[string]uint64 `json:"traps_dropped"`
}

// renderSNMP is one line on the SNMP subagent, when it runs.
func renderSNMP(w io.Writer, s *SNMP) {
	if s == nil {
		return
	}
	state := "not connected (retrying)"
	if s.Connected {
		state = "connected"
	}
	var dropped []string
	for _, r := range slices.Sorted(maps.Keys(s.TrapsDropped)) {
		if n := s.TrapsDropped[r]; n > 0 {
			dropped = append(dropped, fmt.Sprintf("%s %d", r, n))
		}
	}
	line := fmt.Sprintf("SNMP subagent on %s: %s, %d sessions, %d requests, %d traps sent", s.Socket, state, s.Sessions, s.Requests, s.TrapsSent)
	if len(dropped) > 0 {
		line += ", dropped: " + strings.Join(dropped, ", ")
	}
	fmt.Fprintln(w, line)
}
