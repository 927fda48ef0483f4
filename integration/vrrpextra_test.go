package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestVRRPMcastDstIPKeepalived: lvsd and the real keepalived, both with
// mcast_dst_ip 224.0.0.19, hear each other: the higher priority stays the
// only master whichever side it is (a side that did not send to or join
// the group would become a second master), and the lower takes over when
// it is killed.
func TestVRRPMcastDstIPKeepalived(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	for _, lvsdMaster := range []bool{true, false} {
		t.Run(map[bool]string{true: "lvsd-master", false: "keepalived-master"}[lvsdMaster], func(t *testing.T) {
			t.Parallel()
			lab := netlab.New(t, "n1", "n2")
			n1, n2 := lab.Node("n1"), lab.Node("n2")
			lv, ka := instance{Version: 3, Advert: "0.5"}, instance{Version: 3, Advert: "0.5"}
			if lvsdMaster {
				lv.Priority, lv.Master, ka.Priority = 200, true, 100
			} else {
				ka.Priority, ka.Master, lv.Priority = 200, true, 100
			}
			lconf := lvsdConf(lv) + "mcast_dst_ip = \"224.0.0.19\"\n"
			kconf := strings.Replace(keepalivedConf("n2", ka), "    interface eth0\n", "    interface eth0\n    mcast_dst_ip 224.0.0.19\n", 1)
			dl := startLvsd(t, n1, lconf)
			dk := startKeepalived(t, n2, kconf)
			master, backup, dm := n1, n2, dl
			if !lvsdMaster {
				master, backup, dm = n2, n1, dk
			}
			waitOwner(t, vip4, master, 20*time.Second, 4*time.Second, n1, n2)
			dm.kill9(t)
			waitOwner(t, vip4, backup, 10*time.Second, 0, backup)
		})
	}
}

// TestVRRPDownTimerAdvertsKeepalived: an lvsd backup with
// down_timer_adverts 1 takes over from a killed keepalived master after one
// advert interval plus Skew_Time (0.5 + 0.305 s), against 1.5 + 0.305 s
// with the RFCs' 3.
func TestVRRPDownTimerAdvertsKeepalived(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	for _, tc := range []struct {
		name     string
		extra    string
		min, max time.Duration
	}{
		{"default", "", 1500 * time.Millisecond, 3 * time.Second},
		{"one", "down_timer_adverts = 1\n", 0, 1300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lab := netlab.New(t, "n1", "n2")
			n1, n2 := lab.Node("n1"), lab.Node("n2")
			startLvsd(t, n1, lvsdConf(instance{Version: 3, Advert: "0.5", Priority: 100})+tc.extra)
			dk := startKeepalived(t, n2, keepalivedConf("n2", instance{Version: 3, Advert: "0.5", Priority: 200, Master: true}))
			waitOwner(t, vip4, n2, 20*time.Second, 3*time.Second, n1, n2)
			killed := time.Now()
			dk.kill9(t)
			waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
			took := time.Since(killed)
			t.Logf("lvsd took over %v after keepalived was killed", took)
			if took < tc.min || took > tc.max {
				t.Errorf("takeover after %v, want %v..%v", took, tc.min, tc.max)
			}
		})
	}
}
