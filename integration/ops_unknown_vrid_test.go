package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsUnknownVRID: adverts of another VRRP group on the segment (n2's
// VRID 61, which n1 does not run) are counted on n1's shared eth0 socket
// and shown by `lvsd status` (text and JSON) and in the metrics.
func TestOpsUnknownVRID(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "curl")
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	sock := filepath.Join(dir, "n1.sock")
	cfgPath := filepath.Join(dir, "n1.toml")
	conf := opsConf(`metrics_listen = "127.0.0.1:9650"`, instance{Priority: 200, Version: 3, Advert: fast})
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	startLvsd(t, n2, lvsdConf(instance{Name: "OTHER", VRID: 61, Priority: 100, Version: 3, Advert: fast,
		VIPs: []string{"10.99.0.161/24 dev eth0"}}))

	type socket struct {
		Interface   string   `json:"interface"`
		Family      string   `json:"family"`
		VRIDs       []int    `json:"virtual_router_ids"`
		Instances   []string `json:"instances"`
		UnknownVRID uint64   `json:"unknown_vrid_adverts"`
	}
	var sockets []socket
	if !netlab.WaitFor(15*time.Second, func() bool {
		out, _, code := lvsdCmd(t, "status", "--json", "--socket", sock)
		if code != 0 {
			return false
		}
		var s struct {
			Sockets []socket `json:"vrrp_sockets"`
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("status JSON: %v\n%s", err, out)
		}
		sockets = s.Sockets
		return len(sockets) == 1 && sockets[0].UnknownVRID >= 3
	}) {
		t.Fatalf("n1's sockets never counted n2's adverts: %+v", sockets)
	}
	if k := sockets[0]; k.Interface != "eth0" || k.Family != "inet" || len(k.VRIDs) != 1 || k.VRIDs[0] != 51 ||
		len(k.Instances) != 1 || k.Instances[0] != "VI_1" {
		t.Errorf("socket in the status: %+v", k)
	}
	out, errs, code := lvsdCmd(t, "status", "--socket", sock)
	if code != 0 || !regexp.MustCompile(`eth0 inet: \d+ adverts for a VRID no instance here has`).MatchString(out) {
		t.Errorf("lvsd status (exit %d, %s) lacks the unknown VRID line:\n%s", code, errs, out)
	}
	var metrics string
	re := regexp.MustCompile(`(?m)^lvsd_vrrp_unknown_vrid_adverts_total\{family="inet",interface="eth0"\} (\S+)$`)
	if !netlab.WaitFor(5*time.Second, func() bool {
		o, err := n1.Exec(t.Context(), "curl", "-sf", "http://127.0.0.1:9650/metrics")
		metrics = string(o)
		return err == nil
	}) {
		t.Fatalf("metrics scrape failed: %s", metrics)
	}
	m := re.FindStringSubmatch(metrics)
	if m == nil {
		t.Fatalf("metrics lack lvsd_vrrp_unknown_vrid_adverts_total:\n%s", grepLines(metrics, "lvsd_vrrp"))
	}
	if n, err := strconv.ParseFloat(m[1], 64); err != nil || n < float64(sockets[0].UnknownVRID) {
		t.Errorf("lvsd_vrrp_unknown_vrid_adverts_total = %s, want at least %d", m[1], sockets[0].UnknownVRID)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
