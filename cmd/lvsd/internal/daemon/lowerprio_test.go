package daemon

import (
	"testing"

	"github.com/lvsd/lvsd/config"
)

// TestLowerPrioNoAdvertResolve: the instance's lower_prio_no_advert wins,
// else global.vrrp_lower_prio_no_advert (keepalived 2.2.7 without vrrp_strict).
func TestLowerPrioNoAdvertResolve(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		global bool
		inst   *bool
		want   bool
	}{{false, nil, false}, {true, nil, true}, {true, &no, false}, {false, &yes, true}} {
		got := lowerPrioNoAdvert(&config.Global{VRRPLowerPrioNoAdvert: c.global}, &config.VRRPInstance{LowerPrioNoAdvert: c.inst})
		if got != c.want {
			t.Errorf("global %v instance %v: got %v, want %v", c.global, c.inst, got, c.want)
		}
	}
}
