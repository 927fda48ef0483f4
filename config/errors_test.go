package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// base is a minimal valid instance; cases append to or replace lines of it.
const baseInstance = `[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.0.0.100/24"]
`

// TestErrors checks every error class of issue 3: the message and the
// FILE:LINE:COL position, and that all errors of a file are reported.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"syntax", "[global\nrouter_id = 1\n", []string{
			"t.toml:1:8: syntax error: expected '.' or ']' to end table name, but got '\\n' instead"}},
		{"unknown key top", "bogus = 1\n", []string{"t.toml:1:1: bogus: unknown key"}},
		{"unknown key global", "[global]\nrouter_id = \"a\"\n  routerid = \"b\"\n", []string{"t.toml:3:3: global.routerid: unknown key"}},
		{"unknown key instance", baseInstance + "prio = 5\n", []string{"t.toml:6:1: vrrp_instance[0].prio: unknown key"}},
		{"unknown key in inline table", baseInstance + "authentication = { auth_type = \"PASS\", auth_pass = \"x\", pass = 1 }\n",
			[]string{"t.toml:6:57: vrrp_instance[0].authentication.pass: unknown key"}},
		{"unknown key nested array table", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.tcp_check]]\nconect_timeout = 3\n",
			[]string{"t.toml:7:1: virtual_server[0].real_server[0].tcp_check[0].conect_timeout: unknown key"}},
		{"wrong type", baseInstance + "priority = \"high\"\n", []string{"t.toml:6:1: vrrp_instance[0].priority: wrong type string, want integer"}},
		{"wrong type bool", baseInstance + "nopreempt = 1\n", []string{"t.toml:6:1: vrrp_instance[0].nopreempt: wrong type integer, want boolean"}},
		{"wrong type section", "global = 1\n", []string{"t.toml:1:1: global: wrong type integer, want table"}},
		{"instance as table", "[vrrp_instance]\nname = \"x\"\n", []string{"t.toml:1:2: vrrp_instance: wrong type table, want array of tables ([[vrrp_instance]])"}},
		{"unicast_ttl without peers", baseInstance + "unicast_ttl = 64\n", []string{"t.toml:6:1: vrrp_instance[0].unicast_ttl: needs unicast_peer (keepalived ignores it without peers)"}},
		{"unicast_ttl range", baseInstance + "unicast_peer = [\"10.0.0.2\"]\nunicast_ttl = 0\n", []string{"t.toml:7:1: vrrp_instance[0].unicast_ttl: 0 out of range 1..255"}},
		{"priority range", baseInstance + "priority = 256\n", []string{"t.toml:6:1: vrrp_instance[0].priority: 256 out of range 1..255"}},
		{"priority zero", baseInstance + "priority = 0\n", []string{"t.toml:6:1: vrrp_instance[0].priority: 0 out of range 1..255"}},
		{"vrid range", strings.Replace(baseInstance, "= 51", "= 0", 1), []string{"t.toml:4:1: vrrp_instance[0].virtual_router_id: 0 out of range 1..255"}},
		{"v2 advert_int fraction", baseInstance + "advert_int = 1.5\n", []string{
			"t.toml:6:1: vrrp_instance[0].advert_int: 1.5s is not a whole number of seconds in 1..255 (VRRPv2; use version = 3 for sub-second adverts)"}},
		{"v2 advert_int string", baseInstance + "advert_int = \"500ms\"\n", []string{
			"t.toml:6:1: vrrp_instance[0].advert_int: 500ms is not a whole number of seconds in 1..255 (VRRPv2; use version = 3 for sub-second adverts)"}},
		{"v3 advert_int too large", baseInstance + "version = 3\nadvert_int = 41\n", []string{
			"t.toml:7:1: vrrp_instance[0].advert_int: 41s out of range 0.01..40.95 s for VRRPv3"}},
		{"v3 advert_int too small", baseInstance + "version = 3\nadvert_int = \"5ms\"\n", []string{
			"t.toml:7:1: vrrp_instance[0].advert_int: 5ms out of range 0.01..40.95 s for VRRPv3"}},
		{"bad duration", baseInstance + "advert_int = \"1 second\"\n", []string{
			"t.toml:6:1: vrrp_instance[0].advert_int: invalid duration \"1 second\" (want seconds as a number, or a duration such as \"1500ms\")"}},
		{"negative duration", baseInstance + "preempt_delay = -1\n", []string{"t.toml:6:1: vrrp_instance[0].preempt_delay: negative duration -1"}},
		{"auth_pass too long", baseInstance + "authentication = { auth_type = \"PASS\", auth_pass = \"123456789\" }\n", []string{
			"t.toml:6:40: vrrp_instance[0].authentication.auth_pass: 9 characters, at most 8 allowed"}},
		{"unknown auth_type", baseInstance + "authentication = { auth_type = \"MD5\", auth_pass = \"x\" }\n", []string{
			"t.toml:6:20: vrrp_instance[0].authentication.auth_type: unknown value \"MD5\" (allowed: PASS, AH)"}},
		{"AH", baseInstance + "authentication = { auth_type = \"AH\", auth_pass = \"x\" }\n", nil},
		{"AH without auth_pass", baseInstance + "authentication = { auth_type = \"AH\" }\n", []string{
			"t.toml:6:1: vrrp_instance[0].authentication: missing key auth_pass"}},
		{"unknown state", baseInstance + "state = \"master\"\n", nil},
		{"unknown state 2", baseInstance + "state = \"PRIMARY\"\n", []string{
			"t.toml:6:1: vrrp_instance[0].state: unknown value \"PRIMARY\" (allowed: MASTER, BACKUP)"}},
		{"bad vip", strings.Replace(baseInstance, `["10.0.0.100/24"]`, `["10.0.0.100/24", "10.0.0.300/24"]`, 1), []string{
			"t.toml:5:39: vrrp_instance[0].virtual_ipaddress[1]: bad IP prefix \"10.0.0.300/24\""}},
		{"bad prefix", strings.Replace(baseInstance, `10.0.0.100/24`, `10.0.0.100/33`, 1), []string{
			"t.toml:5:22: vrrp_instance[0].virtual_ipaddress[0]: bad IP prefix \"10.0.0.100/33\""}},
		{"bad vip table", strings.Replace(baseInstance, `["10.0.0.100/24"]`, "[\n  { ip = \"10.0.0.100/24\", dev = \"eth0\", lable = \"x\" },\n]", 1), []string{
			"t.toml:6:41: vrrp_instance[0].virtual_ipaddress[0].lable: unknown key"}},
		{"bad ip", baseInstance + "unicast_src_ip = \"10.0.0\"\n", []string{"t.toml:6:1: vrrp_instance[0].unicast_src_ip: bad IP address \"10.0.0\""}},
		{"bad peer in list", baseInstance + "unicast_peer = [\"10.0.0.2\",\n  { ip = \"10.0.0.x\" }]\n", []string{
			"t.toml:7:3: vrrp_instance[0].unicast_peer[1]: bad IP address \"10.0.0.x\""}},
		{"bad port", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 70000\n", []string{"t.toml:3:1: virtual_server[0].port: 70000 out of range 0..65535"}},
		{"unknown lb_algo", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nlb_algo = \"roundrobin\"\n", []string{
			"t.toml:4:1: virtual_server[0].lb_algo: unknown value \"roundrobin\" (allowed: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)"}},
		{"unknown lb_kind", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nlb_kind = \"MASQ\"\n", []string{
			"t.toml:4:1: virtual_server[0].lb_kind: unknown value \"MASQ\" (allowed: NAT, DR, TUN)"}},
		{"bad digest", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [\n  { path = \"/\" },\n  { path = \"/x\", digest = \"ff20ad2481f97b1754ef3e12ecd3a9c\" },\n]\n", []string{
			"t.toml:9:18: virtual_server[0].real_server[0].http_get[0].url[1].digest: \"ff20ad2481f97b1754ef3e12ecd3a9c\" is not 32 hex digits (an MD5 digest as genhash prints it)"}},
		{"bad status", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/\", status_code = [200, \"300-99\"] }]\n", []string{
			"t.toml:7:42: virtual_server[0].real_server[0].http_get[0].url[0].status_code[1]: bad status code \"300-99\" (want 100..599 or a range such as \"300-399\")"}},
		{"dangling track_script", "[[vrrp_script]]\nname = \"chk\"\nscript = \"true\"\n" + baseInstance + "track_script = [\"chk\", \"chk_nginx weight -20\"]\n", []string{
			"t.toml:9:24: vrrp_instance[0].track_script[1]: vrrp_script \"chk_nginx\" not defined (no [[vrrp_script]] with this name)"}},
		{"dangling track_file", baseInstance + "track_file = [{ name = \"tf\" }]\n", []string{
			"t.toml:6:15: vrrp_instance[0].track_file[0]: track_file \"tf\" not defined (no [[track_file]] with this name)"}},
		{"dangling sync group member", baseInstance + "[[vrrp_sync_group]]\nname = \"G\"\ngroup = [\"VI_1\", \"VI_2\"]\n", []string{
			"t.toml:8:18: vrrp_sync_group[0].group[1]: instance \"VI_2\" not defined (no [[vrrp_instance]] with this name)"}},
		{"dangling vs group", "[[virtual_server]]\ngroup = \"web\"\n", []string{
			"t.toml:2:1: virtual_server[0].group: virtual_server_group \"web\" not defined (no [[virtual_server_group]] with this name)"}},
		{"dangling sync daemon instance", "[global]\nlvs_sync_daemon = { interface = \"eth0\", vrrp_instance = \"VI_9\" }\n" + baseInstance, []string{
			"t.toml:2:41: global.lvs_sync_daemon.vrrp_instance: instance \"VI_9\" not defined (no [[vrrp_instance]] with this name)"}},
		{"duplicate vrid", baseInstance + strings.Replace(baseInstance, "VI_1", "VI_2", 1), []string{
			"t.toml:9:1: vrrp_instance[1].virtual_router_id: 51 already used by instance \"VI_1\" on eth0 for IPv4 (VRIDs must be unique per interface and family)"}},
		{"same vrid other family ok", baseInstance + strings.NewReplacer("VI_1", "VI_2", "10.0.0.100/24", "fd00::1/64").Replace(baseInstance), nil},
		{"same vrid other interface ok", baseInstance + strings.NewReplacer("VI_1", "VI_2", "eth0", "eth1").Replace(baseInstance), nil},
		{"duplicate real server", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nport = 80\n", []string{
			"t.toml:6:1: virtual_server[0].real_server[1]: real server 10.0.0.2:80 listed twice (also real_server[0])"}},
		{"duplicate name", baseInstance + strings.Replace(baseInstance, "= 51", "= 52", 1), []string{
			"t.toml:7:1: vrrp_instance[1].name: duplicate name \"VI_1\" (also vrrp_instance[0])"}},
		{"missing keys", "[[vrrp_instance]]\nname = \"VI_1\"\n", []string{
			"t.toml:1:1: vrrp_instance[0]: missing key interface",
			"t.toml:1:1: vrrp_instance[0]: missing key virtual_router_id",
			"t.toml:1:1: vrrp_instance[0]: missing key virtual_ipaddress (an instance needs at least one address)"}},
		{"strict mode", "[global]\nvrrp_strict = true\n" + baseInstance + "state = \"MASTER\"\npreempt_delay = 2\nauthentication = { auth_type = \"PASS\", auth_pass = \"x\" }\nunicast_peer = [\"10.0.0.2\"]\naccept = true\nlower_prio_no_advert = false\n", []string{
			"t.toml:8:1: vrrp_instance[0].state: MASTER needs priority 255 with global.vrrp_strict (only the address owner starts as master)",
			"t.toml:9:1: vrrp_instance[0].preempt_delay: not allowed with global.vrrp_strict (RFC 5798 has no preemption delay)",
			"t.toml:10:1: vrrp_instance[0].authentication: not allowed with global.vrrp_strict (RFC 5798 has no authentication; keepalived ignores it)",
			"t.toml:11:1: vrrp_instance[0].unicast_peer: not allowed with global.vrrp_strict (VRRP is multicast; keepalived drops the instance)",
			"t.toml:12:1: vrrp_instance[0].accept: not allowed for VRRPv2 with global.vrrp_strict (RFC 3768 has no Accept_Mode: a backup that became master drops traffic to its VIPs)",
			"t.toml:13:1: vrrp_instance[0].lower_prio_no_advert: must be true with global.vrrp_strict (a master does not answer a lower-priority advert)"}},
		{"strict mode per instance", baseInstance + "strict_mode = true\npreempt_delay = 1\n", []string{
			"t.toml:7:1: vrrp_instance[0].preempt_delay: not allowed with strict_mode (RFC 5798 has no preemption delay)"}},
		{"strict mode off per instance", "[global]\nvrrp_strict = true\n" + baseInstance + "strict_mode = false\npreempt_delay = 1\n", nil},
		{"nftables", "[global]\nnftables = \"kv\"\nnftables_priority = -300\nnftables_counters = true\n" + baseInstance, nil},
		{"nftables bad", "[global]\nnftables = \"a b\"\nnftables_priority = 3000000000\n" + baseInstance, []string{
			"t.toml:2:1: global.nftables: table name \"a b\" contains a space or quote",
			"t.toml:3:1: global.nftables_priority: 3000000000 out of range -2147483648..2147483647"}},
		{"nftables empty", "[global]\nnftables = \"\"\n" + baseInstance, []string{
			"t.toml:2:1: global.nftables: must not be empty"}},
		{"strict mode accept v3", "[global]\nvrrp_strict = true\n" + baseInstance + "version = 3\naccept = true\n", nil},
		{"strict mode off per instance", "[global]\nvrrp_strict = true\n" + baseInstance + "strict_mode = false\npreempt_delay = 2\n", nil},
		{"all errors reported", baseInstance + "priority = 300\nadvert_int = \"x\"\n[global]\nrouter_id = 5\n", []string{
			"t.toml:6:1: vrrp_instance[0].priority: 300 out of range 1..255",
			"t.toml:7:1: vrrp_instance[0].advert_int: invalid duration \"x\" (want seconds as a number, or a duration such as \"1500ms\")",
			"t.toml:9:1: global.router_id: wrong type integer, want string"}},
		{"v6 with v2", strings.Replace(baseInstance, "10.0.0.100/24", "fd00::1/64", 1) + "version = 2\n", []string{
			"t.toml:6:1: vrrp_instance[0].version: VRRPv2 has no IPv6 (allowed for an IPv6 instance: 3)"}},
		{"mixed families", strings.Replace(baseInstance, `["10.0.0.100/24"]`, `["10.0.0.100/24", "fd00::1/64"]`, 1), []string{
			"t.toml:5:39: vrrp_instance[0].virtual_ipaddress[1]: IPv6 address in an IPv4 instance (all virtual_ipaddress entries must be of one family; use virtual_ipaddress_excluded for the other)"}},
		{"weight range", "[[vrrp_script]]\nname = \"c\"\nscript = \"true\"\nweight = 254\n", []string{"t.toml:4:1: vrrp_script[0].weight: 254 out of range -253..253"}},
		{"track weight range", "[[vrrp_script]]\nname = \"c\"\nscript = \"true\"\n" + baseInstance + "track_script = [\"c weight 300\"]\n", []string{
			"t.toml:9:17: vrrp_instance[0].track_script[0]: bad weight \"300\" (want -253..253)"}},
		{"quoted key position", baseInstance + "\"priority\" = 0\n", []string{"t.toml:6:1: vrrp_instance[0].priority: 0 out of range 1..255"}},
		{"dotted key position", "global.router_id = 7\n", []string{"t.toml:1:8: global.router_id: wrong type integer, want string"}},
		{"brd on v6", strings.Replace(baseInstance, `"10.0.0.100/24"`, `"fd00::1/64 brd 10.0.0.255"`, 1), []string{
			"t.toml:5:22: vrrp_instance[0].virtual_ipaddress[0]: brd given for an IPv6 address"}},
		{"nodad on v4", strings.Replace(baseInstance, `"10.0.0.100/24"`, `"10.0.0.100/24 nodad"`, 1), []string{
			"t.toml:5:22: vrrp_instance[0].virtual_ipaddress[0]: nodad is for IPv6 addresses only"}},
		{"option without value", strings.Replace(baseInstance, `"10.0.0.100/24"`, `"10.0.0.100/24 dev"`, 1), []string{
			"t.toml:5:22: vrrp_instance[0].virtual_ipaddress[0]: dev needs a value"}},
		{"route family mismatch", baseInstance + "virtual_routes = [\"10.1.0.0/16 via fd00::1\"]\n", []string{
			"t.toml:6:19: vrrp_instance[0].virtual_routes[0]: via fd00::1 and destination 10.1.0.0/16 are of different families"}},
		{"vsg reversed range", "[[virtual_server_group]]\nname = \"g\"\nvip = [\"10.0.0.20-10 80\"]\n", []string{
			`t.toml:3:8: virtual_server_group[0].vip[0]: bad range "10.0.0.20-10" (want A.B.C.D-E with D <= E <= 255)`}},
		{"vsg missing port", "[[virtual_server_group]]\nname = \"g\"\nvip = [\"10.0.0.20\", { ip = \"10.0.0.1\" }]\n", []string{
			`t.toml:3:8: virtual_server_group[0].vip[0]: want "IP[-LAST] PORT" or "fwmark N", got "10.0.0.20"`,
			"t.toml:3:21: virtual_server_group[0].vip[1]: missing key port"}},
		{"fwmark zero", "[[virtual_server]]\nfwmark = 0\n", []string{
			"t.toml:2:1: virtual_server[0].fwmark: 0 out of range 1..4294967295"}},
		{"ip and fwmark", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nfwmark = 3\n", []string{
			"t.toml:1:1: virtual_server[0]: ip, fwmark and group exclude each other"}},
		{"no service address", "[[virtual_server]]\nlb_algo = \"rr\"\n", []string{
			"t.toml:1:1: virtual_server[0]: missing key ip (or fwmark, or group)"}},
		{"ops needs udp", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\nops = true\n", []string{
			"t.toml:4:1: virtual_server[0].ops: one-packet scheduling is for protocol UDP only"}},
		{"port 0 needs persistence", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 0\n", []string{
			"t.toml:3:1: virtual_server[0].port: port 0 (all ports) needs persistence_timeout"}},
		{"duplicate virtual server", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n", []string{
			"t.toml:4:1: virtual_server[1]: same service as virtual_server[0] (10.0.0.1:80 TCP)"}},
		{"tunnel_type without TUN", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\ntunnel_type = \"ipip\"\n", []string{
			"t.toml:6:1: virtual_server[0].real_server[0].tunnel_type: needs lb_kind (or lvs_method) TUN"}},
		{"instance in two sync groups", baseInstance + "[[vrrp_sync_group]]\nname = \"A\"\ngroup = [\"VI_1\"]\n[[vrrp_sync_group]]\nname = \"B\"\ngroup = [\"VI_1\"]\n", []string{
			`t.toml:11:10: vrrp_sync_group[1].group[0]: instance "VI_1" is already in sync group "A"`}},
		{"v3 with authentication", baseInstance + "version = 3\nauthentication = { auth_type = \"PASS\", auth_pass = \"x\" }\n", []string{
			"t.toml:7:1: vrrp_instance[0].authentication: VRRPv3 has no authentication (RFC 5798); remove it or use version = 2"}},
		{"sorry server table", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nsorry_server = { ip = \"10.0.0.9\" }\n", []string{
			"t.toml:4:1: virtual_server[0].sorry_server: missing key port (want { ip, port })"}},
		{"unicast family", baseInstance + "unicast_src_ip = \"fd00::1\"\n", []string{
			"t.toml:6:1: vrrp_instance[0].unicast_src_ip: fd00::1 is not IPv4 like the instance's virtual addresses"}},
		{"check bindto family", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.tcp_check]]\nbindto = \"fd00::1\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].tcp_check[0].bindto: IPv6 source for IPv4 target 10.0.0.2"}},
		{"url missing path", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ digest = \"ff20ad2481f97b1754ef3e12ecd3a9cc\" }]\n", []string{
			"t.toml:7:8: virtual_server[0].real_server[0].http_get[0].url[0]: missing key path"}},
		{"enable_sni on http_get", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/\" }]\nenable_sni = true\n", []string{
			"t.toml:8:1: virtual_server[0].real_server[0].http_get[0].enable_sni: only for ssl_get"}},
		{"bfd_check without name", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 25\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.bfd_check]]\n", []string{
			"t.toml:6:1: virtual_server[0].real_server[0].bfd_check[0]: missing key name"}},
		{"smtp_check helo_name with a line break", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 25\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.smtp_check]]\nhelo_name = \"a\\r\\nMAIL\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].smtp_check[0].helo_name: contains a line break"}},
		{"dns_check bad type", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.dns_check]]\ntype = \"PTR\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].dns_check[0].type: unknown value \"PTR\" (allowed: A, NS, CNAME, SOA, MX, TXT, AAAA)"}},
		{"dns_check empty label", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.dns_check]]\nname = \"a..b\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].dns_check[0].name: \"a..b\" has an empty label"}},
		{"udp_check bad hex", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.udp_check]]\npayload = \"0g\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].udp_check[0].payload: \"0g\": 'g' is not a hex digit"}},
		{"udp_check require_reply hex and reply", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.udp_check]]\nrequire_reply = \"0a\"\nreply = \"0b\"\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].udp_check[0].require_reply: a hex string here is the reply: give it once, here or in reply"}},
		{"udp_check min above max", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.udp_check]]\nmin_reply_length = 10\nmax_reply_length = 5\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].udp_check[0].min_reply_length: 10 above max_reply_length 5 (the check would always fail)"}},
		{"regex RE2 cannot express", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/\", regex = \"(?=x)\" }]\n", []string{
			"t.toml:7:22: virtual_server[0].real_server[0].http_get[0].url[0].regex: \"(?=x)\" cannot be compiled by Go's RE2 (keepalived uses PCRE2; RE2 has no back-references, look-around, possessive or atomic groups): error parsing regexp: invalid or unsupported Perl syntax: `(?=`"}},
		{"regex option RE2 cannot express", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/\", regex = \"x\", regex_options = [\"extended\"] }]\n", []string{
			"t.toml:7:35: virtual_server[0].real_server[0].http_get[0].url[0].regex_options: regex_options: extended cannot be expressed in Go's RE2 (RE2 has no extended (x) mode: remove the white space and comments from the pattern)"}},
		{"regex_no_match without regex", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/\", regex_no_match = true }]\n", []string{
			"t.toml:7:22: virtual_server[0].real_server[0].http_get[0].url[0].regex_no_match: needs regex"}},
		{"sni_name on http_get", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nsni_name = \"x\"\nurl = [{ path = \"/\" }]\n", []string{
			"t.toml:7:1: virtual_server[0].real_server[0].http_get[0].sni_name: only for ssl_get"}},
		{"smtp_check host unknown key", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 25\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.smtp_check]]\n[[virtual_server.real_server.smtp_check.host]]\nretry = 3\n", []string{
			"t.toml:8:1: virtual_server[0].real_server[0].smtp_check[0].host[0].retry: unknown key"}},
		{"float for integer", baseInstance + "priority = 100.5\n", []string{
			"t.toml:6:1: vrrp_instance[0].priority: wrong type float, want integer"}},
		{"huge duration", baseInstance + "preempt_delay = 1e300\n", []string{
			"t.toml:6:1: vrrp_instance[0].preempt_delay: duration 1e+300 s too large"}},
		{"quoted key with a dot", "[global]\n'router.id' = \"x\"\n", []string{`t.toml:2:1: global."router.id": unknown key`}},
		{"check without port", "[[virtual_server]]\nfwmark = 5\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.tcp_check]]\n[[virtual_server.real_server.tcp_check]]\nconnect_port = 0\n", []string{
			"t.toml:5:1: virtual_server[0].real_server[0].tcp_check[0]: missing key connect_port (the real server has no port)",
			"t.toml:7:1: virtual_server[0].real_server[0].tcp_check[1].connect_port: 0 out of range 1..65535"}},
		{"nested arrays of tables", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n" +
			"[[virtual_server]]\nip = \"10.0.0.3\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.4\"\n[[virtual_server.real_server]]\n  ip = \"10.0.0.x\"\n" +
			"[[virtual_server.real_server.http_get]]\n[[virtual_server.real_server.http_get.url]]\npath = \"x\"\n", []string{
			`t.toml:12:3: virtual_server[1].real_server[1].ip: bad IP address "10.0.0.x"`,
			`t.toml:15:1: virtual_server[1].real_server[1].http_get[0].url[0].path: "x" does not start with /`}},
		{"ssl key without certificate", "[global]\nssl_key = \"/k\"\n", []string{"t.toml:1:2: global: ssl_certificate and ssl_key go together (give both or neither)"}},
		{"multi-line string before", baseInstance + "notify = '''\nfoo\n'''\npriority = 0\n", []string{"t.toml:9:1: vrrp_instance[0].priority: 0 out of range 1..255"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(tt.in))
			var got []string
			if err != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("error %v is not Errors", err)
				}
				for _, e := range es {
					got = append(got, e.Error())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
