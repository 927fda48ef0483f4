package ipvs

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
)

const testConfig = `
[global]
lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1", sync_id = 51 }
lvs_timeouts = { tcp = 900, tcpfin = 120, udp = 300 }

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["192.168.200.100/24"]

[[virtual_server_group]]
name = "web"
vip = ["192.168.200.10-12 80", "fwmark 7"]

[[virtual_server]]
ip = "192.168.200.100"
port = 443
lb_algo = "sh"
lb_kind = "NAT"
persistence_timeout = 50
persistence_granularity = "255.255.255.0"
quorum = 2
hysteresis = 1
quorum_up = "/bin/up"
ha_suspend = true
sorry_server = "192.168.200.250 443"
sorry_server_lvs_method = "DR"

[[virtual_server.real_server]]
ip = "192.168.201.100"
port = 443
weight = 3
inhibit_on_failure = true

[[virtual_server.real_server]]
ip = "192.168.201.101"
port = 443
lvs_method = "TUN"
tunnel_type = "gue"
tunnel_port = 6080
uthreshold = 100

[[virtual_server]]
group = "web"
lb_algo = "wrr"
lb_kind = "DR"

[[virtual_server.real_server]]
ip = "192.168.201.110"
port = 80
weight = 2
`

func TestFromConfig(t *testing.T) {
	c, err := config.Parse("test.toml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	vss, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(vss) != 2 {
		t.Fatalf("%d virtual servers", len(vss))
	}
	a := netip.MustParseAddr
	want0 := VirtualServer{
		Name: "192.168.200.100:443",
		Services: []Service{{ServiceKey: ServiceKey{Protocol: TCP, Addr: a("192.168.200.100"), Port: 443},
			Scheduler: "sh", Timeout: 50, NetmaskBits: 24}},
		Forward: NAT,
		Reals: []RealServer{
			{Destination: Destination{DestKey: DestKey{Addr: a("192.168.201.100"), Port: 443}, Forward: NAT, Weight: 3}, InhibitOnFailure: true},
			{Destination: Destination{DestKey: DestKey{Addr: a("192.168.201.101"), Port: 443}, Forward: TUN, Weight: 1,
				UThreshold: 100, TunnelType: GUE, TunnelPort: 6080}},
		},
		Sorry:      &Destination{DestKey: DestKey{Addr: a("192.168.200.250"), Port: 443}, Forward: DR},
		Quorum:     2,
		Hysteresis: 1,
		QuorumUp:   "/bin/up",
		HASuspend:  true, VRRPInstance: "VI_1",
	}
	if diff := cmp.Diff(want0, vss[0], addrCmp); diff != "" {
		t.Errorf("virtual server 0 (-want +got):\n%s", diff)
	}
	var keys []string
	for _, s := range vss[1].Services {
		keys = append(keys, s.ServiceKey.String()+" "+s.Scheduler)
	}
	wantKeys := []string{"TCP 192.168.200.10:80 wrr", "TCP 192.168.200.11:80 wrr", "TCP 192.168.200.12:80 wrr", "FWM 7 wrr"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("group services (-want +got):\n%s", diff)
	}
	if vss[1].Name != "group web" {
		t.Errorf("name %q", vss[1].Name)
	}
	sd := SyncDaemonsFor(c.Global, true)
	if len(sd) != 1 || sd[0].State != SyncMaster || sd[0].Interface != "eth0" || sd[0].SyncID != 51 {
		t.Errorf("sync daemons %+v", sd)
	}
	// N active directors: no instance, master and backup at once
	noInst := *c.Global.LVSSyncDaemon
	noInst.VRRPInstance = ""
	g := c.Global
	g.LVSSyncDaemon = &noInst
	for _, master := range []bool{false, true} {
		sd := SyncDaemonsFor(g, master)
		if len(sd) != 2 || sd[0].State != SyncMaster || sd[1].State != SyncBackup || sd[1].Interface != "eth0" || sd[1].SyncID != 51 {
			t.Errorf("without vrrp_instance (master %v): sync daemons %+v", master, sd)
		}
	}
	if got := TimeoutsFor(c.Global); got != (Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("timeouts %+v", got)
	}
}
