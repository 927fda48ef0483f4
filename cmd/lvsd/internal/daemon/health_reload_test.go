package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvsd/lvsd/healthcheck"
)

// TestHealthReloadKeepsState: across a reload, the real server whose
// checks the plan keeps keeps its check's state, counters and schedule
// (the same job runs on: its results go on counting from where they were,
// its Since does not move); the changed one's check starts afresh; the
// removed one's stops. The plan's checker lists name exactly those.
func TestHealthReloadKeepsState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		file := func(name string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		fa, fb, fc := file("a"), file("b"), file("c")
		rs := func(ip, track string, weight int) string {
			return fmt.Sprintf("\n[[virtual_server.real_server]]\nip = %q\nport = 80\n[[virtual_server.real_server.file_check]]\ntrack_file = %q\nweight = %d\n", ip, track, weight)
		}
		tf := fmt.Sprintf("[[track_file]]\nname = \"a\"\nfile = %q\n[[track_file]]\nname = \"b\"\nfile = %q\n[[track_file]]\nname = \"c\"\nfile = %q\n", fa, fb, fc)
		vs := "[[virtual_server]]\nip = \"192.168.200.100\"\nport = 80\n"
		oldSrc := tf + vs + rs("10.0.0.1", "a", 1) + rs("10.0.0.2", "b", 1) + rs("10.0.0.3", "c", 1)
		newSrc := tf + vs + rs("10.0.0.1", "a", 1) + rs("10.0.0.2", "b", 2)
		d := &daemon{cfg: parseConfig(t, oldSrc), log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1)}
		d.health = newHealthPart(d)
		// each delay_loop exact: the results are counted on the schedule
		d.health.jitter = -1
		if err := d.health.start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		results := func(v healthcheck.HealthView, ip string) (uint64, time.Time, bool) {
			for k, sh := range v.Servers {
				if k.Addr.String() == ip && len(sh.Checks) == 1 {
					var n uint64
					for _, r := range sh.Checks[0].Results {
						n += r
					}
					return n, sh.Checks[0].Since, true
				}
			}
			return 0, time.Time{}, false
		}
		before, _ := d.health.view()
		na, sinceA, _ := results(before, "10.0.0.1")
		nb, _, _ := results(before, "10.0.0.2")
		if na < 5 || nb < 5 || before.Checks != 3 {
			t.Fatalf("before the reload: %d and %d results, %d checks; want >= 5 each, 3 checks", na, nb, before.Checks)
		}

		old, cfg := d.cfg, parseConfig(t, newSrc)
		plan := planReload(old, cfg)
		want := namedDiff{kept: []string{"192.168.200.100:80/10.0.0.1:80"}, changed: []string{"192.168.200.100:80/10.0.0.2:80"}, removed: []string{"192.168.200.100:80/10.0.0.3:80"}}
		if diff := cmp.Diff(want, plan.checkers, cmp.AllowUnexported(namedDiff{})); diff != "" {
			t.Errorf("plan's checkers (-want +got):\n%s", diff)
		}
		d.cfg = cfg
		if err := d.health.reload(cfg, plan.checkers); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		after, _ := d.health.view()
		na2, sinceA2, _ := results(after, "10.0.0.1")
		nb2, _, _ := results(after, "10.0.0.2")
		if na2 < na || !sinceA2.Equal(sinceA) {
			t.Errorf("kept check: %d results since %v after the reload, %d since %v before: its state was reset", na2, sinceA2, na, sinceA)
		}
		if nb2 >= nb {
			t.Errorf("changed check: %d results after the reload, %d before: not started afresh", nb2, nb)
		}
		if _, _, ok := results(after, "10.0.0.3"); ok || after.Checks != 2 {
			t.Errorf("removed real server still checked: %d checks, servers %v", after.Checks, after.Servers)
		}
		// The kept check runs on its own schedule: one result a second,
		// none extra for the reload.
		time.Sleep(5 * time.Second)
		synctest.Wait()
		later, _ := d.health.view()
		na3, _, _ := results(later, "10.0.0.1")
		if na3 != na+5 {
			t.Errorf("kept check: %d results 5 s after the reload, want %d + 5 (one a second, none extra)", na3, na)
		}
		if err := d.health.stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
}
