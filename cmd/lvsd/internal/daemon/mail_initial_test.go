package daemon

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/smtpalert"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
)

// TestMailInitialStateUnrecorded: the start's "configured" update of a real
// server (up, no alpha) is not recorded per real server, yet a reload that
// sets alpha on it does not make it count as down: its removal by a later
// reload is still mailed as that of an alive real server.
func TestMailInitialStateUnrecorded(t *testing.T) {
	parse := func(s string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	p := newMailPart(parse(quorumMailConf), slog.New(slog.DiscardHandler))
	var got []string
	p.enqueue = func(m smtpalert.Message) bool { got = append(got, m.Subject+" | "+m.Body); return true }
	vs1 := "10.0.0.100:80"
	p.health(nil)(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: vs1, Addr: netip.MustParseAddr("10.0.0.2"), Port: 80},
		Up: true, Weight: 1, Detail: "configured"})
	p.mu.Lock()
	records := len(p.up)
	p.mu.Unlock()
	if records != 0 {
		t.Errorf("%d health records after an update in the initial state, want 0", records)
	}
	p.set(parse(strings.Replace(quorumMailConf, "ip = \"10.0.0.2\"\n", "ip = \"10.0.0.2\"\nalpha = true\n", 1)))
	p.set(parse(strings.Replace(quorumMailConf, `ip = "10.0.0.2"`, `ip = "10.0.0.6"`, 1)))
	want := []string{"[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => Removing <="}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("queued (-want +got)\n%s", d)
	}
}
