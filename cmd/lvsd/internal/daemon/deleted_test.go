package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
)

// TestDeletedInstanceNotified: the STOP of an instance a reload deletes is
// notified as DELETED with notify_deleted, as FAULT without it (keepalived);
// other transitions pass through.
func TestDeletedInstanceNotified(t *testing.T) {
	for _, c := range []struct {
		name, extra, want string
	}{
		{"notify_deleted", "notify_deleted = \"/bin/true\"\n", "INSTANCE VI_1 DELETED 100"},
		{"without notify_deleted", "", "INSTANCE VI_1 FAULT 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			script := filepath.Join(dir, "notify.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+out+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse("t.toml", []byte(`
[[vrrp_instance]]
name = "VI_1"
interface = "lo"
virtual_router_id = 51
virtual_ipaddress = ["10.99.0.100/24"]
notify = "`+script+`"
`+c.extra))
			if err != nil {
				t.Fatal(err)
			}
			trk, err := newVRRPTracking(cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			var l causeLog
			var passed []vrrp.State
			f := l.deletable(trk, func(tr vrrp.Transition) { passed = append(passed, tr.To) })
			f(vrrp.Transition{Instance: "VI_1", From: vrrp.StateMaster, To: vrrp.StateBackup, Priority: 100, Time: time.Now()})
			l.markDeleted("VI_1")
			f(vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateStop, Priority: 100, Time: time.Now()})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := trk.notifier.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if len(passed) != 1 || passed[0] != vrrp.StateBackup {
				t.Errorf("passed through: %v, want [BACKUP]", passed)
			}
			b, _ := os.ReadFile(out)
			if got := strings.TrimSpace(string(b)); got != c.want {
				t.Errorf("notify got %q, want %q", got, c.want)
			}
		})
	}
}
