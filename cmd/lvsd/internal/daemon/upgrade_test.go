package daemon

import (
	"encoding/json"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
)

func upgradeConf(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("t.toml", []byte(`
[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
priority = 200
virtual_ipaddress = ["10.99.0.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "lo"
virtual_router_id = 52
virtual_ipaddress = ["10.99.0.101/24"]
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestUpgradeSeed: the state handed over survives its JSON trip and makes
// the successor take an unchanged master over quietly (inherit), resume a
// changed one (prev, handover), and start the IPVS part and the checkers
// from the predecessor's health.
func TestUpgradeSeed(t *testing.T) {
	old := upgradeConf(t)
	fp := func(c *config.Config, k int) json.RawMessage { return instanceFingerprint(&c.Global, &c.Instances[k]) }
	w := uint32(3)
	key := ipvs.RealKey{VirtualServer: "vs1", Dest: ipvs.DestKey{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80}}
	st := &upgradeState{
		VRRP: map[string]upgradeInstance{
			"VI_1": {Config: fp(old, 0), Stats: vrrp.Stats{State: vrrp.StateMaster, AdvertsSent: 41, Master: netip.MustParseAddr("10.99.0.1"), LastTransition: time.Unix(100, 0).UTC()}},
			"VI_2": {Config: fp(old, 1), Stats: vrrp.Stats{State: vrrp.StateMaster, AdvertsSent: 7}},
		},
		Checks: map[string]healthcheck.CheckState{"tcp|x": {Up: false, Failures: 3, Weight: -1, Since: time.Unix(50, 0).UTC()}},
		Health: []upgradeHealth{{Key: key, Health: ipvs.Health{Up: false, Weight: &w}}},
		Master: map[string]bool{"VI_1": true},
		Quorum: ipvs.QuorumState{"vs1": true},
	}
	b, err := json.Marshal(upgradeMsg{Stage: stageState, State: st})
	if err != nil {
		t.Fatal(err)
	}
	var m upgradeMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, m.State, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Fatalf("state after JSON (-sent +received)\n%s", diff)
	}
	// The successor's file changed VI_2's priority (100 -> 150): VI_2 is
	// resumed, VI_1 taken over quietly.
	cfg := upgradeConf(t)
	cfg.Instances[1].Priority = 150
	if string(fp(cfg, 0)) != string(fp(old, 0)) || string(fp(cfg, 1)) == string(fp(old, 1)) {
		t.Fatal("fingerprints: want VI_1 equal, VI_2 different")
	}
	d := newDaemon(cfg, slog.New(slog.DiscardHandler))
	d.seed(m.State)
	if got := d.inherit["VI_1"]; got == nil || got.State != vrrp.StateMaster || got.AdvertsSent != 41 {
		t.Errorf("VI_1 inherit = %+v, want the predecessor's MASTER stats", got)
	}
	if _, ok := d.inherit["VI_2"]; ok {
		t.Error("VI_2 changed but is taken over quietly")
	}
	if !d.prev.handover || !d.prev.wasMaster("VI_2", 52, "lo") || d.prev.wasMaster("VI_1", 51, "lo") {
		t.Errorf("resume record %+v: want VI_2 only, as a hand-over", d.prev)
	}
	if h := d.ipvs.health[key]; h.Up || h.Weight == nil || *h.Weight != 3 {
		t.Errorf("IPVS health of %v = %+v, want down with weight 3", key, h)
	}
	if !d.ipvs.master["VI_1"] || !d.ipvs.quorum["vs1"] {
		t.Errorf("IPVS masters %v quorum %v", d.ipvs.master, d.ipvs.quorum)
	}
	if s := d.health.initial["tcp|x"]; s.Up || s.Failures != 3 {
		t.Errorf("checker initial state %+v", s)
	}
}

// TestUpgradeWaitsFitTheRequest: the old process's waits (the new one's
// preparation, its start from the state, the reaping of one that failed,
// the alignment with the adverts, whatever the advert interval, and a
// margin for sending the state) end before the control request does, so
// `lvsd upgrade` always gets the reason of a failure (two 40 s waits once
// exceeded the 60 s request; advert_int 10 once pushed the alignment to
// 10 s).
func TestUpgradeWaitsFitTheRequest(t *testing.T) {
	margin := alignWait(255*time.Second) + time.Second
	if got := alignWait(time.Second); got != 1100*time.Millisecond {
		t.Errorf("alignment with 1 s adverts waits %v, want 1.1s", got)
	}
	if readyTimeout >= upgradePrepareTimeout {
		t.Errorf("preparation wait %v not above the trackers' %v", upgradePrepareTimeout, readyTimeout)
	}
	if total := upgradePrepareTimeout + upgradeStartTimeout + upgradeReapGrace + margin; total >= control.RequestTimeout {
		t.Errorf("upgrade waits %v (%v + %v + %v + %v) do not fit in a control request (%v)", total,
			upgradePrepareTimeout, upgradeStartTimeout, upgradeReapGrace, margin, control.RequestTimeout)
	}
}
