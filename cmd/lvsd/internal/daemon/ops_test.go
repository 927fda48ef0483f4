package daemon

import (
	"github.com/lvsd/lvsd/vrrp"

	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lvsd/lvsd/config"
)

func TestStateFileRoundTripAndResumeRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "state.json")
	if s, err := readStateFile(path); err != nil || len(s.Instances) != 0 {
		t.Fatalf("missing file: %+v %v", s, err)
	}
	want := stateFile{PID: 42, NetNS: netnsID(), Written: time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC),
		Instances: map[string]instanceState{
			"VI_1": {State: "MASTER", VRID: 51, Interface: "eth0"},
			"VI_2": {State: "BACKUP", VRID: 52, Interface: "eth0"},
		}}
	if err := writeStateFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readStateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(stateFile{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	for _, c := range []struct {
		name, inst, ifname string
		vrid               uint8
		netns              string
		want               bool
	}{
		{"master, same router", "VI_1", "eth0", 51, want.NetNS, true},
		{"backup", "VI_2", "eth0", 52, want.NetNS, false},
		{"unknown instance", "VI_3", "eth0", 51, want.NetNS, false},
		{"other VRID", "VI_1", "eth0", 52, want.NetNS, false},
		{"other interface", "VI_1", "eth1", 51, want.NetNS, false},
		{"other namespace", "VI_1", "eth0", 51, "cookie:1", false},
	} {
		s := got
		s.NetNS = c.netns
		if ok := s.wasMaster(c.inst, c.vrid, c.ifname); ok != c.want {
			t.Errorf("%s: wasMaster = %v, want %v", c.name, ok, c.want)
		}
	}
	// The file's modification time is the heartbeat.
	beat := time.Now().Add(-time.Second).Truncate(time.Second)
	if err := touchStateFile(path, beat); err != nil {
		t.Fatal(err)
	}
	got, err = readStateFile(path)
	if err != nil || !got.alive.Equal(beat) {
		t.Fatalf("alive %v (%v), want %v", got.alive, err, beat)
	}
	for _, c := range []struct {
		name     string
		s        stateFile
		now      time.Time
		interval time.Duration
		want     bool
	}{
		{"1 s ago, 1 s adverts", got, beat.Add(time.Second), time.Second, true},
		{"2.4 s ago, 1 s adverts", got, beat.Add(2400 * time.Millisecond), time.Second, true},
		{"2.5 s ago, 1 s adverts: no time left to send before a backup's Master_Down_Interval", got, beat.Add(2500 * time.Millisecond), time.Second, false},
		{"3 s ago, 1 s adverts: a backup may be master", got, beat.Add(3 * time.Second), time.Second, false},
		{"1 s ago, 0.1 s adverts", got, beat.Add(time.Second), 100 * time.Millisecond, false},
		{"clock went back", got, beat.Add(-time.Second), time.Second, false},
		{"no heartbeat", stateFile{}, beat, time.Second, false},
		{"handover", stateFile{handover: true}, beat.Add(time.Hour), time.Second, true},
	} {
		if ok := c.s.fresh(c.now, c.interval); ok != c.want {
			t.Errorf("%s: fresh = %v, want %v", c.name, ok, c.want)
		}
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readStateFile(path); err == nil {
		t.Error("a corrupt state file was accepted")
	}
}

// TestHeartbeat: the heartbeat is the masters' oldest last advert, never
// the time the writer runs; nothing is recorded without a master that sent.
func TestHeartbeat(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := func(at time.Time) vrrp.Stats { return vrrp.Stats{State: vrrp.StateMaster, LastAdvertSent: at} }
	b := func(at time.Time) vrrp.Stats { return vrrp.Stats{State: vrrp.StateBackup, LastAdvertSent: at} }
	for _, c := range []struct {
		name  string
		stats []vrrp.Stats
		want  time.Time
		ok    bool
	}{
		{"none", nil, time.Time{}, false},
		{"backups only", []vrrp.Stats{b(t0)}, time.Time{}, false},
		{"one master", []vrrp.Stats{m(t0), b(t0.Add(time.Hour))}, t0, true},
		{"oldest master", []vrrp.Stats{m(t0.Add(time.Second)), m(t0)}, t0, true},
		{"a master that never sent", []vrrp.Stats{m(t0), m(time.Time{})}, time.Time{}, false},
	} {
		got, ok := heartbeat(c.stats)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: heartbeat = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestVRRPEqual(t *testing.T) {
	base := `
[global]
metrics_listen = "127.0.0.1:9650"

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["10.99.0.100/24"]
`
	parse := func(s string) *config.Config {
		t.Helper()
		c, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := parse(base)
	for _, c := range []struct {
		name string
		conf string
		want bool
	}{
		{"identical", base, true},
		{"comments and order of global keys", "# comment\n" + base, true},
		{"metrics address only", replace(base, "9650", "9651"), true},
		{"IPVS only", base + "\n[[virtual_server]]\nip = \"10.99.0.100\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.99.0.5\"\nport = 80\n", true},
		{"priority", replace(base, "priority = 100", "priority = 101"), false},
		{"VIP", replace(base, "10.99.0.100/24", "10.99.0.101/24"), false},
		{"garp default", replace(base, "[global]", "[global]\nvrrp_garp_master_repeat = 2"), false},
	} {
		if got := vrrpEqual(a, parse(c.conf)); got != c.want {
			t.Errorf("%s: vrrpEqual = %v, want %v", c.name, got, c.want)
		}
	}
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func TestPlanVRRP(t *testing.T) {
	const two = `
[[vrrp_script]]
name = "chk"
script = "/bin/true"

[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["10.99.0.100/24"]
track_script = ["chk"]

[[vrrp_instance]]
name = "VI_2"
interface = "lo"
virtual_router_id = 52
priority = 100
virtual_ipaddress = ["10.99.0.102/24"]
`
	parse := func(s string) *config.Config {
		t.Helper()
		c, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := parse(two)
	vi1 := two[:strings.Index(two, "[[vrrp_instance]]\nname = \"VI_2\"")]
	for _, c := range []struct {
		name string
		conf string
		want vrrpPlan
		ok   bool
	}{
		{"nothing", two, vrrpPlan{}, true},
		{"VI_2 priority", strings.Replace(two, "52\npriority = 100", "52\npriority = 150", 1), vrrpPlan{changed: []string{"VI_2"}}, true},
		{"VI_1 VIP", strings.Replace(two, "10.99.0.100/24", "10.99.0.101/24", 1), vrrpPlan{changed: []string{"VI_1"}}, true},
		{"VI_2 removed", vi1, vrrpPlan{removed: []string{"VI_2"}}, true},
		{"new instance", two + "\n[[vrrp_instance]]\nname = \"VI_3\"\ninterface = \"lo\"\nvirtual_router_id = 53\nvirtual_ipaddress = [\"10.99.0.103/24\"]\n", vrrpPlan{}, false},
		{"VI_1 trackers", strings.Replace(two, "track_script = [\"chk\"]\n", "", 1), vrrpPlan{}, false},
		{"VI_2 interface", strings.Replace(two, "interface = \"lo\"\nvirtual_router_id = 52", "interface = \"lo2\"\nvirtual_router_id = 52", 1), vrrpPlan{}, false},
		{"script", strings.Replace(two, "/bin/true", "/bin/false", 1), vrrpPlan{}, false},
		{"VI_2 notify", strings.Replace(two, "virtual_ipaddress = [\"10.99.0.102/24\"]", "virtual_ipaddress = [\"10.99.0.102/24\"]\nnotify_master = \"/bin/true\"", 1), vrrpPlan{}, false},
	} {
		got, ok := planVRRP(old, parse(c.conf))
		if ok != c.ok || (ok && !cmp.Equal(got, c.want, cmp.AllowUnexported(vrrpPlan{}))) {
			t.Errorf("%s: planVRRP = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestTouchInterval(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, time.Second},
		{[]time.Duration{3 * time.Second}, time.Second},
		{[]time.Duration{time.Second, 500 * ms}, 500 * ms},
		{[]time.Duration{10 * ms, time.Second}, 100 * ms},
	} {
		if got := touchInterval(c.in); got != c.want {
			t.Errorf("touchInterval(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Without VRRP instances the state writer writes the file once and then
// sleeps: no heartbeat, no wakeup, no warning (it used to touch a file it
// had never written every second and warn each time).
func TestStateWriterNoInstancesNoHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.json")
		var logs bytes.Buffer
		o := newOps("lvsd.toml", opsFlags{stateFile: path}, slog.New(slog.NewTextHandler(&logs, nil)))
		o.d = &daemon{}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); o.stateWriter(ctx, make(chan struct{})) }()
		synctest.Wait()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatalf("state file not written: %v", err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if st2, err := os.Stat(path); err != nil || !st2.ModTime().Equal(st.ModTime()) {
			t.Errorf("state file touched without instances: %v, %v -> %v", err, st.ModTime(), st2.ModTime())
		}
		cancel()
		<-done
		if logs.Len() > 0 {
			t.Errorf("logged:\n%s", logs.String())
		}
	})
}
