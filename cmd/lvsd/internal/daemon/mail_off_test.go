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

// TestMailOffKeepsNothing: with mail off (no smtp_server) the mail part
// keeps no per-real-server state (2 MB at 10,000 real servers); a reload
// that turns mail on takes the real servers' health from the health
// part's view, so the first change after it is mailed as keepalived would:
// a real server that went DOWN while mail was off is mailed UP when it
// comes back, one still in its initial state is not.
func TestMailOffKeepsNothing(t *testing.T) {
	off := strings.NewReplacer("notification_email = [\"ops@example.com\"]\n", "", "smtp_server = \"127.0.0.1 2525\"\n", "").Replace(mailConf)
	cfgOff, err := config.Parse("off.toml", []byte(off))
	if err != nil {
		t.Fatal(err)
	}
	cfgOn, err := config.Parse("on.toml", []byte(mailConf))
	if err != nil {
		t.Fatal(err)
	}
	p := newMailPart(cfgOff, slog.New(slog.DiscardHandler))
	var got []string
	p.enqueue = func(m smtpalert.Message) bool { got = append(got, m.Subject); return true }
	vs := "10.0.0.100:80"
	key := func(ip string) healthcheck.RealServerKey {
		return healthcheck.RealServerKey{VirtualServer: vs, Addr: netip.MustParseAddr(ip), Port: 80}
	}
	health := p.health(nil)
	health(healthcheck.Update{Key: key("10.0.0.2"), Up: false, Reason: healthcheck.ReasonRefused})
	p.mu.Lock()
	kept := len(p.servers) + len(p.up)
	p.mu.Unlock()
	if kept != 0 || len(got) != 0 {
		t.Fatalf("mail off: %d entries kept, %d mails; want none", kept, len(got))
	}
	// the health part's view when the reload turns mail on
	p.view = func() (healthcheck.HealthView, bool) {
		return healthcheck.HealthView{Servers: map[healthcheck.RealServerKey]healthcheck.ServerHealth{
			key("10.0.0.2"): {Up: false}, // went down while mail was off
			key("10.0.0.4"): {Up: false}, // alpha: still in its initial state
		}}, true
	}
	p.set(cfgOn)
	health(healthcheck.Update{Key: key("10.0.0.2"), Up: true, Reason: healthcheck.ReasonOK})
	health(healthcheck.Update{Key: key("10.0.0.4"), Up: false, Reason: healthcheck.ReasonRefused})
	want := []string{"[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - UP"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mails after the reload (-want +got)\n%s", d)
	}
	// mail off again: nothing kept
	p.set(cfgOff)
	p.mu.Lock()
	kept = len(p.servers) + len(p.up)
	p.mu.Unlock()
	if kept != 0 {
		t.Errorf("mail turned off: %d entries kept", kept)
	}
}
