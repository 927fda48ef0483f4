package daemon

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
)

const quietBase = `
[global]
vrrp_garp_master_delay = 5

[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["192.168.200.1/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "lo"
virtual_router_id = 52
priority = 100
virtual_ipaddress = ["192.168.200.2/24"]

[[vrrp_instance]]
name = "VI_3"
interface = "lo"
virtual_router_id = 53
priority = 100
virtual_ipaddress = ["192.168.200.3/24"]

[[vrrp_instance]]
name = "VI_4"
interface = "lo"
virtual_router_id = 54
priority = 100
virtual_ipaddress = ["192.168.200.4/24"]

[[vrrp_sync_group]]
name = "VG_1"
group = ["VI_3", "VI_4"]
`

// TestQuietHandover: which instances and sync groups of a whole-part
// hand-over take over their predecessors' states quietly.
func TestQuietHandover(t *testing.T) {
	parse := func(s string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	stats := func(states ...vrrp.State) map[string]vrrp.Stats {
		m := map[string]vrrp.Stats{}
		for k, st := range states {
			m["VI_"+string(rune('1'+k))] = vrrp.Stats{State: st, Transitions: uint64(k + 1)}
		}
		return m
	}
	M, B, F := vrrp.StateMaster, vrrp.StateBackup, vrrp.StateFault
	added := quietBase + "\n[[vrrp_instance]]\nname = \"VI_5\"\ninterface = \"lo\"\nvirtual_router_id = 55\npriority = 100\nvirtual_ipaddress = [\"192.168.200.5/24\"]\n"
	for _, c := range []struct {
		name       string
		new        string
		final      map[string]vrrp.Stats
		wantQuiet  []string
		wantGroups map[string]vrrp.State
	}{
		{"an instance added: every other one quiet", added, stats(M, B, M, M),
			[]string{"VI_1", "VI_2", "VI_3", "VI_4"}, map[string]vrrp.State{"VG_1": M}},
		{"a FAULT instance is not", added, stats(F, B, B, B),
			[]string{"VI_2", "VI_3", "VI_4"}, map[string]vrrp.State{"VG_1": B}},
		{"a changed instance is not", strings.Replace(added, "192.168.200.2/24", "192.168.200.22/24", 1), stats(M, M, M, M),
			[]string{"VI_1", "VI_3", "VI_4"}, map[string]vrrp.State{"VG_1": M}},
		{"a changed global key the instances use: none", strings.Replace(added, "vrrp_garp_master_delay = 5", "vrrp_garp_master_delay = 3", 1), stats(M, M, M, M),
			nil, map[string]vrrp.State{}},
		{"a changed group member: the whole group is not", strings.Replace(added, "192.168.200.4/24", "192.168.200.44/24", 1), stats(M, M, M, M),
			[]string{"VI_1", "VI_2"}, map[string]vrrp.State{}},
		{"a group in mixed states is not", added, stats(M, M, M, B),
			[]string{"VI_1", "VI_2"}, map[string]vrrp.State{}},
		{"a changed group is not", strings.Replace(added, `group = ["VI_3", "VI_4"]`, "group = [\"VI_3\", \"VI_4\"]\nnotify_master = \"/bin/true\"", 1), stats(M, M, M, M),
			[]string{"VI_1", "VI_2"}, map[string]vrrp.State{}},
		{"an instance leaving its group is not, nor are the others", strings.Replace(added, `group = ["VI_3", "VI_4"]`, `group = ["VI_3", "VI_5"]`, 1), stats(M, M, M, M),
			[]string{"VI_1", "VI_2"}, map[string]vrrp.State{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			quiet, groups := quietHandover(parse(quietBase), parse(c.new), c.final)
			var names []string
			for name, st := range quiet {
				names = append(names, name)
				if want := c.final[name]; st.State != want.State || st.Transitions != want.Transitions {
					t.Errorf("%s inherits %+v, want %+v", name, *st, want)
				}
			}
			sort.Strings(names)
			if d := cmp.Diff(c.wantQuiet, names); d != "" {
				t.Errorf("quiet instances (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.wantGroups, groups); d != "" {
				t.Errorf("quiet groups (-want +got):\n%s", d)
			}
		})
	}
}
