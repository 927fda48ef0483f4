package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	ip  = netip.MustParseAddr
	pfx = netip.MustParsePrefix
)

// TestForms: the one-line strings and their inline-table spellings decode
// to the same values.
func TestForms(t *testing.T) {
	tests := []struct {
		name string
		in   string // appended to baseInstance
		get  func(*Config) any
		want any
	}{
		{"vip string", `virtual_ipaddress = ["10.0.0.5/24 brd 10.0.0.255 dev eth1 scope link label eth1:5 noprefixroute"]`,
			func(c *Config) any { return c.Instances[0].VIPs },
			[]VIP{{Prefix: pfx("10.0.0.5/24"), Brd: ip("10.0.0.255"), Dev: "eth1", Scope: "link", Label: "eth1:5", NoPrefixRoute: true}}},
		{"vip table", `virtual_ipaddress = [{ ip = "10.0.0.5/24", brd = "10.0.0.255", dev = "eth1", scope = "link", label = "eth1:5", noprefixroute = true, nodad = false }]`,
			func(c *Config) any { return c.Instances[0].VIPs },
			[]VIP{{Prefix: pfx("10.0.0.5/24"), Brd: ip("10.0.0.255"), Dev: "eth1", Scope: "link", Label: "eth1:5", NoPrefixRoute: true}}},
		{"vip defaults", `virtual_ipaddress = ["10.0.0.5"]`,
			func(c *Config) any { return c.Instances[0].VIPs },
			[]VIP{{Prefix: pfx("10.0.0.5/32"), Dev: "eth0", Scope: "global"}}},
		{"vip v6 nodad", `virtual_ipaddress = ["fd00::5/64 nodad"]`,
			func(c *Config) any { return []any{c.Instances[0].VIPs, c.Instances[0].Version, c.Instances[0].Family} },
			[]any{[]VIP{{Prefix: pfx("fd00::5/64"), Dev: "eth0", Scope: "global", NoDAD: true}}, 3, 6}},
		{"route string", `virtual_routes = ["10.1.0.0/16 src 10.0.0.100 via 10.0.0.254 dev eth0 metric 5 table 100 scope global proto static", "blackhole 10.9.0.0/16"]`,
			func(c *Config) any { return c.Instances[0].Routes },
			[]Route{{Dst: pfx("10.1.0.0/16"), Src: ip("10.0.0.100"), Via: ip("10.0.0.254"), Dev: "eth0", Metric: 5, Table: 100, Scope: "global", Protocol: "static"},
				{Dst: pfx("10.9.0.0/16"), Blackhole: true}}},
		{"route table", `virtual_routes = [{ to = "10.1.0.0/16", via = "10.0.0.254", dev = "eth0", metric = 5 }]`,
			func(c *Config) any { return c.Instances[0].Routes },
			[]Route{{Dst: pfx("10.1.0.0/16"), Via: ip("10.0.0.254"), Dev: "eth0", Metric: 5}}},
		{"peers", `unicast_peer = ["10.0.0.2 min_ttl 250 max_ttl 254", { ip = "10.0.0.3", max_ttl = 200 }]`,
			func(c *Config) any { return c.Instances[0].UnicastPeers },
			[]UnicastPeer{{IP: ip("10.0.0.2"), MinTTL: 250, MaxTTL: 254}, {IP: ip("10.0.0.3"), MaxTTL: 200}}},
		{"track refs", "track_interface = [\"eth1 weight -30 reverse\", { name = \"eth2\", weight = 5 }, { name = \"eth3\" }, \"eth4\"]",
			func(c *Config) any { return c.Instances[0].TrackInterfaces },
			[]TrackRef{{Name: "eth1", Weight: -30, WeightSet: true, WeightReverse: true}, {Name: "eth2", Weight: 5, WeightSet: true}, {Name: "eth3"}, {Name: "eth4"}}},
		{"notify table", `notify_master = { script = "/bin/x a 'b c'", user = "u", group = "g" }`,
			func(c *Config) any { return []any{c.Instances[0].Notify.Master, c.Instances[0].Notify.Master.Args()} },
			[]any{Command{Line: "/bin/x a 'b c'", User: "u", Group: "g"}, []string{"/bin/x", "a", "b c"}}},
		{"use_vmac name", `use_vmac = "vrrp51"`,
			func(c *Config) any { return []any{c.Instances[0].UseVMAC, c.Instances[0].VMACName} }, []any{true, "vrrp51"}},
		{"use_vmac default name", `use_vmac = true`,
			func(c *Config) any { return c.Instances[0].VMACName }, "vrrp.51"},
		{"v3 float advert", "version = 3\nadvert_int = 0.1",
			func(c *Config) any { return c.Instances[0].AdvertInt }, 100 * time.Millisecond},
		{"duration string", `preempt_delay = "1m30s"`,
			func(c *Config) any { return c.Instances[0].PreemptDelay }, 90 * time.Second},
		{"nopreempt", `nopreempt = true`,
			func(c *Config) any { return []bool{c.Instances[0].Preempt, c.Instances[0].NoPreempt} }, []bool{false, true}},
		{"preempt false", `preempt = false`,
			func(c *Config) any { return []bool{c.Instances[0].Preempt, c.Instances[0].NoPreempt} }, []bool{false, true}},
		{"garp from global", "garp_master_repeat = 3\n[global]\nvrrp_garp_master_delay = 2\nvrrp_garp_master_refresh = 60",
			func(c *Config) any {
				in := c.Instances[0]
				return []any{in.GARPMasterDelay, in.GARPMasterRepeat, in.GARPMasterRefresh, in.GARPLowerPrioDelay, in.GARPLowerPrioRepeat}
			},
			[]any{2 * time.Second, 3, time.Minute, 2 * time.Second, 3}},
		{"script user and group", "[global]\nscript_user = \"nobody nogroup\"",
			func(c *Config) any { return []string{c.Global.ScriptUser, c.Global.ScriptGroup} }, []string{"nobody", "nogroup"}},
		{"sync daemon defaults", "[global]\nlvs_sync_daemon = { interface = \"eth1\", vrrp_instance = \"VI_1\" }",
			func(c *Config) any { return *c.Global.LVSSyncDaemon },
			LVSSyncDaemon{Interface: "eth1", VRRPInstance: "VI_1", SyncID: 51, Port: 8848, TTL: 1, Group: ip("224.0.0.81")}},
		{"sync daemon without an instance (master and backup)", "[global]\nlvs_sync_daemon = { interface = \"eth1\", sync_id = 7 }",
			func(c *Config) any { return *c.Global.LVSSyncDaemon },
			LVSSyncDaemon{Interface: "eth1", SyncID: 7, Port: 8848, TTL: 1, Group: ip("224.0.0.81")}},
		{"script", "[[vrrp_script]]\nname = \"s\"\nscript = \"/bin/true\"\nuser = \"u g\"\ninterval = 3\nweight = \"10 reverse\"\ninit_fail = true",
			func(c *Config) any { return c.Scripts[0] },
			VRRPScript{Name: "s", Script: Command{Line: "/bin/true", User: "u", Group: "g"}, Interval: 3 * time.Second, Timeout: 3 * time.Second,
				Rise: 1, Fall: 1, Weight: 10, WeightReverse: true, InitFail: true}},
		{"track process", "[[vrrp_track_process]]\nname = \"p\"\nprocess = \"java -jar app.jar\"\nparam_match = \"initial\"\nweight = -5\nquorum = 2\nquorum_max = 3\nfork_delay = 1\nterminate_delay = \"500ms\"",
			func(c *Config) any { return c.TrackProcesses[0] },
			TrackProcess{Name: "p", Process: "java", Params: "-jar app.jar", ParamMatch: "initial", Weight: -5, Quorum: 2, QuorumMax: 3, ForkDelay: time.Second, TerminateDelay: 500 * time.Millisecond}},
		{"track file init", "[[track_file]]\nname = \"f\"\nfile = \"/run/f\"\ninit_file = \"5 overwrite\"\n[[track_file]]\nname = \"g\"\nfile = \"/run/g\"\ninit_file = true\nweight = 0",
			func(c *Config) any { return c.TrackFiles },
			[]TrackFile{{Name: "f", File: "/run/f", Weight: 1, InitFile: true, InitValue: 5, InitOverwrite: true}, {Name: "g", File: "/run/g", InitFile: true}}},
		{"vsg", "[[virtual_server_group]]\nname = \"g\"\nvip = [\"10.0.0.10-20 80\", \"fd00::a-1f 443\", \"fwmark 7\", { ip = \"10.0.1.1\", port = 25 }, { fwmark = 9 }]",
			func(c *Config) any { return c.VirtualServerGroups[0].Entries },
			[]VSGEntry{{IP: ip("10.0.0.10"), IPLast: ip("10.0.0.20"), Port: 80}, {IP: ip("fd00::a"), IPLast: ip("fd00::1f"), Port: 443}, {FWMark: 7},
				{IP: ip("10.0.1.1"), IPLast: ip("10.0.1.1"), Port: 25}, {FWMark: 9}}},
		{"virtual server", "[[virtual_server]]\nip = \"10.0.0.100\"\nport = 0\npersistence_timeout = true\npersistence_granularity = \"255.255.255.0\"\nsorry_server = { ip = \"10.0.0.9\", port = 80 }\nsh-port = true\nlb_algo = \"SH\"\nprotocol = \"udp\"\nops = true",
			func(c *Config) any {
				vs := c.VirtualServers[0]
				return []any{vs.PersistenceTimeout, vs.PersistenceGranularity, *vs.SorryServer, vs.SchedFlags, vs.LBAlgo, vs.Protocol, vs.OPS, vs.SorryServerLVSMethod}
			},
			[]any{360 * time.Second, 24, SorryServer{IP: ip("10.0.0.9"), Port: 80}, SchedFlags{SHPort: true}, "sh", "UDP", true, "NAT"}},
		{"fwmark v6 service", "[[virtual_server]]\nfwmark = 3\nfamily = 6\npersistence_granularity = \"/64\"",
			func(c *Config) any {
				vs := c.VirtualServers[0]
				return []any{vs.FWMark, vs.Family, vs.PersistenceGranularity}
			}, []any{uint32(3), 6, 64}},
		{"checker defaults", "[[virtual_server]]\nip = \"10.0.0.100\"\nport = 80\ndelay_loop = 7\nvirtualhost = \"vs.example\"\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.http_get]]\nurl = { path = \"/x\", status_code = 204 }\n[[virtual_server.real_server.tcp_check]]\nconnect_port = 8080\nbindto = \"10.0.0.100\"",
			func(c *Config) any { return *c.VirtualServers[0].RealServers[0].Checkers },
			Checkers{
				HTTPGet: []HTTPCheck{{CheckCommon: CheckCommon{ConnectIP: ip("10.0.0.2"), ConnectPort: 80, ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: 3 * time.Second, DelayLoop: 7 * time.Second},
					URLs: []URL{{Path: "/x", StatusCodes: []StatusRange{{204, 204}}, Virtualhost: "vs.example"}}, Virtualhost: "vs.example", HTTPProtocol: "1.0"}},
				TCPCheck: []TCPCheck{{CheckCommon{ConnectIP: ip("10.0.0.2"), ConnectPort: 8080, BindTo: ip("10.0.0.100"), ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: time.Second, DelayLoop: 7 * time.Second}}},
			}},
		{"misc check", "[[virtual_server]]\nip = \"10.0.0.100\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nport = 8080\n[[virtual_server.real_server.misc_check]]\nmisc_path = \"/bin/check 10.0.0.2\"\nuser = \"nobody\"\nmisc_dynamic = true",
			func(c *Config) any { return c.VirtualServers[0].RealServers[0] },
			RealServer{IP: ip("10.0.0.2"), Port: 8080, Weight: 1, LBKind: "NAT", Checkers: &Checkers{MiscCheck: []MiscCheck{{
				Path: Command{Line: "/bin/check 10.0.0.2", User: "nobody"}, Timeout: time.Minute, Dynamic: true, DelayLoop: time.Minute, Retry: 1, DelayBeforeRetry: time.Second}}}}},
		{"tun real server", "[[virtual_server]]\nip = \"10.0.0.100\"\nport = 80\nlb_kind = \"DR\"\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nlvs_method = \"TUN\"\ntunnel_type = \"gue\"\ntunnel_port = 6080",
			func(c *Config) any {
				rs := c.VirtualServers[0].RealServers[0]
				return []any{rs.LBKind, rs.TunnelType, rs.TunnelPort}
			}, []any{"TUN", "gue", uint16(6080)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := baseInstance
			if strings.Contains(tt.in, "virtual_ipaddress =") {
				base = strings.Replace(base, "virtual_ipaddress = [\"10.0.0.100/24\"]\n", "", 1)
			}
			c, err := Parse("t.toml", []byte(base+tt.in+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.get(c), cmpOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
