package config

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRule(t *testing.T) {
	pfx := netip.MustParsePrefix
	tests := []struct {
		in   string
		want Rule
	}{
		{"from 10.1.2.3/24 table 100", Rule{Family: 4, From: pfx("10.1.2.0/24"), Table: 100}},
		{"from all to 10.0.0.1 lookup main pref 5", Rule{Family: 4, To: pfx("10.0.0.1/32"), Table: 254, Priority: 5}},
		{"not fwmark 0x10/0xff iif eth0 oif eth1 order 7 blackhole", Rule{Family: 4, Not: true, FWMark: 16, FWMask: 255, IIF: "eth0", OIF: "eth1", Priority: 7, Action: "blackhole"}},
		{"inet6 uidrange 10-20 suppress_prefixlength 0 table 5", Rule{Family: 6, HasUIDRange: true, UIDFirst: 10, UIDLast: 20, HasSuppress: true, Table: 5}},
		{"to fd00::/8 ipproto udp sport 53 dport 1000-2000 type unreachable", Rule{Family: 6, To: pfx("fd00::/8"), IPProto: 17, SPortFirst: 53, SPortLast: 53, DPortFirst: 1000, DPortLast: 2000, Action: "unreachable"}},
		{"priority 10 goto 20", Rule{Family: 4, Priority: 10, Goto: 20}},
		{"dsfield 0x10 dev eth2 protocol keepalived nop", Rule{Family: 4, TOS: 16, IIF: "eth2", Protocol: "keepalived", Action: "nop"}},
	}
	for _, tc := range tests {
		got, err := parseRule(strings.Fields(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, diff)
		}
		// The dumped line parses back to the same rule.
		again, err := parseRule(strings.Fields(got.String()))
		if err != nil || !cmp.Equal(got, again, cmpOpts) {
			t.Errorf("%q: String() %q does not parse back: %v", tc.in, got.String(), err)
		}
	}
}

func TestParseRuleErrors(t *testing.T) {
	for in, want := range map[string]string{
		"from 10.0.0.0/8":                       "no action",
		"from 10.0.0.0/8 table 1 goto 5":        "more than one action",
		"goto 5":                                "goto 5 needs a priority below it",
		"priority 9 goto 5":                     "goto 5 needs a priority below it",
		"from 10.0.0.0/8 to fd00::/8 table 1":   "differ",
		"inet6 from 10.0.0.0/8 table 1":         "differ",
		"l3mdev":                                "l3mdev (VRF rules): not supported yet",
		"realms 3 table 1":                      "realms: not supported yet",
		"table 1 frobnicate":                    `unknown rule option "frobnicate"`,
		"table 0":                               "bad table",
		"fwmark x table 1":                      "bad fwmark",
		"uidrange 20-10 table 1":                "bad uidrange",
		"sport 0 table 1":                       "bad port range",
		"suppress_prefixlength 200 table 1":     "bad suppress_prefixlength",
		"suppress_prefixlength 0 blackhole":     "suppress_prefixlength is for a table rule",
		"priority 0 table 1":                    "bad priority",
		"table":                                 "table needs a value",
		"ipproto nosuch table 1":                "bad ipproto",
		"protocol nosuch table 1":               "unknown rule protocol",
		"iif this-name-is-too-long-x table 1":   "bad interface name",
		"from 10.0.0.0/8 table 1 table 2":       "more than one action",
		"from 10.0.0.0/8 prohibit unreachable":  "more than one action",
		"to 10.0.0.0/33 table 1":                "bad IP prefix",
		"uidrange 5 table 1":                    "bad uidrange",
		"tos zz table 1":                        "bad tos",
		"dport 5-4 table 1":                     "bad port range",
		"goto 0":                                "bad goto",
		"from 10.0.0.0/8 fwmark 1/0 table 1":    "bad fwmark mask",
		"inet inet6 table 1":                    "both inet and inet6",
		"suppress_ifgroup 3 table 1":            "suppress_ifgroup: not supported yet",
		"no_track table 1":                      "no_track: not supported yet",
		"from 10.0.0.0/8 tunnel-id 3 table 1":   "tunnel-id: not supported yet",
		"from 10.0.0.0/8 track_group g table 1": "track_group: not supported yet",
	} {
		_, err := parseRule(strings.Fields(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", in, err, want)
		}
	}
}

func TestParseMultipathRoute(t *testing.T) {
	a := netip.MustParseAddr
	r, err := parseRoute(strings.Fields("10.3.0.0/16 src 10.1.0.1 nexthop via 10.1.0.2 dev eth0 weight 2 nexthop dev eth1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Nexthop{{Via: a("10.1.0.2"), Dev: "eth0", Weight: 2}, {Dev: "eth1", Weight: 1}}
	if diff := cmp.Diff(want, r.Nexthops, cmpOpts); diff != "" || r.Src != a("10.1.0.1") {
		t.Errorf("nexthops (-want +got):\n%s src %s", diff, r.Src)
	}
	r, err = parseRoute(strings.Fields("10.4.0.0/16 via 10.1.0.2 or 10.1.0.3 dev eth0 metric 5"))
	if err != nil {
		t.Fatal(err)
	}
	want = []Nexthop{{Via: a("10.1.0.2"), Dev: "eth0", Weight: 1}, {Via: a("10.1.0.3"), Dev: "eth0", Weight: 1}}
	if diff := cmp.Diff(want, r.Nexthops, cmpOpts); diff != "" || r.Via.IsValid() || r.Dev != "" || r.Metric != 5 {
		t.Errorf("or form: %+v (-want +got):\n%s", r, diff)
	}
	for in, msg := range map[string]string{
		"10.3.0.0/16 nexthop via 10.1.0.2":                            "at least two nexthops",
		"10.3.0.0/16 via 10.1.0.1 nexthop via 10.1.0.2 nexthop dev x": "via or dev before nexthop",
		"10.3.0.0/16 nexthop weight 2 nexthop dev eth0":               "neither via nor dev",
		"10.3.0.0/16 nexthop via 10.1.0.2 weight 0 nexthop dev eth0":  "bad nexthop weight",
		"10.3.0.0/16 nexthop via fd00::1 nexthop dev eth0":            "different families",
		"10.3.0.0/16 nexthop via 10.1.0.2 onlink nexthop dev eth0":    "onlink: not supported yet",
		"10.3.0.0/16 nexthop via 10.1.0.2 metric 3 nexthop dev eth0":  "unknown nexthop option",
		"10.3.0.0/16 or 10.1.0.2":                                     "or needs one via before it",
		"blackhole 10.3.0.0/16 nexthop dev a nexthop dev b":           "a blackhole route has no via, dev or nexthop",
	} {
		if _, err := parseRoute(strings.Fields(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v, want %q", in, err, msg)
		}
	}
}

// TestStaticErrors: static state errors carry file:line:col.
func TestStaticErrors(t *testing.T) {
	const in = `static_ipaddress = ["10.2.0.1/24"]
static_routes = ["10.5.0.0/16", "10.6.0.0/16 nexthop via 10.1.0.2"]
static_rules = ["to 10.9.0.0/16", {from = "x"}]
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.98.0.100/24"]
virtual_rules = ["from 10.98.0.100 l3mdev"]
`
	_, err := Parse("t.toml", []byte(in))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"t.toml:1:21: static_ipaddress[0]: 10.2.0.1/24: a static address needs dev IF",
		"t.toml:2:18: static_routes[0]: 10.5.0.0/16: a static route needs dev IF, via GW, nexthop or blackhole",
		"t.toml:2:33: static_routes[1]: a multipath route needs at least two nexthops",
		"t.toml:3:17: static_rules[0]: no action in \"to 10.9.0.0/16\"",
		"t.toml:3:35: static_rules[1]: wrong type table, want an ip rule line",
		"t.toml:9:18: vrrp_instance[0].virtual_rules[0]: rule option l3mdev (VRF rules): not supported yet",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
}

// TestRouteOptionsFirst: keepalived's samples put src before the
// destination (keepalived.conf.vrrp.routes).
func TestRouteOptionsFirst(t *testing.T) {
	r, err := parseRoute(strings.Fields("src 192.168.100.1 192.168.209.0/24 via 192.168.200.254 dev eth0"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Src.String() != "192.168.100.1" || r.Dst.String() != "192.168.209.0/24" || r.Via.String() != "192.168.200.254" || r.Dev != "eth0" {
		t.Errorf("got %+v", r)
	}
	if _, err := parseRoute(strings.Fields("src 192.168.100.1")); err == nil {
		t.Error("a route of options only accepted")
	}
}
