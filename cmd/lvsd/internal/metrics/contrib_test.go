package metrics

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// exported is every metric name lvsd's /metrics serves, taken from the same
// collectors Handler registers, fed a status that has one of everything.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	b := NewCollector(func(context.Context) (*control.Status, error) { return status(), nil }).gather()
	names := map[string]bool{"up": true} // Prometheus's own per-target series
	for _, f := range b.fams {
		names[f.name] = true
	}
	return names
}

// metricRef finds metric names in PromQL and in the text around it.
var metricRef = regexp.MustCompile(`\b(?:lvsd|go|process)_[a-z0-9_]+\b|\bup\{`)

func references(t *testing.T, text string) []string {
	var refs []string
	for _, m := range metricRef.FindAllString(text, -1) {
		refs = append(refs, strings.TrimSuffix(m, "{"))
	}
	if len(refs) == 0 {
		t.Fatal("no metric referenced")
	}
	return refs
}

// TestContribMetricsExist: every metric the alerting rules
// (contrib/prometheus) and the Grafana dashboard (contrib/grafana) name is
// one lvsd exports, and every lvsd_ metric is used by one of them.
func TestContribMetricsExist(t *testing.T) {
	names := exported(t)
	used := map[string]bool{}
	for _, file := range []string{"../../../../contrib/prometheus/lvsd-alerts.yml", "../../../../contrib/prometheus/lvsd-alerts_test.yml", "../../../../contrib/grafana/lvsd-dashboard.json"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range references(t, string(src)) {
			used[r] = true
			if !names[r] {
				t.Errorf("%s: metric %s is not one lvsd exports", file, r)
			}
		}
	}
	var unused []string
	for n := range names {
		if strings.HasPrefix(n, "lvsd_") && !used[n] {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("lvsd metrics neither alerted on nor graphed: %v", unused)
	}
}

// TestContribAlerts: the alerts the operators asked for exist.
func TestContribAlerts(t *testing.T) {
	src, err := os.ReadFile("../../../../contrib/prometheus/lvsd-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"LvsdNoMaster", "LvsdTwoMasters", "LvsdRealServerDown", "LvsdAllRealServersDown", "LvsdQuorumLost", "LvsdReloadFailed", "LvsdDown"} {
		if !strings.Contains(string(src), "- alert: "+a+"\n") {
			t.Errorf("alert %s missing", a)
		}
	}
}

// TestContribDashboard: the dashboard is JSON Grafana can import, with a
// query in every panel that is not a row.
func TestContribDashboard(t *testing.T) {
	src, err := os.ReadFile("../../../../contrib/grafana/lvsd-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string
		UID    string
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatal(err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) < 10 {
		t.Fatalf("dashboard %q (uid %q) has %d panels", d.Title, d.UID, len(d.Panels))
	}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
}
