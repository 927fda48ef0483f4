package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

func status() *control.Status {
	return &control.Status{
		ConfigLoaded: time.Unix(1700000000, 0), Reloads: 3, ReloadsFailed: 1, LastReloadFailed: true,
		Instances: []control.Instance{{
			Name: "VI_1", State: "MASTER", BasePriority: 244, EffectivePriority: 249,
			AdvertsSent: 10, AdvertsReceived: 3, Transitions: 2, LateTimers: 4,
			Drops:    map[string]uint64{"auth_pass_mismatch": 4},
			Trackers: []control.Tracker{{Name: "chk_nginx", Kind: "script", State: "FAILED"}},
		}},
		VRRPSockets: []control.VRRPSocket{{Interface: "eth0", Family: "inet", VRIDs: []int{51}, UnknownVRID: 17}},
		VirtualServers: []control.VirtualServer{{
			Protocol: "TCP", Address: "192.168.200.100:443", InKernel: true, Quorum: "up",
			Counters: control.Counters{Conns: 1 << 40},
			RealServers: []control.RealServer{{
				Address: "192.168.201.100:443", Health: "DOWN", ConfiguredWeight: 2, Weight: 0,
				Checks: map[string]uint64{"ok": 7, "connection refused": 1},
			}},
		}},
		BGP: &control.BGP{ASN: 65001, RouterID: "10.0.0.11", Announcements: 3, Withdrawals: 2,
			Neighbors: []control.BGPNeighbor{{Address: "10.0.0.1", PeerASN: 65000, State: "established", Flaps: 1}},
			Prefixes:  []control.BGPPrefix{{Prefix: "192.0.2.10/32", Announced: false, Reason: "quorum-lost"}},
		},
	}
}

func TestScrape(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", func(context.Context) (*control.Status, error) { return status(), nil },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(body)
	for _, want := range []string{
		`lvsd_vrrp_state{instance="VI_1",state="MASTER"} 1`,
		`lvsd_config_loaded_timestamp_seconds 1.7e+09`,
		`lvsd_config_reloads_total 3`,
		`lvsd_config_reload_failures_total 1`,
		`lvsd_config_last_reload_successful 0`,
		`lvsd_vrrp_state{instance="VI_1",state="BACKUP"} 0`,
		`lvsd_vrrp_priority{instance="VI_1",kind="effective"} 249`,
		`lvsd_vrrp_adverts_sent_total{instance="VI_1"} 10`,
		`lvsd_vrrp_dropped_total{instance="VI_1",reason="auth_pass_mismatch"} 4`,
		`lvsd_vrrp_transitions_total{instance="VI_1"} 2`,
		`lvsd_vrrp_late_timers_total{instance="VI_1"} 4`,
		`lvsd_vrrp_unknown_vrid_adverts_total{family="inet",interface="eth0"} 17`,
		`lvsd_vrrp_tracker_ok{instance="VI_1",kind="script",tracker="chk_nginx"} 0`,
		`lvsd_ipvs_service_connections_total{service="TCP 192.168.200.100:443"} 1.099511627776e+12`,
		`lvsd_realserver_up{real_server="192.168.201.100:443",service="TCP 192.168.200.100:443"} 0`,
		`lvsd_realserver_weight{kind="configured",real_server="192.168.201.100:443",service="TCP 192.168.200.100:443"} 2`,
		`lvsd_healthcheck_results_total{real_server="192.168.201.100:443",reason="connection refused",service="TCP 192.168.200.100:443"} 1`,
		`lvsd_bgp_session_state{neighbor="10.0.0.1",state="established"} 1`,
		`lvsd_bgp_session_state{neighbor="10.0.0.1",state="active"} 0`,
		`lvsd_bgp_session_flaps_total{neighbor="10.0.0.1"} 1`,
		`lvsd_bgp_prefix_announced{prefix="192.0.2.10/32",reason="quorum-lost"} 0`,
		`lvsd_bgp_updates_total{kind="announce"} 3`,
		`lvsd_bgp_updates_total{kind="withdraw"} 2`,
		`lvsd_scrape_error 0`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestScrapeErrorIsAMetric(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", func(context.Context) (*control.Status, error) { return nil, errors.New("busy") },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "lvsd_scrape_error 1") {
		t.Fatalf("status %d body:\n%s", resp.StatusCode, body)
	}
}
