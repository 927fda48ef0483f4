package daemon

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
)

// planBase has every kind of thing planReload sorts: a tracker, a sync
// group, a grouped and two lone instances, a virtual server with checked
// real servers.
const planBase = `[global]
router_id = "lb1"

[[vrrp_script]]
name = "chk"
script = "/bin/true"

[[vrrp_sync_group]]
name = "VG_1"
group = ["VI_1"]

[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["10.99.0.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "lo"
virtual_router_id = 52
priority = 100
virtual_ipaddress = ["10.99.0.102/24"]
track_script = ["chk"]

[[vrrp_instance]]
name = "VI_3"
interface = "lo"
virtual_router_id = 53
priority = 100
virtual_ipaddress = ["10.99.0.103/24"]

[[virtual_server]]
ip = "10.99.0.100"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
weight = 1
[[virtual_server.real_server.tcp_check]]
connect_timeout = 3
[[virtual_server.real_server]]
ip = "10.0.0.3"
weight = 1
[[virtual_server.real_server.tcp_check]]
connect_timeout = 3
`

// vi3Block is VI_3's block in planBase, for edits that drop or rename it.
const vi3Block = `[[vrrp_instance]]
name = "VI_3"
interface = "lo"
virtual_router_id = 53
priority = 100
virtual_ipaddress = ["10.99.0.103/24"]
`

func planParse(t *testing.T, s string) *config.Config {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(s))
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return c
}

// edit replaces the first occurrence of from (which must exist) by to.
func edit(t *testing.T, s, from, to string) string {
	t.Helper()
	if !strings.Contains(s, from) {
		t.Fatalf("edit: %q not in config", from)
	}
	return strings.Replace(s, from, to, 1)
}

// planSummary is what a test compares: the decisions, not the plumbing.
type planSummary struct {
	VRRPUnchanged, VRRPWhole bool
	VRRPReason               string
	Removed, Restarted       []string // instance by instance
	Added                    []string
	Trackers                 bool
	Groups                   namedDiff
	CARP                     carpPlan
	Servers, Checkers        namedDiff
	Timeouts, SyncDaemon     bool
}

func summarize(p reloadPlan) planSummary {
	return planSummary{
		VRRPUnchanged: p.vrrp.unchanged, VRRPWhole: p.vrrp.whole, VRRPReason: p.vrrp.reason,
		Removed: p.vrrp.instances.removed, Restarted: p.vrrp.instances.changed, Added: p.vrrp.added,
		Trackers: p.vrrp.trackers, Groups: p.vrrp.groups, CARP: p.carp,
		Servers: p.servers, Checkers: p.checkers,
		Timeouts: p.ipvsTimeouts, SyncDaemon: p.ipvsSyncDaemon,
	}
}

// TestPlanReload: every kind of change is sorted into keep, restart
// quietly (instance by instance), add, remove, or a whole-part hand-over.
func TestPlanReload(t *testing.T) {
	const vs = "10.99.0.100:80"
	rs2, rs3 := vs+"/10.0.0.2:80", vs+"/10.0.0.3:80"
	keptGroups := namedDiff{kept: []string{"VG_1"}}
	keptServers := namedDiff{kept: []string{vs}}
	keptCheckers := namedDiff{kept: []string{rs2, rs3}}
	same := planSummary{VRRPUnchanged: true, Groups: keptGroups, Servers: keptServers, Checkers: keptCheckers}
	with := func(f func(*planSummary)) planSummary {
		s := same
		f(&s)
		return s
	}
	whole := func(reason string, f func(*planSummary)) planSummary {
		return with(func(s *planSummary) {
			s.VRRPUnchanged, s.VRRPWhole, s.VRRPReason = false, true, reason
			if f != nil {
				f(s)
			}
		})
	}
	cases := []struct {
		name string
		conf func(t *testing.T) string
		want planSummary
	}{
		{"unchanged", func(*testing.T) string { return planBase }, same},
		{"mail only", func(t *testing.T) string {
			return edit(t, planBase, `router_id = "lb1"`, "router_id = \"lb1\"\nnotification_email = [\"ops@example.com\"]")
		}, same},
		{"priority only", func(t *testing.T) string {
			return edit(t, planBase, "virtual_router_id = 53\npriority = 100", "virtual_router_id = 53\npriority = 150")
		}, with(func(s *planSummary) { s.VRRPUnchanged, s.Restarted = false, []string{"VI_3"} })},
		{"VIP list changed", func(t *testing.T) string {
			return edit(t, planBase, `["10.99.0.103/24"]`, `["10.99.0.103/24", "10.99.0.104/24"]`)
		}, with(func(s *planSummary) { s.VRRPUnchanged, s.Restarted = false, []string{"VI_3"} })},
		{"instance removed", func(t *testing.T) string {
			return edit(t, planBase, vi3Block, "")
		}, with(func(s *planSummary) { s.VRRPUnchanged, s.Removed = false, []string{"VI_3"} })},
		{"instance added", func(t *testing.T) string {
			return planBase + strings.NewReplacer("VI_3", "VI_4", "53", "54", ".103", ".104").Replace(vi3Block)
		}, whole("instance added", func(s *planSummary) { s.Added = []string{"VI_4"} })},
		{"instance renamed", func(t *testing.T) string {
			return edit(t, planBase, `name = "VI_3"`, `name = "VI_9"`)
		}, whole("instance added", func(s *planSummary) { s.Added = []string{"VI_9"} })},
		{"grouped instance priority", func(t *testing.T) string {
			return edit(t, planBase, "virtual_router_id = 51\npriority = 100", "virtual_router_id = 51\npriority = 150")
		}, whole("instance in a sync group or with changed tracking removed or changed", nil)},
		{"instance's track_script changed", func(t *testing.T) string {
			return edit(t, planBase, vi3Block, vi3Block+"track_script = [\"chk\"]\n")
		}, whole("instance in a sync group or with changed tracking removed or changed", nil)},
		{"tracker changed", func(t *testing.T) string {
			return edit(t, planBase, `script = "/bin/true"`, `script = "/bin/false"`)
		}, whole("trackers", func(s *planSummary) { s.Trackers = true })},
		{"sync group membership", func(t *testing.T) string {
			return edit(t, planBase, `group = ["VI_1"]`, `group = ["VI_1", "VI_3"]`)
		}, whole("sync groups", func(s *planSummary) { s.Groups = namedDiff{changed: []string{"VG_1"}} })},
		{"sync group removed", func(t *testing.T) string {
			return edit(t, planBase, "[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\"]\n", "")
		}, whole("sync groups", func(s *planSummary) { s.Groups = namedDiff{removed: []string{"VG_1"}} })},
		{"global change forces a whole hand-over", func(t *testing.T) string {
			return edit(t, planBase, `router_id = "lb1"`, "router_id = \"lb1\"\nvrrp_garp_master_delay = 2")
		}, whole("global keys", nil)},
		{"real server weight", func(t *testing.T) string {
			return edit(t, planBase, "ip = \"10.0.0.3\"\nweight = 1", "ip = \"10.0.0.3\"\nweight = 5")
		}, with(func(s *planSummary) { s.Servers = namedDiff{changed: []string{vs}} })},
		{"virtual server added", func(t *testing.T) string {
			return planBase + "[[virtual_server]]\nip = \"10.99.0.102\"\nport = 443\n"
		}, with(func(s *planSummary) { s.Servers = namedDiff{kept: []string{vs}, added: []string{"10.99.0.102:443"}} })},
		{"virtual server removed", func(t *testing.T) string {
			return planBase[:strings.Index(planBase, "[[virtual_server]]")]
		}, with(func(s *planSummary) {
			s.Servers = namedDiff{removed: []string{vs}}
			s.Checkers = namedDiff{removed: []string{rs2, rs3}}
		})},
		{"checker changed", func(t *testing.T) string {
			return planBase[:strings.LastIndex(planBase, "connect_timeout = 3")] + "connect_timeout = 5\n"
		}, with(func(s *planSummary) {
			s.Servers = namedDiff{changed: []string{vs}}
			s.Checkers = namedDiff{kept: []string{rs2}, changed: []string{rs3}}
		})},
		{"lvs_timeouts", func(t *testing.T) string {
			return edit(t, planBase, `router_id = "lb1"`, "router_id = \"lb1\"\nlvs_timeouts = { tcp = 900, tcpfin = 120, udp = 300 }")
		}, with(func(s *planSummary) { s.Timeouts = true })},
	}
	old := planParse(t, planBase)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := summarize(planReload(old, planParse(t, c.conf(t))))
			if d := cmp.Diff(c.want, got, cmp.AllowUnexported(namedDiff{}, carpPlan{})); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
		})
	}
}

// TestPlanReloadOwnUnchanged: the instances that may take over quietly in
// a whole hand-over are those whose own block and effective settings did
// not change, whatever else did.
func TestPlanReloadOwnUnchanged(t *testing.T) {
	old := planParse(t, planBase)
	cases := []struct {
		name, conf string
		want       []string
	}{
		{"unchanged", planBase, []string{"VI_1", "VI_2", "VI_3"}},
		{"tracker changed", strings.Replace(planBase, `script = "/bin/true"`, `script = "/bin/false"`, 1), []string{"VI_1", "VI_2", "VI_3"}},
		{"priority of VI_3", strings.Replace(planBase, "virtual_router_id = 53\npriority = 100", "virtual_router_id = 53\npriority = 150", 1), []string{"VI_1", "VI_2"}},
		{"VI_3 renamed", strings.Replace(planBase, `name = "VI_3"`, `name = "VI_9"`, 1), []string{"VI_1", "VI_2"}},
		{"global advert default", strings.Replace(planBase, `router_id = "lb1"`, "router_id = \"lb1\"\nvrrp_garp_master_delay = 2", 1), nil},
	}
	for _, c := range cases {
		got := planReload(old, planParse(t, c.conf)).vrrp.ownUnchanged
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s: ownUnchanged (-want +got):\n%s", c.name, d)
		}
	}
}
