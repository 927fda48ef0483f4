package config

import (
	"strings"
	"testing"
	"time"
)

const extraInst = `
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 1
virtual_ipaddress = ["10.0.0.1"]
`

func parseExtra(t *testing.T, global, inst string) (*Config, error) {
	t.Helper()
	return Parse("t.toml", []byte("[global]\n"+global+"\n"+extraInst+inst+"\n"))
}

func TestDownTimerAdvertsKeys(t *testing.T) {
	for _, tc := range []struct {
		global, inst string
		want         int
		err          string
	}{
		{want: 3},
		{global: "vrrp_down_timer_adverts = 5", want: 5},
		{global: "vrrp_down_timer_adverts = 5", inst: "down_timer_adverts = 1", want: 1},
		{inst: "down_timer_adverts = 100", want: 100},
		{inst: "down_timer_adverts = 0", err: "t.toml:9:1: vrrp_instance[0].down_timer_adverts: 0 out of range 1..100"},
		{global: "vrrp_down_timer_adverts = 101", err: "global.vrrp_down_timer_adverts: 101 out of range 1..100"},
		{global: "vrrp_strict = true", want: 3},
		{global: "vrrp_strict = true", inst: "down_timer_adverts = 4", err: "down_timer_adverts: 4 not allowed in strict mode"},
		{global: "vrrp_strict = true\nvrrp_down_timer_adverts = 4", err: "down_timer_adverts: 4 not allowed in strict mode"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: err %v, want %q", tc.global, tc.inst, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q: %v", tc.global, tc.inst, err)
			continue
		}
		if got := c.Instances[0].DownTimerAdverts; got != tc.want {
			t.Errorf("%q %q: down_timer_adverts %d, want %d", tc.global, tc.inst, got, tc.want)
		}
	}
}

func TestHigherPrioSendAdvertKeys(t *testing.T) {
	for _, tc := range []struct {
		global, inst string
		want         bool
		err          string
	}{
		{want: false},
		{global: "vrrp_higher_prio_send_advert = true", want: true},
		{global: "vrrp_higher_prio_send_advert = true", inst: "higher_prio_send_advert = false", want: false},
		{inst: "higher_prio_send_advert = true", want: true},
		// keepalived: unset in strict mode is false whatever the global says.
		{global: "vrrp_higher_prio_send_advert = true\nvrrp_strict = true", want: false},
		{global: "vrrp_strict = true", inst: "higher_prio_send_advert = true", err: "higher_prio_send_advert: not allowed in strict mode"},
		{inst: "higher_prio_send_advert = 1", err: "higher_prio_send_advert"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: err %v, want %q", tc.global, tc.inst, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q: %v", tc.global, tc.inst, err)
			continue
		}
		if got := c.Instances[0].HigherPrioSendAdvertMode(&c.Global); got != tc.want {
			t.Errorf("%q %q: higher_prio_send_advert %v, want %v", tc.global, tc.inst, got, tc.want)
		}
	}
}

func TestUnicastFaultNoPeerKey(t *testing.T) {
	c, err := parseExtra(t, "", "unicast_fault_no_peer = true")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Instances[0].UnicastFaultNoPeer {
		t.Error("unicast_fault_no_peer not set")
	}
	if _, err := parseExtra(t, "", `unicast_fault_no_peer = "yes"`); err == nil {
		t.Error("a string accepted for unicast_fault_no_peer")
	}
}

// TestMinGARP: vrrp_min_garp turns the GARP defaults into one ARP with no
// second burst, keeps what the file sets, and flows to the instances and
// the lower-priority defaults.
func TestMinGARP(t *testing.T) {
	for _, tc := range []struct {
		global, inst        string
		repeat, lowerRepeat int
		delay, lowerDelay   time.Duration
		refresh             time.Duration
		refreshRepeat       int
		err                 string
	}{
		{repeat: 5, lowerRepeat: 5, delay: 5 * time.Second, lowerDelay: 5 * time.Second, refreshRepeat: 1},
		{global: "vrrp_min_garp = false", repeat: 5, lowerRepeat: 5, delay: 5 * time.Second, lowerDelay: 5 * time.Second, refreshRepeat: 1},
		{global: "vrrp_min_garp = true", repeat: 1, lowerRepeat: 1, refreshRepeat: 1},
		{global: "vrrp_min_garp = true\nvrrp_garp_master_repeat = 3", repeat: 3, lowerRepeat: 3, refreshRepeat: 1},
		{global: "vrrp_min_garp = true\nvrrp_garp_master_delay = 2", repeat: 1, lowerRepeat: 1, delay: 2 * time.Second, lowerDelay: 2 * time.Second, refreshRepeat: 1},
		{global: "vrrp_min_garp = true", inst: "garp_master_repeat = 4", repeat: 4, lowerRepeat: 4, refreshRepeat: 1},
		{global: "vrrp_min_garp = true\nvrrp_garp_master_refresh = 60\nvrrp_garp_master_refresh_repeat = 2", repeat: 1, lowerRepeat: 1, refresh: time.Minute, refreshRepeat: 2},
		{global: "vrrp_min_garp = true\nvrrp_garp_master_refresh = 60", err: "global.vrrp_garp_master_refresh: needs vrrp_garp_master_refresh_repeat with vrrp_min_garp"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.global, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.global, err)
			continue
		}
		in := c.Instances[0]
		got := []any{in.GARPMasterRepeat, in.GARPLowerPrioRepeat, in.GARPMasterDelay, in.GARPLowerPrioDelay, in.GARPMasterRefresh, in.GARPMasterRefreshRepeat}
		want := []any{tc.repeat, tc.lowerRepeat, tc.delay, tc.lowerDelay, tc.refresh, tc.refreshRepeat}
		for k := range got {
			if got[k] != want[k] {
				t.Errorf("%q %q: repeat, lower repeat, delay, lower delay, refresh, refresh repeat = %v, want %v", tc.global, tc.inst, got, want)
				break
			}
		}
	}
}

func TestGARPExtraIfKeys(t *testing.T) {
	for _, tc := range []struct {
		global, inst string
		delay        time.Duration
		all          bool
		err          string
	}{
		{},
		{inst: "garp_extra_if = 5", delay: 5 * time.Second},
		{inst: `garp_extra_if = "5"`, delay: 5 * time.Second},
		{inst: `garp_extra_if = "5 all"`, delay: 5 * time.Second, all: true},
		{inst: `garp_extra_if = "all 7"`, delay: 7 * time.Second, all: true},
		{global: `vrrp_garp_extra_if = "60 all"`, delay: time.Minute, all: true},
		{global: `vrrp_garp_extra_if = "60 all"`, inst: "garp_extra_if = 0"},
		{global: `vrrp_garp_extra_if = 0`, err: "global.vrrp_garp_extra_if: 0 s out of range 1..86400"},
		{inst: `garp_extra_if = 86401`, err: "86401 s out of range 0..86400"},
		{inst: `garp_extra_if = "all"`, err: "missing the delay"},
		{inst: `garp_extra_if = "5 6"`, err: `want "SECONDS [all]"`},
		{inst: `garp_extra_if = "5 some"`, err: `want "SECONDS [all]"`},
		{inst: `garp_extra_if = true`, err: "garp_extra_if"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: err %v, want %q", tc.global, tc.inst, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q: %v", tc.global, tc.inst, err)
			continue
		}
		if in := c.Instances[0]; in.GARPExtraIf != tc.delay || in.GARPExtraIfAll != tc.all {
			t.Errorf("%q %q: garp_extra_if %v all %v, want %v %v", tc.global, tc.inst, in.GARPExtraIf, in.GARPExtraIfAll, tc.delay, tc.all)
		}
	}
}

func TestVMACPrefix(t *testing.T) {
	for _, tc := range []struct{ global, inst, want, err string }{
		{inst: "use_vmac = true", want: "vrrp.1"},
		{global: `vmac_prefix = "vm"`, inst: "use_vmac = true", want: "vm.1"},
		{global: `vmac_prefix = "vm"`, inst: `use_vmac = "mine"`, want: "mine"},
		{global: `vmac_prefix = "abcdefghijklmno"`, inst: "use_vmac = true", want: "abcdefghijklm.1"},
		{global: `vmac_prefix = "a b"`, err: "bad interface name prefix"},
		{global: `vmac_prefix = ""`, err: "must not be empty"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.global, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q: %v", tc.global, tc.inst, err)
			continue
		}
		if got := c.Instances[0].VMACName; got != tc.want {
			t.Errorf("%q %q: VMAC %q, want %q", tc.global, tc.inst, got, tc.want)
		}
	}
	if got := VMACName("abcdefghijklmnop", 255); got != "abcdefghijk.255" {
		t.Errorf("VMACName = %q", got)
	}
}

func TestMcastDstIP(t *testing.T) {
	c, err := parseExtra(t, "", `mcast_dst_ip = "224.0.0.19"`)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Instances[0].McastDstIP.String(); got != "224.0.0.19" {
		t.Errorf("mcast_dst_ip %s", got)
	}
	for _, tc := range []struct{ inst, err string }{
		{`mcast_dst_ip = "10.0.0.9"`, "mcast_dst_ip: 10.0.0.9 is not a multicast address"},
		{`mcast_dst_ip = "ff02::13"`, "mcast_dst_ip: IPv6 group for an IPv4 instance"},
		{`mcast_dst_ip = "nope"`, "mcast_dst_ip"},
		{`mcast_dst_ip = "ff05::12"`, "not a link-local multicast address"},
	} {
		if _, err := parseExtra(t, "", tc.inst); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want %q", tc.inst, err, tc.err)
		}
	}
}

func TestPromoteSecondariesKey(t *testing.T) {
	c, err := parseExtra(t, "", "promote_secondaries = true")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Instances[0].PromoteSecondaries {
		t.Error("promote_secondaries not set")
	}
	if _, err := parseExtra(t, "", "use_vmac = true\npromote_secondaries = true"); err == nil || !strings.Contains(err.Error(), "promote_secondaries: not with use_vmac") {
		t.Errorf("with use_vmac: %v", err)
	}
}

func TestRxBufsKeys(t *testing.T) {
	for _, tc := range []struct {
		global, inst, policy string
		size, mult, kernel   int
		err                  string
	}{
		{mult: 3},
		{global: `vrrp_rx_bufs_policy = "MTU"`, policy: "MTU", mult: 3},
		{global: `vrrp_rx_bufs_policy = "advert"` + "\nvrrp_rx_bufs_multiplier = 5", policy: "ADVERT", mult: 5},
		{global: `vrrp_rx_bufs_policy = 65536`, policy: "SIZE", size: 65536, mult: 3},
		{inst: `kernel_rx_buf_size = 8192`, mult: 3, kernel: 8192},
		{global: `vrrp_rx_bufs_policy = "MTU ADVERT"`, err: `want "MTU", "ADVERT" or a size`},
		{global: `vrrp_rx_bufs_policy = 0`, err: "0 bytes out of range"},
		{global: `vrrp_rx_bufs_multiplier = 0`, err: "vrrp_rx_bufs_multiplier: 0 out of range"},
		{inst: `kernel_rx_buf_size = -1`, err: "kernel_rx_buf_size: -1 out of range"},
	} {
		c, err := parseExtra(t, tc.global, tc.inst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: err %v, want %q", tc.global, tc.inst, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q: %v", tc.global, tc.inst, err)
			continue
		}
		g := c.Global
		if g.VRRPRxBufsPolicy != tc.policy || g.VRRPRxBufsSize != tc.size || g.VRRPRxBufsMultiplier != tc.mult || c.Instances[0].KernelRxBufSize != tc.kernel {
			t.Errorf("%q %q: policy %q size %d mult %d kernel %d", tc.global, tc.inst, g.VRRPRxBufsPolicy, g.VRRPRxBufsSize, g.VRRPRxBufsMultiplier, c.Instances[0].KernelRxBufSize)
		}
	}
}

func TestOldUnicastChecksumKey(t *testing.T) {
	ok := "version = 3\nunicast_peer = [\"10.0.0.2\"]\nold_unicast_checksum = true"
	c, err := parseExtra(t, "", ok)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Instances[0].OldUnicastChecksum {
		t.Error("old_unicast_checksum not set")
	}
	for _, inst := range []string{
		"version = 3\nold_unicast_checksum = true",                   // multicast
		"unicast_peer = [\"10.0.0.2\"]\nold_unicast_checksum = true", // VRRPv2
	} {
		if _, err := parseExtra(t, "", inst); err == nil || !strings.Contains(err.Error(), "applies only to a VRRPv3 IPv4 instance with unicast_peer") {
			t.Errorf("%q: %v", inst, err)
		}
	}
}

func TestGARPGroupKeys(t *testing.T) {
	for _, tc := range []struct{ file, err string }{
		{"[[garp_group]]\ngarp_interval = 0.01\ninterface = \"eth0\"\n[[garp_group]]\ngna_interval = 0.01\ninterfaces = [\"eth1\", \"eth2\"]\n", ""},
		{"[[garp_group]]\ninterface = \"eth0\"\n", "garp_group[0]: needs garp_interval or gna_interval"},
		{"[[garp_group]]\ngarp_interval = 0.01\n", "garp_group[0]: needs interface or interfaces"},
		{"[[garp_group]]\ngarp_interval = 2\ninterface = \"eth0\"\n", "garp_interval: 2s out of range"},
		{"[[garp_group]]\ngarp_interval = 0.01\ninterface = \"eth0\"\n[[garp_group]]\ngarp_interval = 0.01\ninterfaces = [\"eth0\"]\n", "eth0 is in garp_group[0] already"},
		{"[[garp_group]]\ngarp_interval = 0.01\ninterfaces = [\"eth0\", \"eth0\"]\n", "eth0 listed twice"},
		{"[[garp_group]]\ngarp_interval = 0.01\ninterface = \"eth0\"\nfoo = 1\n", "garp_group[0].foo: unknown key"},
	} {
		_, err := Parse("t.toml", []byte(tc.file))
		if tc.err == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.file, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want %q", tc.file, err, tc.err)
		}
	}
}

func TestTrackProcessFullCommand(t *testing.T) {
	c, err := Parse("t.toml", []byte("[[vrrp_track_process]]\nname = \"p\"\nprocess = \"/usr/local/sbin/haproxy-wrapper\"\nfull_command = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.TrackProcesses[0]
	if !p.FullCommand || p.Process != "/usr/local/sbin/haproxy-wrapper" {
		t.Errorf("full_command %v process %q; want true and the whole path (argv[0] is not cut to 15 like comm)", p.FullCommand, p.Process)
	}
	c, err = Parse("t.toml", []byte("[[vrrp_track_process]]\nname = \"p\"\nprocess = \"haproxy-wrapper-long\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.TrackProcesses[0]; p.FullCommand || p.Process != "haproxy-wrapper" {
		t.Errorf("without full_command: %v %q, want the 15-character comm", p.FullCommand, p.Process)
	}
}
