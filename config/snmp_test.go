package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSNMPSocketForms(t *testing.T) {
	for _, tc := range []struct{ in, network, addr, err string }{
		{in: "unix:/var/agentx/master", network: "unix", addr: "/var/agentx/master"},
		{in: "/run/agentx", network: "unix", addr: "/run/agentx"},
		{in: "unix:/run//x/", network: "unix", addr: "/run/x"},
		{in: "tcp:127.0.0.1:705", network: "tcp", addr: "127.0.0.1:705"},
		{in: "tcp:705", network: "tcp", addr: "localhost:705"},
		{in: "localhost:705", network: "tcp", addr: "localhost:705"},
		{in: "tcp:[::1]:705", network: "tcp", addr: "[::1]:705"},
		{in: "unix:relative", err: "absolute path"},
		{in: "tcp:127.0.0.1:0", err: `port "0" is not 1..65535`},
		{in: "tcp:127.0.0.1:agentx", err: `port "agentx"`},
		{in: "udp:127.0.0.1:705", err: "only unix and tcp"},
		{in: "localhost", err: "no port"},
		{in: "tcp:::1:705", err: "brackets"},
		{in: "unix:/a b", err: "white space"},
	} {
		n, a, err := parseSNMPSocket(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSNMPSocket(%q) = %q %q, %v; want error %q", tc.in, n, a, err, tc.err)
			}
			continue
		}
		if err != nil || n != tc.network || a != tc.addr {
			t.Errorf("parseSNMPSocket(%q) = %q %q, %v; want %q %q", tc.in, n, a, err, tc.network, tc.addr)
		}
	}
}

func TestSNMPKeys(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     SNMP
	}{
		{"defaults", "", SNMP{Socket: DefaultSNMPSocket}},
		{"all", "enable_snmp_vrrp = true\nenable_snmp_checker = true\nenable_snmp_rfcv2 = true\nenable_snmp_rfcv3 = true\nenable_traps = true\nsnmp_socket = \"tcp:127.0.0.1:705\"\n",
			SNMP{VRRP: true, Checker: true, RFCv2: true, RFCv3: true, Traps: true, Socket: "tcp:127.0.0.1:705"}},
		{"deprecated name", "enable_snmp_keepalived = true\n", SNMP{VRRP: true, Socket: DefaultSNMPSocket}},
		{"rfc is both", "enable_snmp_rfc = true\n", SNMP{RFCv2: true, RFCv3: true, Socket: DefaultSNMPSocket}},
	} {
		c, err := Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\n"+tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := cmp.Diff(tc.want, c.Global.SNMP); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
	}
	if (SNMP{}).Enabled() || !(SNMP{Traps: true}).Enabled() {
		t.Error("Enabled: want false without keys, true with enable_traps alone")
	}
	c, err := Parse("t.toml", []byte("[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nsnmp_name = \"web\"\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nsnmp_name = \"web-1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if vs := c.VirtualServers[0]; vs.SNMPName != "web" || vs.RealServers[0].SNMPName != "web-1" {
		t.Errorf("snmp_name: virtual %q, real %q", vs.SNMPName, vs.RealServers[0].SNMPName)
	}
}

func TestSNMPErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bad socket", "[global]\nsnmp_socket = \"udp:127.0.0.1:705\"\n", `t.toml:2:1: global.snmp_socket: bad socket "udp:127.0.0.1:705": only unix and tcp are AgentX transports here`},
		{"empty socket", "[global]\nsnmp_socket = \"\"\n", `t.toml:2:1: global.snmp_socket:`},
		{"flag not bool", "[global]\nenable_snmp_vrrp = \"yes\"\n", "t.toml:2:1: global.enable_snmp_vrrp: wrong type string, want boolean"},
		{"vs name not string", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nsnmp_name = 1\n", "t.toml:4:1: virtual_server[0].snmp_name: wrong type integer"},
	} {
		_, err := Parse("t.toml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzSNMPSocket: snmp_socket's parser never panics, and what it accepts
// it accepts again in its network:address form.
func FuzzSNMPSocket(f *testing.F) {
	for _, s := range []string{"unix:/var/agentx/master", "/x", "tcp:705", "tcp:[::1]:705", "h:1", "tcp:", "unix:", "[::1", "tcp:[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, a, err := parseSNMPSocket(s)
		if err != nil {
			return
		}
		n2, a2, err := parseSNMPSocket(n + ":" + a)
		if err != nil || n2 != n || a2 != a {
			t.Fatalf("%q -> %s %s, then %s %s %v", s, n, a, n2, a2, err)
		}
	})
}
