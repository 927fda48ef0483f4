package fsm

import (
	"testing"
	"time"
)

// TestSkewMatchesKeepalived: Skew_Time and Master_Down_Interval agree with
// keepalived 2.2.7's VRRP_TIMER_SKEW and VRRP_MS_DOWN_TIMER (vrrp.h, in
// microseconds, integer arithmetic: VRRPv3 ((256-prio) * (interval in
// centiseconds) * 625) / 16, VRRPv2 (256-prio) * 1000000 / 256) to within
// their truncation, for every priority and a range of VRRPv3 intervals
// (the chaos suite's pair: priority 100, 0.2 s, 721.875 ms for both).
func TestSkewMatchesKeepalived(t *testing.T) {
	for p := 1; p <= 254; p++ {
		ka := time.Duration(uint64(256-p)*1000000/256) * time.Microsecond
		if got := SkewTime(2, uint8(p), time.Second); got < ka || got-ka >= time.Microsecond {
			t.Errorf("v2 priority %d: skew %v, keepalived %v", p, got, ka)
		}
		for _, cs := range []uint64{1, 2, 5, 10, 20, 33, 100, 255, 1000, 4095} {
			mai := time.Duration(cs) * 10 * time.Millisecond
			ka := time.Duration(uint64(256-p)*cs*625/16) * time.Microsecond
			if got := SkewTime(3, uint8(p), mai); got < ka || got-ka >= time.Microsecond {
				t.Errorf("v3 priority %d, interval %v: skew %v, keepalived %v", p, mai, got, ka)
			}
			kaDown := 3*mai + ka
			if got := MasterDownInterval(3, uint8(p), mai); got < kaDown || got-kaDown >= time.Microsecond {
				t.Errorf("v3 priority %d, interval %v: Master_Down_Interval %v, keepalived %v", p, mai, got, kaDown)
			}
		}
	}
	if got := MasterDownInterval(3, 100, 200*time.Millisecond); got != 721875*time.Microsecond {
		t.Errorf("the chaos pair's Master_Down_Interval: %v", got)
	}
}
