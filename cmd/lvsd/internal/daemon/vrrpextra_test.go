package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"time"

	"github.com/lvsd/lvsd/vrrp/vrrpnet"
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/vrrp"
	"testing"

	"github.com/lvsd/lvsd/config"
)

// TestInstanceConfigVRRPExtra: the VRRP keys of issue 11 reach the runner
// with keepalived's resolution (global default, instance override).
func TestInstanceConfigVRRPExtra(t *testing.T) {
	const file = `
[global]
vrrp_down_timer_adverts = 6
vrrp_higher_prio_send_advert = true
vrrp_min_garp = true

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
unicast_fault_no_peer = true
virtual_ipaddress = ["10.99.0.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "eth0"
virtual_router_id = 52
down_timer_adverts = 2
higher_prio_send_advert = false
garp_master_repeat = 3
virtual_ipaddress = ["10.99.0.101/24"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	c1, err := instanceConfig(&cfg.Global, &cfg.Instances[0])
	if err != nil {
		t.Fatal(err)
	}
	c1 = c1.WithDefaults()
	if c1.DownTimerAdverts != 6 || !c1.HigherPrioSendAdvert || !c1.UnicastFaultNoPeer {
		t.Errorf("VI_1: down_timer_adverts %d, higher_prio_send_advert %v, unicast_fault_no_peer %v; want 6, true, true",
			c1.DownTimerAdverts, c1.HigherPrioSendAdvert, c1.UnicastFaultNoPeer)
	}
	// vrrp_min_garp: one announcement, no second burst, no refresh.
	if c1.GARPMasterRepeat != 1 || c1.GARPMasterDelay >= 0 || c1.GARPMasterRefresh != 0 || c1.GARPLowerPrioRepeat != 1 || c1.GARPLowerPrioDelay >= 0 {
		t.Errorf("VI_1 with vrrp_min_garp: repeat %d delay %v refresh %v lower repeat %d lower delay %v; want 1, none, 0, 1, none",
			c1.GARPMasterRepeat, c1.GARPMasterDelay, c1.GARPMasterRefresh, c1.GARPLowerPrioRepeat, c1.GARPLowerPrioDelay)
	}
	c2, err := instanceConfig(&cfg.Global, &cfg.Instances[1])
	if err != nil {
		t.Fatal(err)
	}
	if c2.DownTimerAdverts != 2 || c2.HigherPrioSendAdvert || c2.UnicastFaultNoPeer || c2.GARPMasterRepeat != 3 {
		t.Errorf("VI_2: down_timer_adverts %d, higher_prio_send_advert %v, unicast_fault_no_peer %v, garp_master_repeat %d; want 2, false, false, 3",
			c2.DownTimerAdverts, c2.HigherPrioSendAdvert, c2.UnicastFaultNoPeer, c2.GARPMasterRepeat)
	}
}

func TestExtraIfAddrs(t *testing.T) {
	vip := func(a, dev string, excluded bool) vrrp.VIP {
		return vrrp.VIP{Prefix: netip.MustParsePrefix(a), Dev: dev, Excluded: excluded}
	}
	vips := []vrrp.VIP{
		vip("10.0.0.1/24", "eth0", false),
		vip("10.0.0.2/24", "eth0", false),
		vip("10.1.0.1/24", "eth1", false),
		vip("10.1.0.2/24", "eth1", false),
		vip("10.2.0.1/24", "eth2", true),
	}
	noVMAC := func(d string) string { return d }
	toVMAC := func(d string) string {
		if d == "eth0" {
			return "vrrp.51"
		}
		return d
	}
	for _, tc := range []struct {
		name          string
		devOf         func(string) string
		own, vmac     string
		xmitBase, all bool
		want          []string
	}{
		{"no vmac, not all", noVMAC, "eth0", "", false, false, nil},
		{"no vmac, all", noVMAC, "eth0", "", false, true, []string{"10.1.0.1", "10.2.0.1"}},
		{"vmac sending adverts", toVMAC, "vrrp.51", "vrrp.51", false, false, nil},
		{"vmac, xmit base", toVMAC, "vrrp.51", "vrrp.51", true, false, []string{"10.0.0.1"}},
		{"vmac, xmit base, all", toVMAC, "vrrp.51", "vrrp.51", true, true, []string{"10.0.0.1", "10.1.0.1", "10.2.0.1"}},
		{"vmac sending, all", toVMAC, "vrrp.51", "vrrp.51", false, true, []string{"10.1.0.1", "10.2.0.1"}},
	} {
		var got []string
		for _, a := range extraIfAddrs(vips, tc.devOf, tc.own, tc.vmac, tc.xmitBase, tc.all) {
			got = append(got, a.String())
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

type recSockets struct {
	vrrpSockets
	fn vrrpnet.UnknownFunc
}

func (r *recSockets) SetUnknownHandler(fn vrrpnet.UnknownFunc) { r.fn = fn }

// TestLogUnknownVRIDs: log_unknown_vrids installs a logger on the sockets
// that logs at most once a second per interface and VRID and says how
// many it suppressed; without it, no handler.
func TestLogUnknownVRIDs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	reg := &recSockets{}
	setUnknownHandler(reg, &config.Global{}, log)
	if reg.fn != nil {
		t.Fatal("handler set without log_unknown_vrids")
	}
	setUnknownHandler(reg, &config.Global{VRRPGlobalExtra: config.VRRPGlobalExtra{LogUnknownVRIDs: true}}, log)
	if reg.fn == nil {
		t.Fatal("no handler with log_unknown_vrids")
	}
	t0 := time.Unix(1e9, 0)
	now := t0
	fn := unknownVRIDLogger(log, func() time.Time { return now })
	src := netip.MustParseAddr("10.0.0.9")
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond, 1100 * time.Millisecond} {
		now = t0.Add(d)
		fn("eth0", false, 77, src)
	}
	fn("eth0", false, 78, src) // another VRID is not suppressed by 77
	want := `level=INFO msg="unknown VRID received, ignoring" vrid=77 interface=eth0 ipv6=false src=10.0.0.9 suppressed=0
level=INFO msg="unknown VRID received, ignoring" vrid=77 interface=eth0 ipv6=false src=10.0.0.9 suppressed=2
level=INFO msg="unknown VRID received, ignoring" vrid=78 interface=eth0 ipv6=false src=10.0.0.9 suppressed=0
`
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
	setUnknownHandler(reg, &config.Global{}, log)
	if reg.fn != nil {
		t.Error("handler kept after log_unknown_vrids was turned off")
	}
}

// TestInstanceConfigMcastDstIP: mcast_dst_ip replaces the global group.
func TestInstanceConfigMcastDstIP(t *testing.T) {
	const file = `
[global]
vrrp_mcast_group4 = "224.0.0.50"

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.99.0.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "eth0"
virtual_router_id = 52
mcast_dst_ip = "224.0.0.19"
virtual_ipaddress = ["10.99.0.101/24"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"224.0.0.50", "224.0.0.19"} {
		c, err := instanceConfig(&cfg.Global, &cfg.Instances[i])
		if err != nil {
			t.Fatal(err)
		}
		if got := c.McastGroup.String(); got != want {
			t.Errorf("%s: group %s, want %s", cfg.Instances[i].Name, got, want)
		}
	}
}

type groupRec struct {
	k   *fakeKernel
	cfg vrrpnet.Config
}

func (r *groupRec) Open(c vrrpnet.Config, vrid uint8) (vrrpnet.Endpoint, error) {
	r.cfg = c
	return (*fakeSockets)(r.k).Open(c, vrid)
}

// TestOpenKernelVRRPExtra: the socket joins the instance's group
// (mcast_dst_ip), and garp_extra_if gets the addresses of the other
// interfaces.
func TestOpenKernelVRRPExtra(t *testing.T) {
	const file = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
mcast_dst_ip = "224.0.0.19"
garp_extra_if = "20 all"
virtual_ipaddress = ["10.99.0.100/24", "192.168.7.1/24 dev eth1", "192.168.7.2/24 dev eth1"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	in := &cfg.Instances[0]
	c, err := instanceConfig(&cfg.Global, in)
	if err != nil {
		t.Fatal(err)
	}
	k := newFakeKernel()
	reg := &groupRec{k: k}
	kk, err := openKernel(k, (*fakeAddrs)(k), reg, &cfg.Global, cfg.GARPGroups, in, &c)
	if err != nil {
		t.Fatal(err)
	}
	defer kk.conn.Close()
	if got := reg.cfg.Group.String(); got != "224.0.0.19" {
		t.Errorf("socket group %s, want 224.0.0.19", got)
	}
	if c.ExtraIfInterval != 20*time.Second {
		t.Errorf("extra interval %v", c.ExtraIfInterval)
	}
	if d := cmp.Diff([]netip.Addr{netip.MustParseAddr("192.168.7.1")}, c.ExtraIfAddrs, cmpNetip...); d != "" {
		t.Errorf("extra addresses (-want +got):\n%s", d)
	}
}

type promoteRec struct {
	*fakeAddrs
	calls []string
}

func (p *promoteRec) PromoteSecondaries(iface string) error {
	p.calls = append(p.calls, "promote "+iface)
	return nil
}

func (p *promoteRec) UnpromoteSecondaries(iface string) error {
	p.calls = append(p.calls, "unpromote "+iface)
	return nil
}

// TestPromoteSecondariesKernel: promote_secondaries sets the sysctl on the
// instance's interface when its kernel state is opened and undoes it when
// it is closed; an address manager that cannot is an error.
func TestPromoteSecondariesKernel(t *testing.T) {
	const file = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
promote_secondaries = true
virtual_ipaddress = ["10.99.0.100/24"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	in := &cfg.Instances[0]
	c, err := instanceConfig(&cfg.Global, in)
	if err != nil {
		t.Fatal(err)
	}
	k := newFakeKernel()
	m := &promoteRec{fakeAddrs: (*fakeAddrs)(k)}
	kk, err := openKernel(k, m, k.sockets(), &cfg.Global, cfg.GARPGroups, in, &c)
	if err != nil {
		t.Fatal(err)
	}
	v := &vrrpPart{d: &daemon{log: slog.New(slog.DiscardHandler)}, m: m}
	v.closeKernel(kk)
	if d := cmp.Diff([]string{"promote eth0", "unpromote eth0"}, m.calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if _, err := openKernel(k, (*fakeAddrs)(k), k.sockets(), &cfg.Global, cfg.GARPGroups, in, &c); err == nil || !strings.Contains(err.Error(), "promote_secondaries on eth0") {
		t.Errorf("a manager without promote_secondaries: %v", err)
	}
}

// TestRxBufShare: kernel_rx_buf_size and vrrp_rx_bufs_policy give each
// instance keepalived's share of its socket's receive buffer.
func TestRxBufShare(t *testing.T) {
	mtu := func(string) int { return 1500 }
	for _, tc := range []struct {
		global, inst string
		want         int
	}{
		{"", "", 0},
		{"", "kernel_rx_buf_size = 65536", 65536},
		{"vrrp_rx_bufs_policy = 100000", "", 100000},
		{"vrrp_rx_bufs_policy = 100000", "kernel_rx_buf_size = 4096", 4096},
		{`vrrp_rx_bufs_policy = "MTU"`, "", 3 * 1500},
		{"vrrp_rx_bufs_policy = \"mtu\"\nvrrp_rx_bufs_multiplier = 10", "", 10 * 1500},
		// VRRPv2/IPv4 with 2 addresses (the excluded one is not in the advert): 20 + 8 + 2*4 + 8.
		{`vrrp_rx_bufs_policy = "ADVERT"`, "", 3 * 44},
		{"vrrp_rx_bufs_policy = \"ADVERT\"\nvrrp_version = 3", "", 3 * 36},
	} {
		file := "[global]\n" + tc.global + `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
` + tc.inst + `
virtual_ipaddress = ["10.99.0.100/24", "10.99.0.101/24"]
virtual_ipaddress_excluded = ["10.99.0.200/32"]
`
		cfg, err := config.Parse("test.toml", []byte(file))
		if err != nil {
			t.Fatalf("%q %q: %v", tc.global, tc.inst, err)
		}
		c, err := instanceConfig(&cfg.Global, &cfg.Instances[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := rxBufShare(&cfg.Global, &cfg.Instances[0], &c, mtu); got != tc.want {
			t.Errorf("%q %q: share %d, want %d", tc.global, tc.inst, got, tc.want)
		}
	}
	if got := advertLen(3, true, []vrrp.VIP{{Prefix: netip.MustParsePrefix("fe80::1/64")}}); got != 24 {
		t.Errorf("IPv6 advert length %d, want 24", got)
	}
}

type pacedAnn struct {
	dev       string
	garp, gna time.Duration
	group     string
}

func (p *pacedAnn) Announce([]netip.Addr) error          { return nil }
func (p *pacedAnn) SetIntervals(garp, gna time.Duration) { p.garp, p.gna = garp, gna }
func (p *pacedAnn) SetPacingGroup(name string)           { p.group = name }
func (p *pacedAnn) Close() error                         { return nil }

// TestGARPGroups: the announcers of the interfaces of a garp_group get its
// intervals and its shared pacing; the others keep the global intervals;
// a VMAC follows its base interface.
func TestGARPGroups(t *testing.T) {
	const file = `
[global]
vrrp_garp_interval = 0.002

[[garp_group]]
garp_interval = 0.01
gna_interval = 0.02
interfaces = ["eth0", "eth1"]

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
use_vmac = true
virtual_ipaddress = ["10.99.0.100/24", "10.1.0.1/24 dev eth1", "10.2.0.1/24 dev eth2"]
`
	cfg, err := config.Parse("test.toml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	in := &cfg.Instances[0]
	c, err := instanceConfig(&cfg.Global, in)
	if err != nil {
		t.Fatal(err)
	}
	devOf := func(d string) string {
		if d == "eth0" {
			return "vrrp.51"
		}
		return d
	}
	made := map[string]*pacedAnn{}
	a := newAnnouncers("vrrp.51", c.VIPs, devOf, func(dev string) garpAnnouncer {
		p := &pacedAnn{dev: dev}
		made[dev] = p
		return p
	})
	a.setIntervals(cfg.Global.GARPInterval, cfg.Global.GNAInterval)
	a.applyGARPGroups(cfg.GARPGroups, in.Interface, "vrrp.51")
	want := map[string]pacedAnn{
		"vrrp.51": {dev: "vrrp.51", garp: 10 * time.Millisecond, gna: 20 * time.Millisecond, group: "garp_group 0"},
		"eth1":    {dev: "eth1", garp: 10 * time.Millisecond, gna: 20 * time.Millisecond, group: "garp_group 0"},
		"eth2":    {dev: "eth2", garp: 2 * time.Millisecond},
	}
	got := map[string]pacedAnn{}
	for d, p := range made {
		got[d] = *p
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(pacedAnn{})); d != "" {
		t.Errorf("announcers (-want +got):\n%s", d)
	}
}
