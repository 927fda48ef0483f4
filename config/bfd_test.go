package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const bfdBase = `[[bfd_instance]]
name = "nbr1"
neighbor_ip = "192.0.2.2"
`

func TestBFDDefaults(t *testing.T) {
	c, err := Parse("t.toml", []byte(bfdBase))
	if err != nil {
		t.Fatal(err)
	}
	want := []BFDInstance{{Name: "nbr1", NeighborIP: netip.MustParseAddr("192.0.2.2"),
		MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second,
		Multiplier: 5, TTL: 255}}
	if d := cmp.Diff(want, c.BFDInstances, cmpOpts); d != "" {
		t.Fatal(d)
	}
}

func TestBFDFull(t *testing.T) {
	in := `[[bfd_instance]]
name = "nbr1"
neighbour_ip = "fd00::2"
source_ip = "fd00::1"
min_rx = "300ms"
min_tx = "0.5s"
idle_tx = "2s"
multiplier = 3
passive = true
hoplimit = 254
max_hops = 1
weight = "-20 reverse"

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.0.0.100/24"]
track_bfd = ["nbr1", "nbr1 weight 10", { name = "nbr1", weight = -5, reverse = true }]

[[vrrp_sync_group]]
name = "G"
group = ["VI_1"]
track_bfd = ["nbr1"]

[[virtual_server]]
ip = "10.0.0.1"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
[[virtual_server.real_server.bfd_check]]
name = "nbr1"
`
	c, err := Parse("t.toml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := BFDInstance{Name: "nbr1", NeighborIP: netip.MustParseAddr("fd00::2"), SourceIP: netip.MustParseAddr("fd00::1"),
		MinRx: 300 * time.Millisecond, MinTx: 500 * time.Millisecond, IdleTx: 2 * time.Second,
		Multiplier: 3, Passive: true, TTL: 254, MaxHops: 1, Weight: -20, WeightReverse: true}
	if d := cmp.Diff(want, c.BFDInstances[0], cmpOpts); d != "" {
		t.Fatal(d)
	}
	refs := []TrackRef{{Name: "nbr1"}, {Name: "nbr1", Weight: 10, WeightSet: true}, {Name: "nbr1", Weight: -5, WeightSet: true, WeightReverse: true}}
	if d := cmp.Diff(refs, c.Instances[0].TrackBFDs); d != "" {
		t.Fatal(d)
	}
	if len(c.SyncGroups[0].TrackBFDs) != 1 || c.VirtualServers[0].RealServers[0].Checkers.BFDCheck[0].Name != "nbr1" {
		t.Fatalf("%+v %+v", c.SyncGroups[0].TrackBFDs, c.VirtualServers[0].RealServers[0].Checkers)
	}
	// The dump loads back to the same configuration.
	c2, err := Parse("dump.toml", Dump(c))
	if err != nil {
		t.Fatalf("%v\n%s", err, Dump(c))
	}
	if d := cmp.Diff(c.BFDInstances, c2.BFDInstances, cmpOpts); d != "" {
		t.Fatal(d)
	}
	if d := cmp.Diff(c.Instances[0].TrackBFDs, c2.Instances[0].TrackBFDs); d != "" {
		t.Fatal(d)
	}
}

func TestBFDErrors(t *testing.T) {
	rs := "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n"
	tests := []struct{ in, want string }{
		{"[[bfd_instance]]\nname = \"a\"\n", "t.toml:1:1: bfd_instance[0]: missing key neighbor_ip"},
		{bfdBase + "min_rx = \"0.5ms\"\n", "t.toml:4:1: bfd_instance[0].min_rx: 500µs out of range 1ms..1h11m34.967s"},
		{bfdBase + "idle_tx = \"500ms\"\n", "t.toml:4:1: bfd_instance[0].idle_tx: 500ms out of range 1s..1h11m34.967s"},
		{bfdBase + "multiplier = 0\n", "t.toml:4:1: bfd_instance[0].multiplier: 0 out of range 1..255"},
		{bfdBase + "ttl = 256\n", "t.toml:4:1: bfd_instance[0].ttl: 256 out of range 1..255"},
		{bfdBase + "max_hops = -2\n", "t.toml:4:1: bfd_instance[0].max_hops: -2 out of range -1..255"},
		{bfdBase + "ttl = 10\nmax_hops = 20\n", "t.toml:5:1: bfd_instance[0].max_hops: 20 exceeds ttl 10"},
		{bfdBase + "weight = 254\n", "t.toml:4:1: bfd_instance[0].weight: 254 out of range -253..253"},
		{bfdBase + "source_ip = \"fd00::1\"\n", "t.toml:4:1: bfd_instance[0].source_ip: fd00::1 and the neighbor 192.0.2.2 are not of the same family"},
		{bfdBase + "neighbour_ip = \"192.0.2.3\"\n", "t.toml:4:1: bfd_instance[0].neighbour_ip: neighbor_ip is already set (give one of neighbor_ip and neighbour_ip)"},
		{bfdBase + "multihop = true\n", "t.toml:4:1: bfd_instance[0].multihop: unknown key"},
		{bfdBase + strings.Replace(bfdBase, "nbr1", "nbr2", 1), `t.toml:5:1: bfd_instance[1].name: neighbor 192.0.2.2 with source any is already bfd_instance "nbr1"'s`},
		{bfdBase + strings.Replace(bfdBase, "192.0.2.2", "192.0.2.3", 1), `t.toml:5:1: bfd_instance[1].name: duplicate`},
		{rs + "[[virtual_server.real_server.bfd_check]]\nname = \"nope\"\n", `t.toml:7:1: virtual_server[0].real_server[0].bfd_check[0].name: bfd_instance "nope" not defined (no [[bfd_instance]] with this name)`},
		{bfdBase + rs + "[[virtual_server.real_server.bfd_check]]\nname = \"nbr1\"\n[[virtual_server.real_server.bfd_check]]\nname = \"nbr1\"\n", `virtual_server[0].real_server[0].bfd_check[1].name: the real server already checks bfd_instance "nbr1"`},
		{"[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 1\nvirtual_ipaddress = [\"10.0.0.1/24\"]\ntrack_bfd = [\"nope\"]\n", `t.toml:6:14: vrrp_instance[0].track_bfd[0]: bfd_instance "nope" not defined (no [[bfd_instance]] with this name)`},
		{"[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 1\nvirtual_ipaddress = [\"10.0.0.1/24\"]\ntrack_bfd = [\"x weight 254\"]\n", `track_bfd[0]`},
	}
	for _, tt := range tests {
		_, err := Parse("t.toml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestBGPNeighborBFD(t *testing.T) {
	base := "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.9\"\n[[bgp.neighbor]]\naddress = \"10.0.0.254\"\npeer_asn = 65000\nbfd = %q\n[[bgp.announce]]\nprefix = \"10.0.0.1\"\n"
	c, err := Parse("t.toml", []byte(bfdBase+strings.Replace(base, "%q", `"nbr1"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.BGP.Neighbors[0].BFD != "nbr1" {
		t.Fatal(c.BGP.Neighbors[0])
	}
	_, err = Parse("t.toml", []byte(strings.Replace(base, "%q", `"nope"`, 1)))
	if err == nil || !strings.Contains(err.Error(), `t.toml:7:1: bgp.neighbor[0].bfd: bfd_instance "nope" not defined`) {
		t.Fatal(err)
	}
}
