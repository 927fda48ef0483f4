package config

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// SNMP: keepalived's global_defs SNMP keys. lvsd is an AgentX subagent
// (RFC 2741) of net-snmp's snmpd, as keepalived is.

// DefaultSNMPSocket is snmp_socket's default: net-snmp's agentx master socket.
const DefaultSNMPSocket = "unix:/var/agentx/master"

// SNMP is the SNMP part of [global].
type SNMP struct {
	VRRP    bool // enable_snmp_vrrp (or its deprecated name enable_snmp_keepalived): KEEPALIVED-MIB global and vrrp
	Checker bool // enable_snmp_checker: KEEPALIVED-MIB's virtual and real server tables
	RFCv2   bool // enable_snmp_rfcv2 (or enable_snmp_rfc): VRRP-MIB, RFC 2787
	RFCv3   bool // enable_snmp_rfcv3 (or enable_snmp_rfc): VRRPv3-MIB, RFC 6527
	Traps   bool // enable_traps: the traps of the enabled MIBs
	// Socket is snmp_socket as written, default DefaultSNMPSocket:
	// "unix:PATH", "PATH" (absolute), "tcp:HOST:PORT" or "HOST:PORT".
	Socket string
}

// Enabled reports whether lvsd connects to snmpd at all (keepalived: any
// enable_snmp_* key or enable_traps).
func (s SNMP) Enabled() bool { return s.VRRP || s.Checker || s.RFCv2 || s.RFCv3 || s.Traps }

// SocketAddr returns the network ("unix" or "tcp") and address of Socket.
func (s SNMP) SocketAddr() (network, address string) {
	network, address, _ = parseSNMPSocket(s.Socket)
	return network, address
}

func (d *decoder) decodeSNMP(n *node, s *SNMP) {
	n.boolean("enable_snmp_vrrp", &s.VRRP)
	var b bool
	if n.boolean("enable_snmp_keepalived", &b) && b {
		s.VRRP = true
	}
	n.boolean("enable_snmp_checker", &s.Checker)
	if n.boolean("enable_snmp_rfc", &b) && b {
		s.RFCv2, s.RFCv3 = true, true
	}
	if n.boolean("enable_snmp_rfcv2", &b) && b {
		s.RFCv2 = true
	}
	if n.boolean("enable_snmp_rfcv3", &b) && b {
		s.RFCv3 = true
	}
	n.boolean("enable_traps", &s.Traps)
	if n.nonEmpty("snmp_socket", &s.Socket) {
		if _, _, err := parseSNMPSocket(s.Socket); err != nil {
			d.errorf(n.keyPath("snmp_socket"), "%v", err)
		}
	}
}

// parseSNMPSocket reads net-snmp's agentx socket syntax as snmpd's
// agentXSocket: "unix:PATH" or an absolute PATH (a unix socket),
// "tcp:HOST:PORT", "tcp:PORT" (localhost) or "HOST:PORT" (tcp).
func parseSNMPSocket(s string) (network, address string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", errorString("bad socket " + strconv.Quote(s) + ": " + why +
			" (want \"unix:/PATH\", \"/PATH\", \"tcp:HOST:PORT\" or \"HOST:PORT\")")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return bad("contains white space")
	}
	for _, p := range []string{"udp:", "udp6:", "tcp6:", "ipx:", "ssh:", "tls:", "dtls:"} {
		if strings.HasPrefix(s, p) {
			return bad("only unix and tcp are AgentX transports here")
		}
	}
	rest, isUnix := strings.CutPrefix(s, "unix:")
	if isUnix || strings.HasPrefix(s, "/") {
		if !filepath.IsAbs(rest) {
			return bad("a unix socket needs an absolute path")
		}
		return "unix", filepath.Clean(rest), nil
	}
	rest, _ = strings.CutPrefix(s, "tcp:")
	if rest == "" {
		return bad("no address")
	}
	if strings.Contains(rest, ":") && !strings.HasPrefix(rest, "[") && strings.Count(rest, ":") > 1 {
		return bad("an IPv6 address goes in brackets")
	}
	if !strings.Contains(rest, ":") || strings.HasPrefix(rest, "[") && !strings.Contains(rest, "]:") {
		if rest != s { // "tcp:PORT"
			rest = "localhost:" + rest
		} else {
			return bad("no port")
		}
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil || host == "" {
		return bad("no host")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return bad("port " + strconv.Quote(port) + " is not 1..65535")
	}
	return "tcp", net.JoinHostPort(host, port), nil
}
