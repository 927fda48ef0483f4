// Package agentx implements an AgentX subagent, as described in RFC 2741:
// the protocol by which net-snmp's snmpd (the master agent) hands the
// requests for a registered subtree to another process, and through which
// that process sends notifications (traps).
//
// The codec (pdu.go, oid.go) is pure: Decode reads one PDU from a byte
// slice, honouring the NETWORK_BYTE_ORDER flag of the header (either byte
// order is accepted), and Encode always writes network byte order, as
// net-snmp does. OIDs use the 1.3.6.1.X prefix compression of section
// 5.1 on encode when possible.
//
// Session (session.go) is the subagent: over a connection given by a dial
// function (snmpd's agentXSocket, a unix socket) it opens a session,
// registers subtrees, answers Get, GetNext and GetBulk from a snapshot
// function, sends notifications, and dials again when the master goes
// away (snmpd restarted).
//
// Out of scope: Set (TestSet is answered notWritable), index allocation,
// agent capabilities, non-default contexts on the subagent side (a request
// with a context is answered unsupportedContext).
//
// Concurrency: Encode and Decode have no state. A Session's Notify and
// Connected may be called from any goroutine while Run is running.
package agentx
