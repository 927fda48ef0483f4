package daemon

import (
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/smtpalert"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
)

const mailConf = `[global]
router_id = "lb1"
notification_email = ["ops@example.com"]
smtp_server = "127.0.0.1 2525"
smtp_alert_vrrp = true
no_email_faults = true

[[vrrp_sync_group]]
name = "VG_1"
group = ["VI_1"]

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
virtual_ipaddress = ["10.0.0.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "eth0"
virtual_router_id = 52
virtual_ipaddress = ["10.0.0.101/24"]
smtp_alert = false

[[virtual_server]]
ip = "10.0.0.100"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
[[virtual_server.real_server.tcp_check]]
[[virtual_server.real_server]]
ip = "10.0.0.3"
smtp_alert = false
[[virtual_server.real_server.tcp_check]]
[[virtual_server.real_server]]
ip = "10.0.0.4"
alpha = true
[[virtual_server.real_server.http_get]]
url = [{ path = "/" }]
`

// TestMailTriggers drives the daemon's mail hooks and checks which alerts
// are queued: keepalived's precedence, no_email_faults, one mail per state,
// DOWN only after UP, UP only after DOWN (alpha starts DOWN).
func TestMailTriggers(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(mailConf))
	if err != nil {
		t.Fatal(err)
	}
	p := newMailPart(cfg, slog.New(slog.DiscardHandler))
	var got []string
	p.enqueue = func(m smtpalert.Message) bool { got = append(got, m.Subject+" | "+m.Body); return true }
	at := time.Now()
	hook := p.instance(func(string) bool { return false }, nil)
	for _, tr := range []vrrp.Transition{
		{Instance: "VI_1", From: vrrp.StateInit, To: vrrp.StateBackup, Time: at},
		{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster, Time: at},
		{Instance: "VI_1", From: vrrp.StateMaster, To: vrrp.StateFault, Time: at},  // no_email_faults
		{Instance: "VI_1", From: vrrp.StateFault, To: vrrp.StateMaster, Time: at},  // MASTER already mailed
		{Instance: "VI_2", From: vrrp.StateBackup, To: vrrp.StateMaster, Time: at}, // smtp_alert = false
	} {
		hook(tr)
	}
	p.group(vrrp.GroupTransition{Group: "VG_1", From: vrrp.StateBackup, To: vrrp.StateMaster, Time: at})
	vs := "10.0.0.100:80"
	rs := func(ip string, up bool, r healthcheck.Reason) healthcheck.Update {
		return healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: vs, Addr: netip.MustParseAddr(ip), Port: 80}, Up: up, Reason: r}
	}
	health := p.health(nil)
	for _, u := range []healthcheck.Update{
		rs("10.0.0.2", true, healthcheck.ReasonOK),       // starts UP: no mail
		rs("10.0.0.2", false, healthcheck.ReasonRefused), // DOWN
		rs("10.0.0.3", false, healthcheck.ReasonRefused), // smtp_alert = false
		rs("10.0.0.4", true, healthcheck.ReasonOK),       // alpha: UP after DOWN
		rs("10.0.0.4", false, healthcheck.ReasonBadStatus),
	} {
		health(u)
	}
	want := []string{
		"[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is no longer owning VRRP VIPs <=",
		"[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=",
		"[lb1] VRRP Group VG_1 - Entering MASTER state | => All VRRP group instances are now in MASTER state <=",
		"[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => TCP CHECK failed on service <=",
		"[lb1] Realserver [10.0.0.4]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - UP | => CHECK succeed on service <=",
		"[lb1] Realserver [10.0.0.4]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => CHECK failed on service : HTTP request failed <=",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("queued (-want +got)\n%s", d)
	}

	// Without a server nothing is queued; the reload takes the new switches.
	cfg2, err := config.Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.set(cfg2)
	got = nil
	hook(vrrp.Transition{Instance: "VI_1", To: vrrp.StateBackup, Time: at})
	if len(got) != 0 {
		t.Errorf("queued without smtp_server: %q", got)
	}
	if st := p.status(); st.Enabled || st.Failed["queue_full"] != 0 {
		t.Errorf("status %+v", st)
	}
}

// TestMailReloadKeepsVRRP: a reload that changes only e-mail settings is
// no VRRP change (no instance restarts).
func TestMailReloadKeepsVRRP(t *testing.T) {
	a, err := config.Parse("a.toml", []byte(mailConf))
	if err != nil {
		t.Fatal(err)
	}
	b, err := config.Parse("b.toml", []byte(strings.NewReplacer(`smtp_server = "127.0.0.1 2525"`, `smtp_server = "127.0.0.2"`,
		"smtp_alert = false\n\n[[virtual_server]]", "\n[[virtual_server]]", `name = "VG_1"`, "name = \"VG_1\"\nsmtp_alert = true").Replace(mailConf)))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Global.SMTP, b.Global.SMTP) || reflect.DeepEqual(a.Instances, b.Instances) || reflect.DeepEqual(a.SyncGroups, b.SyncGroups) {
		t.Fatal("the test configurations do not differ in their mail settings")
	}
	if !vrrpEqual(a, b) {
		t.Error("vrrpEqual: mail settings count as a VRRP change")
	}
	if p, ok := planVRRP(a, b); !ok || len(p.changed)+len(p.removed) != 0 {
		t.Errorf("planVRRP = %+v, %v; want nothing to do", p, ok)
	}
	if a.Instances[1].SMTPAlert == nil {
		t.Error("withoutMail changed its argument")
	}
}

const quorumMailConf = `[global]
router_id = "lb1"
notification_email = ["ops@example.com"]
smtp_server = "127.0.0.1 2525"
smtp_alert_checker = true

[[virtual_server]]
ip = "10.0.0.100"
port = 80
omega = true
[[virtual_server.real_server]]
ip = "10.0.0.2"
[[virtual_server.real_server.tcp_check]]
[[virtual_server.real_server]]
ip = "10.0.0.3"
[[virtual_server.real_server.tcp_check]]

[[virtual_server]]
ip = "10.0.0.101"
port = 80
smtp_alert = false
[[virtual_server.real_server]]
ip = "10.0.0.5"
[[virtual_server.real_server.tcp_check]]
`

// TestMailQuorumAndRemoval: keepalived's virtual server mails (quorum at
// start, lost, regained, "Shutting down" with omega) and the "Removing"
// mail of an alive real server a reload takes out (check/ipwrapper.c).
func TestMailQuorumAndRemoval(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(quorumMailConf))
	if err != nil {
		t.Fatal(err)
	}
	p := newMailPart(cfg, slog.New(slog.DiscardHandler))
	var got []string
	p.enqueue = func(m smtpalert.Message) bool { got = append(got, m.Subject+" | "+m.Body); return true }
	vs1, vs2 := "10.0.0.100:80", "10.0.0.101:80"
	p.quorum(ipvs.Event{VirtualServer: vs1, QuorumUp: true, Init: true, Alive: 2, Threshold: 1, Quorum: 1})
	p.quorum(ipvs.Event{VirtualServer: vs2, QuorumUp: true, Init: true, Alive: 1, Threshold: 1, Quorum: 1}) // smtp_alert = false
	health := p.health(nil)
	health(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: vs1, Addr: netip.MustParseAddr("10.0.0.3"), Port: 80}, Up: false, Reason: healthcheck.ReasonRefused})
	p.quorum(ipvs.Event{VirtualServer: vs1, QuorumUp: false, Alive: 1, Threshold: 1, Quorum: 2, Hysteresis: 1})
	p.quorum(ipvs.Event{VirtualServer: vs1, QuorumUp: true, Alive: 3, Threshold: 3, Quorum: 2, Hysteresis: 1})

	// The reload drops 10.0.0.2 (alive: mailed) and 10.0.0.3 (down: not).
	reloaded := strings.Replace(quorumMailConf, `ip = "10.0.0.2"`, `ip = "10.0.0.6"`, 1)
	reloaded = strings.Replace(reloaded, `ip = "10.0.0.3"`, `ip = "10.0.0.7"`, 1)
	cfg2, err := config.Parse("t.toml", []byte(reloaded))
	if err != nil {
		t.Fatal(err)
	}
	p.set(cfg2)
	health(healthcheck.Update{Key: healthcheck.RealServerKey{VirtualServer: vs1, Addr: netip.MustParseAddr("10.0.0.7"), Port: 80}, Up: false, Reason: healthcheck.ReasonRefused})
	for _, ev := range ipvs.ShutdownEvents([]ipvs.VirtualServer{{Name: vs1, Omega: true}, {Name: vs2}}, ipvs.QuorumState{vs1: true, vs2: true}) {
		p.quorum(ev)
	}
	want := []string{
		"[lb1] Virtualserver [10.0.0.100]:tcp:80 - UP | => Starting with quorum up 1+0=1 <= 2 <=",
		"[lb1] Realserver [10.0.0.3]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => TCP CHECK failed on service <=",
		"[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN | => Lost quorum 2+1=1 <= 1 <=",
		"[lb1] Virtualserver [10.0.0.100]:tcp:80 - UP | => Gained quorum 2+1=3 <= 3 <=",
		"[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => Removing <=",
		"[lb1] Realserver [10.0.0.7]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => TCP CHECK failed on service <=",
		"[lb1] Realserver [10.0.0.6]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN | => Shutting down <=",
		"[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN | => Shutting down <=",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("queued (-want +got)\n%s", d)
	}
}
