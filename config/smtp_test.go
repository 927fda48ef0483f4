package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSMTPServerForms(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "192.0.2.25", want: "192.0.2.25:25"},
		{in: "192.0.2.25 587", want: "192.0.2.25:587"},
		{in: "192.0.2.25:2525", want: "192.0.2.25:2525"},
		{in: "mail.example.com", want: "mail.example.com:25"},
		{in: "2001:db8::25", want: "[2001:db8::25]:25"},
		{in: "2001:db8::25 26", want: "[2001:db8::25]:26"},
		{in: "[2001:db8::25]:26", want: "[2001:db8::25]:26"},
		{in: "192.0.2.25 0", err: `bad port "0"`},
		{in: "192.0.2.25 smtp", err: `bad port "smtp"`},
		{in: "192.0.2.25:99999", err: `bad port "99999"`},
		{in: "a b c", err: "bad server"},
	} {
		got, err := parseSMTPServer(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSMTPServer(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSMTPServer(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSMTPDefaultsAndPrecedence(t *testing.T) {
	c, err := Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\nnotification_email = [\"a@example.com\"]\nsmtp_server = \"127.0.0.1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Global.SMTP
	if s.Server != "127.0.0.1:25" || s.HeloName != hostname() || !strings.HasSuffix(s.NotificationEmailFrom, "@"+hostname()) ||
		s.ConnectTimeout != 30*time.Second || !s.Enabled() {
		t.Errorf("defaults: %+v", s)
	}
	// Without smtp_server, no sender defaults (keepalived sets them only with a server).
	c, err = Parse("t.toml", []byte("[global]\nrouter_id = \"lb1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Global.SMTP; s.HeloName != "" || s.NotificationEmailFrom != "" || s.Enabled() {
		t.Errorf("defaults without server: %+v", s)
	}

	tr, fa := true, false
	for _, tc := range []struct {
		name                string
		all, vrrp, chk, own *bool
		wantVRRP, wantRS    bool
		wantVS              bool
	}{
		{name: "nothing set", wantRS: true},
		{name: "global off", all: &fa},
		{name: "global on", all: &tr, wantVRRP: true, wantRS: true, wantVS: true},
		{name: "vrrp over global", all: &fa, vrrp: &tr, wantVRRP: true},
		{name: "checker over global", all: &tr, chk: &fa, wantVRRP: true},
		{name: "own over all", all: &tr, vrrp: &tr, chk: &tr, own: &fa},
		{name: "own on", own: &tr, wantVRRP: true, wantRS: true, wantVS: true},
	} {
		s := SMTP{Alert: tc.all, AlertVRRPDefault: tc.vrrp, AlertCheckerDefault: tc.chk}
		got := []bool{s.AlertVRRP(tc.own), s.AlertChecker(tc.own, true), s.AlertChecker(tc.own, false)}
		if d := cmp.Diff([]bool{tc.wantVRRP, tc.wantRS, tc.wantVS}, got); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
	}
}

func TestSMTPErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bad port", "[global]\nsmtp_server = \"127.0.0.1 0\"\n", `t.toml:2:1: global.smtp_server: bad port "0" (want 1..65535)`},
		{"bad recipient", "[global]\nnotification_email = [\"ok@example.com\", \"a b@example.com\"]\n", `t.toml:2:41: global.notification_email[1]: bad e-mail address "a b@example.com"`},
		{"bad from", "[global]\nnotification_email_from = \"<x@y>\"\n", `t.toml:2:1: global.notification_email_from: bad e-mail address "<x@y>"`},
		{"helo space", "[global]\nsmtp_helo_name = \"a b\"\n", `t.toml:2:1: global.smtp_helo_name: "a b" contains white space`},
		{"timeout too small", "[global]\nsmtp_connect_timeout = \"10ms\"\n", "t.toml:2:1: global.smtp_connect_timeout:"},
		{"alert not bool", baseInstance + "smtp_alert = \"yes\"\n", "t.toml:6:1: vrrp_instance[0].smtp_alert: wrong type string, want boolean"},
		{"rs alert not bool", "[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nsmtp_alert = 1\n", "t.toml:6:1: virtual_server[0].real_server[0].smtp_alert: wrong type integer, want boolean"},
	} {
		_, err := Parse("t.toml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzSMTPServer: smtp_server's parser never panics, and what it returns
// is a "host:port" it returns unchanged when given again.
func FuzzSMTPServer(f *testing.F) {
	for _, s := range []string{"192.0.2.25", "192.0.2.25 587", "mail.example.com:25", "[2001:db8::1]:26", "2001:db8::1 26", "a b c", "[::1", ":25", "host 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, err := parseSMTPServer(s)
		if err != nil {
			return
		}
		again, err := parseSMTPServer(hp)
		if err != nil || again != hp {
			t.Fatalf("parseSMTPServer(%q) = %q, then %q, %v", s, hp, again, err)
		}
	})
}
