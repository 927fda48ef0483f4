package daemon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/announce"
	"github.com/lvsd/lvsd/vrrp/packet"
	"github.com/lvsd/lvsd/vrrp/vip"
)

var cmpNetip = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func TestInstanceConfig(t *testing.T) {
	const file = `
[global]
vrrp_version = 3

[[vrrp_instance]]
name = "VI_1"
state = "MASTER"
interface = "eth0"
virtual_router_id = 51
priority = 200
advert_int = 0.5
nopreempt = true
v3_checksum_as_v2 = true
unicast_src_ip = "10.99.0.1"
unicast_peer = ["10.99.0.2", { ip = "10.99.0.3", min_ttl = 250, max_ttl = 255 }]
garp_master_delay = 2
garp_master_repeat = 3
virtual_ipaddress = [
  "10.99.0.100/24",
  "10.99.0.101/24 dev eth0 label eth0:1 scope link brd 10.99.0.255",
  { ip = "192.168.7.1/24", dev = "eth1", noprefixroute = true },
]
virtual_ipaddress_excluded = ["10.99.0.200/32"]
virtual_routes = ["192.168.200.0/24 via 10.99.0.254 dev eth0 metric 7"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := instanceConfig(&cfg.Global, &cfg.Instances[0])
	if err != nil {
		t.Fatal(err)
	}
	want := vrrp.Config{
		Name: "VI_1", VRID: 51, Version: 3, Interface: "eth0", Priority: 200,
		AdvertInterval: 500 * time.Millisecond, StateMaster: true, NoPreempt: true,
		ChecksumVariant:  packet.ChecksumNoPseudoHeader,
		DownTimerAdverts: 3,
		ChecksumGroup:    netip.MustParseAddr("224.0.0.18"),
		McastGroup:       netip.MustParseAddr("224.0.0.18"), // the default vrrp_mcast_group4
		Peers: []packet.Peer{
			{Addr: netip.MustParseAddr("10.99.0.2"), MaxTTL: 255},
			{Addr: netip.MustParseAddr("10.99.0.3"), MinTTL: 250, MaxTTL: 255},
		},
		VIPs: []vrrp.VIP{
			{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0"},
			{Prefix: netip.MustParsePrefix("10.99.0.101/24"), Dev: "eth0", Label: "eth0:1", Scope: vrrp.ScopeLink, Broadcast: netip.MustParseAddr("10.99.0.255")},
			{Prefix: netip.MustParsePrefix("192.168.7.1/24"), Dev: "eth1", NoPrefixRoute: true},
			{Prefix: netip.MustParsePrefix("10.99.0.200/32"), Dev: "eth0", Excluded: true},
		},
		Routes: []vrrp.Route{{Dst: netip.MustParsePrefix("192.168.200.0/24"), Via: netip.MustParseAddr("10.99.0.254"), Dev: "eth0", Metric: 7, Protocol: 3}},
	}
	// garp settings come from the file or keepalived's defaults
	want.GARPMasterDelay, want.GARPMasterRepeat = got.GARPMasterDelay, got.GARPMasterRepeat
	want.GARPMasterRefresh, want.GARPMasterRefreshRepeat = got.GARPMasterRefresh, got.GARPMasterRefreshRepeat
	want.GARPLowerPrioRepeat, want.GARPLowerPrioDelay = got.GARPLowerPrioRepeat, got.GARPLowerPrioDelay
	if got.GARPMasterDelay != 2*time.Second || got.GARPMasterRepeat != 3 {
		t.Errorf("garp_master_delay/repeat = %v/%d, want 2s/3", got.GARPMasterDelay, got.GARPMasterRepeat)
	}
	if d := cmp.Diff(want, got, cmpNetip...); d != "" {
		t.Errorf("instanceConfig (-want +got):\n%s", d)
	}
}

// TestInstanceConfigExplicitZeroGARP: keepalived's explicit 0 (no second
// burst, no announcements on a lower-priority advert) must reach the runner as "none", not as its
// default of 5 s / 5 announcements.
func TestInstanceConfigExplicitZeroGARP(t *testing.T) {
	const file = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
garp_master_delay = 0
garp_lower_prio_repeat = 0
virtual_ipaddress = ["10.99.0.100/24"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := instanceConfig(&cfg.Global, &cfg.Instances[0])
	if err != nil {
		t.Fatal(err)
	}
	got = got.WithDefaults()
	if got.GARPMasterDelay >= 0 || got.GARPLowerPrioRepeat >= 0 {
		t.Errorf("explicit 0: garp_master_delay/garp_lower_prio_repeat reach the runner as %v/%d, want none (negative)",
			got.GARPMasterDelay, got.GARPLowerPrioRepeat)
	}
	// Not set in the file: keepalived's defaults.
	cfg.Instances[0].GARPMasterDelay, cfg.Instances[0].GARPMasterRepeat = 5*time.Second, 5
	got, _ = instanceConfig(&cfg.Global, &cfg.Instances[0])
	if got = got.WithDefaults(); got.GARPMasterDelay != 5*time.Second || got.GARPMasterRepeat != 5 {
		t.Errorf("defaults: %v/%d, want 5s/5", got.GARPMasterDelay, got.GARPMasterRepeat)
	}
}

// TestAddrManagerVMAC: with use_vmac, the VIPs and device routes of the
// instance's interface move to the VMAC; other devices stay.
func TestAddrManagerVMAC(t *testing.T) {
	a := &addrManager{iface: "eth0", dev: "vrrp.51"}
	got := a.conv([]vrrp.VIP{
		{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0", Scope: vrrp.ScopeHost, Label: "x"},
		{Prefix: netip.MustParsePrefix("10.99.0.101/24")},
		{Prefix: netip.MustParsePrefix("192.168.7.1/24"), Dev: "eth1", NoDAD: true},
	})
	want := []vip.Address{
		{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "vrrp.51", Scope: vrrp.ScopeHost, Label: "x"},
		{Prefix: netip.MustParsePrefix("10.99.0.101/24"), Dev: "vrrp.51"},
		{Prefix: netip.MustParsePrefix("192.168.7.1/24"), Dev: "eth1", NoDAD: true},
	}
	if d := cmp.Diff(want, got, cmpNetip...); d != "" {
		t.Errorf("conv (-want +got):\n%s", d)
	}
	routes := a.convRoutes([]vrrp.Route{
		{Dst: netip.MustParsePrefix("192.168.200.0/24"), Via: netip.MustParseAddr("10.99.0.254")},
		{Dst: netip.MustParsePrefix("192.168.201.0/24")},
		{Dst: netip.MustParsePrefix("192.168.202.0/24"), Dev: "eth1"},
	})
	if routes[0].Dev != "" || routes[1].Dev != "vrrp.51" || routes[2].Dev != "eth1" {
		t.Errorf("route devices = %q %q %q, want \"\" vrrp.51 eth1", routes[0].Dev, routes[1].Dev, routes[2].Dev)
	}
}

func TestAnnouncersByDevice(t *testing.T) {
	vips := []vrrp.VIP{
		{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0"},
		{Prefix: netip.MustParsePrefix("192.168.7.1/24"), Dev: "eth1"},
	}
	a := newAnnouncers("eth0", vips, func(d string) string { return d }, linuxKernel{}.announcer)
	dev := func(an garpAnnouncer) string { return an.(*announce.Announcer).Interface() }
	if got := dev(a.byAddr[netip.MustParseAddr("192.168.7.1")]); got != "eth1" {
		t.Errorf("192.168.7.1 announced on %s, want eth1", got)
	}
	if got := dev(a.byAddr[netip.MustParseAddr("10.99.0.100")]); got != "eth0" {
		t.Errorf("10.99.0.100 announced on %s, want eth0", got)
	}
}
