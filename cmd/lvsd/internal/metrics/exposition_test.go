package metrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// clientGolang serves what lvsd served with client_golang: every sample
// collect sets, as a const metric of an unchecked collector, next to
// client_golang's Go and process collectors, through promhttp with
// ContinueOnError. The binary no longer links client_golang; this test is
// the reference for the hand-written exposition.
type clientGolang struct{ c *Collector }

func (clientGolang) Describe(chan<- *prometheus.Desc) {}

func (r clientGolang) Collect(ch chan<- prometheus.Metric) {
	descs := map[*family]*prometheus.Desc{}
	b := newBatch()
	b.tee = func(f *family, v float64, l []string) {
		d := descs[f]
		if d == nil {
			d = prometheus.NewDesc(f.name, f.help, f.labels, nil)
			descs[f] = d
		}
		typ := prometheus.GaugeValue
		if f.typ == "counter" {
			typ = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(d, typ, v, l...)
	}
	r.c.collect(b)
}

func clientGolangHandler(snap Snapshot) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(clientGolang{NewCollector(snap)}, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func scrape(t *testing.T, h http.Handler, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header = header
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// runtimeValue is the value of a go_ or process_ sample: they change
// between two scrapes, so only the rest of their lines is compared.
var runtimeValue = regexp.MustCompile(`(?m)^((?:go|process)_\S+) .*$`)

func TestExpositionMatchesClientGolang(t *testing.T) {
	odd := &control.Status{
		Instances: []control.Instance{
			{Name: `q"uo\te` + "\nnl", State: "FAULT", Drops: map[string]uint64{"b": 2, "a": 1, "c": 0}},
			{Name: "VI_0", State: "BACKUP", Trackers: []control.Tracker{{Name: "z", Kind: "file"}, {Name: "a", Kind: "script", State: "FAULT"}}},
			{Name: "VI_0", State: "MASTER"}, // a duplicate: client_golang kept the first
		},
		Mail:          &control.Mail{Sent: 1, Queued: 2, Failed: map[string]uint64{"timeout": 3}},
		SNMP:          &control.SNMP{Connected: true, TrapsDropped: map[string]uint64{"x": 1}},
		CARPInstances: []control.CARPInstance{{Name: "c", State: "INIT", Drops: map[string]uint64{"ttl": 1}}},
		BFDSessions:   []control.BFDSession{{Name: "s", State: "Up", DetectMS: 150}},
		BFDDrops:      map[string]uint64{"bad_len": 4},
		VirtualServers: []control.VirtualServer{{Protocol: "UDP", Address: "[2001:db8::1]:53", Quorum: "down",
			Counters:    control.Counters{Conns: 1, InPkts: 1<<53 + 1, OutBytes: 123456789},
			RealServers: []control.RealServer{{Address: "b", Weight: -1}, {Address: "a", Health: "UP", ActiveConns: 10}}}},
	}
	for name, snap := range map[string]Snapshot{
		"full":  func(context.Context) (*control.Status, error) { return status(), nil },
		"odd":   func(context.Context) (*control.Status, error) { return odd, nil },
		"empty": func(context.Context) (*control.Status, error) { return &control.Status{}, nil },
		"error": func(context.Context) (*control.Status, error) { return nil, io.EOF },
	} {
		t.Run(name, func(t *testing.T) {
			old := scrape(t, clientGolangHandler(snap), http.Header{})
			cur := scrape(t, Handler(snap), http.Header{})
			if diff := cmp.Diff(old.Header(), cur.Header()); diff != "" {
				t.Errorf("headers (-client_golang +lvsd):\n%s", diff)
			}
			want := runtimeValue.ReplaceAllString(old.Body.String(), "$1 V")
			got := runtimeValue.ReplaceAllString(cur.Body.String(), "$1 V")
			if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("body (-client_golang +lvsd):\n%s", diff)
			}
		})
	}
}

// TestExpositionConstantRuntimeValues: the go_ and process_ values that do
// not move between two scrapes are client_golang's.
func TestExpositionConstantRuntimeValues(t *testing.T) {
	snap := func(context.Context) (*control.Status, error) { return &control.Status{}, nil }
	values := func(body string) map[string]string {
		m := map[string]string{}
		for _, l := range strings.Split(body, "\n") {
			if k, v, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(l, "#") {
				m[k] = v
			}
		}
		return m
	}
	old := values(scrape(t, clientGolangHandler(snap), http.Header{}).Body.String())
	cur := values(scrape(t, Handler(snap), http.Header{}).Body.String())
	for _, k := range []string{"go_gc_gogc_percent", "go_gc_gomemlimit_bytes", `go_info{version="` + runtime.Version() + `"}`,
		"go_sched_gomaxprocs_threads", "process_max_fds", "process_virtual_memory_max_bytes", "process_start_time_seconds"} {
		if old[k] == "" || old[k] != cur[k] {
			t.Errorf("%s: client_golang %q, lvsd %q", k, old[k], cur[k])
		}
	}
}

func TestExpositionGzip(t *testing.T) {
	snap := func(context.Context) (*control.Status, error) { return status(), nil }
	for _, ae := range []string{"gzip", "deflate, gzip;q=0.5", "gzip;q=0", "identity", "GZIP", "*", "gzip;q=0.5, identity", "identity;q=0.5, gzip", "gzip, deflate, br", "x-gzip", " gzip ; q=1.0",
		"gzip;q=0, *", "*;q=0", "identity;q=0", "gzip;q=0.9, identity;q=0.9", ",gzip", "gzip;level=1", "gzip;q=1.5", "gzip;q=0.001", "br;q=1, gzip;q=0.8"} {
		old := scrape(t, clientGolangHandler(snap), http.Header{"Accept-Encoding": {ae}})
		cur := scrape(t, Handler(snap), http.Header{"Accept-Encoding": {ae}})
		if o, c := old.Header().Get("Content-Encoding"), cur.Header().Get("Content-Encoding"); o != c {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, client_golang %q", ae, c, o)
		}
		if cur.Header().Get("Content-Encoding") != "gzip" {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(cur.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || !bytes.Contains(body, []byte(`lvsd_vrrp_state{instance="VI_1",state="MASTER"} 1`)) {
			t.Errorf("Accept-Encoding %q: %v\n%s", ae, err, body)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	for _, v := range []float64{0, 1, -1, 0.5, 1e-9, 1 << 62, 1.7e9, 123456789.25} {
		want := prometheusFloat(t, v)
		if got := string(appendFloat(nil, v)); got != want {
			t.Errorf("%v: %s, want %s", v, got, want)
		}
	}
}

// prometheusFloat is how client_golang writes v.
func prometheusFloat(t *testing.T, v float64) string {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x", Help: "x"})
	g.Set(v)
	reg.MustRegister(g)
	w := scrape(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), http.Header{})
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	return strings.TrimPrefix(lines[slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "x ") })], "x ")
}
