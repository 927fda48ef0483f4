package control

import (
	"strings"
	"testing"
)

func TestRenderSNMP(t *testing.T) {
	for _, tc := range []struct {
		s    *SNMP
		want string
	}{
		{nil, ""},
		{&SNMP{Socket: "unix:/var/agentx/master", Connected: true, Sessions: 1, Requests: 5, TrapsSent: 2,
			TrapsDropped: map[string]uint64{"queue_full": 0}},
			"SNMP subagent on unix:/var/agentx/master: connected, 1 sessions, 5 requests, 2 traps sent\n"},
		{&SNMP{Socket: "tcp:localhost:705", TrapsDropped: map[string]uint64{"not_connected": 3, "hook_queue_full": 1}},
			"SNMP subagent on tcp:localhost:705: not connected (retrying), 0 sessions, 0 requests, 0 traps sent, dropped: hook_queue_full 1, not_connected 3\n"},
	} {
		var b strings.Builder
		renderSNMP(&b, tc.s)
		if b.String() != tc.want {
			t.Errorf("renderSNMP(%+v) = %q, want %q", tc.s, b.String(), tc.want)
		}
	}
}
