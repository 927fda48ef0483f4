package daemon

import (
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
