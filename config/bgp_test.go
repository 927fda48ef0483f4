package config

import (
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const baseBGP = `[[virtual_server]]
ip = "192.0.2.10"
port = 80
[[virtual_server]]
ip = "192.0.2.10"
port = 443
[bgp]
asn = 65001
router_id = "10.0.0.11"
[[bgp.neighbor]]
address = "10.0.0.1"
peer_asn = 65000
`

func TestBGPDefaults(t *testing.T) {
	c, err := Parse("t.toml", []byte(baseInstance+baseBGP+"[[bgp.announce]]\nprefix = \"192.0.2.10\"\n[[bgp.announce]]\nprefix = \"192.0.2.11/32\"\nonly_when_master = \"VI_1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &BGP{
		ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.11"), GracefulShutdownDelay: defaultBGPGracefulShutdownDelay,
		Neighbors: []BGPNeighbor{{Address: netip.MustParseAddr("10.0.0.1"), PeerASN: 65000, HoldTime: defaultBGPHoldTime, KeepaliveTime: defaultBGPHoldTime / 3}},
		Announces: []BGPAnnounce{
			{Prefix: netip.MustParsePrefix("192.0.2.10/32"), VirtualServers: []string{"192.0.2.10:80", "192.0.2.10:443"}, Require: "all"},
			{Prefix: netip.MustParsePrefix("192.0.2.11/32"), VirtualServers: []string{}, Require: "all", OnlyWhenMaster: "VI_1"},
		},
	}
	if diff := cmp.Diff(want, c.BGP, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("BGP (-want +got):\n%s", diff)
	}
}

func TestBGPErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"missing asn", "[bgp]\nrouter_id = \"10.0.0.1\"\n[[bgp.neighbor]]\naddress = \"10.0.0.2\"\npeer_asn = 1\n",
			[]string{"t.toml:1:2: bgp: missing key asn"}},
		{"router id v6", "[bgp]\nasn = 1\nrouter_id = \"fd00::1\"\n[[bgp.neighbor]]\naddress = \"10.0.0.2\"\npeer_asn = 1\n",
			[]string{"t.toml:3:1: bgp.router_id: fd00::1 is not an IPv4 address (the BGP identifier is 32 bits)"}},
		{"no neighbor", "[bgp]\nasn = 1\nrouter_id = \"10.0.0.1\"\n",
			[]string{"t.toml:1:2: bgp: no [[bgp.neighbor]] (name at least one router)"}},
		{"asn range", baseBGP + "[[bgp.neighbor]]\naddress = \"10.0.0.2\"\npeer_asn = 4294967296\n",
			[]string{"t.toml:15:1: bgp.neighbor[1].peer_asn: 4294967296 out of range 1..4294967295"}},
		{"hold time", baseBGP + "hold_time = 2\n",
			[]string{"t.toml:13:1: bgp.neighbor[0].hold_time: 2s: must be 0 or at least 3s (RFC 4271)"}},
		{"keepalive", baseBGP + "hold_time = 9\nkeepalive_time = 9\n",
			[]string{"t.toml:14:1: bgp.neighbor[0].keepalive_time: 9s must be less than hold_time 9s"}},
		{"duplicate neighbor", baseBGP + "[[bgp.neighbor]]\naddress = \"10.0.0.1\"\npeer_asn = 65000\n",
			[]string{"t.toml:14:1: bgp.neighbor[1].address: neighbor 10.0.0.1 listed twice (also bgp.neighbor[0])"}},
		{"prefix not host", baseBGP + "[[bgp.announce]]\nprefix = \"192.0.2.0/24\"\n",
			[]string{"t.toml:14:1: bgp.announce[0].prefix: prefix \"192.0.2.0/24\" is not a host route (want /32: a VIP)"}},
		{"dangling vs", baseBGP + "[[bgp.announce]]\nprefix = \"192.0.2.10\"\nvirtual_server = [\"192.0.2.10:8080\"]\n",
			[]string{"t.toml:15:19: bgp.announce[0].virtual_server[0]: virtual server \"192.0.2.10:8080\" not defined (no [[virtual_server]] with this name: \"IP:PORT\", \"fwmark N\" or \"group NAME\")"}},
		{"dangling instance", baseBGP + "[[bgp.announce]]\nprefix = \"192.0.2.10\"\nonly_when_master = \"VI_9\"\n",
			[]string{"t.toml:15:1: bgp.announce[0].only_when_master: instance \"VI_9\" not defined (no [[vrrp_instance]] with this name)"}},
		{"community", baseBGP + "[[bgp.announce]]\nprefix = \"192.0.2.10\"\ncommunities = [\"65000:70000\"]\n",
			[]string{"t.toml:15:16: bgp.announce[0].communities[0]: bad community \"65000:70000\" (want \"ASN:VALUE\", each 0..65535, or no-export, no-advertise, no-export-subconfed, graceful-shutdown, blackhole)"}},
		{"unknown key", baseBGP + "passwd = \"x\"\n",
			[]string{"t.toml:13:1: bgp.neighbor[0].passwd: unknown key"}},
		{"no neighbor of the family", baseBGP + "[[bgp.announce]]\nprefix = \"2001:db8::10\"\n",
			[]string{"t.toml:14:1: bgp.announce[0].prefix: no IPv6 neighbor to announce 2001:db8::10/128 to (a prefix goes to the neighbors of its family)"}},
		{"duplicate prefix", baseBGP + "[[bgp.announce]]\nprefix = \"192.0.2.10\"\n[[bgp.announce]]\nprefix = \"192.0.2.10/32\"\n",
			[]string{"t.toml:16:1: bgp.announce[1].prefix: prefix 192.0.2.10/32 listed twice (also bgp.announce[0])"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(tt.in))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v, want Errors", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommunity(t *testing.T) {
	for in, want := range map[string]uint32{"65535:0": 0xFFFF0000, "graceful-shutdown": 0xFFFF0000, "1:2": 1<<16 | 2, "no-export": 0xFFFFFF01} {
		got, err := ParseCommunity(in)
		if err != nil || got != want {
			t.Errorf("ParseCommunity(%q) = %#x, %v, want %#x", in, got, err, want)
		}
	}
	if FormatCommunity(0xFFFF0000) != "65535:0" {
		t.Errorf("FormatCommunity(0xFFFF0000) = %q", FormatCommunity(0xFFFF0000))
	}
	for _, in := range []string{"", "1", "1:", ":1", "x:1", "65536:1", "-1:1"} {
		if _, err := ParseCommunity(in); err == nil {
			t.Errorf("ParseCommunity(%q): no error", in)
		}
	}
}

// TestReadmeBGPExample: the director configuration of README's "Scale-out
// with BGP" loads.
func TestReadmeBGPExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	sec := readme[strings.Index(readme, "## Scale-out with BGP"):]
	sec = sec[:strings.Index(sec, "\n## ")]
	m := regexp.MustCompile("(?s)```toml\n(.*?)```").FindStringSubmatch(sec)
	if m == nil {
		t.Fatal("no toml block in README's Scale-out with BGP")
	}
	c, err := Parse("README", []byte(m[1]))
	if err != nil {
		t.Fatalf("README BGP example does not load:\n%v", err)
	}
	if got := c.BGP.Announces[0].VirtualServers; len(got) != 1 || got[0] != "192.0.2.10:80" {
		t.Errorf("announce stands for %v, want [192.0.2.10:80]", got)
	}
}

// FuzzCommunity: ParseCommunity never panics, and what it accepts formats
// back to a spelling it accepts with the same value.
func FuzzCommunity(f *testing.F) {
	for _, s := range []string{"65000:100", "0:0", "65535:65535", "graceful-shutdown", "NO-EXPORT", "1:", ":1", "65536:1", "+1:2", " 1:2 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseCommunity(s)
		if err != nil {
			return
		}
		w, err := ParseCommunity(FormatCommunity(v))
		if err != nil || w != v {
			t.Fatalf("%q = %#x formats as %q = %#x, %v", s, v, FormatCommunity(v), w, err)
		}
	})
}
