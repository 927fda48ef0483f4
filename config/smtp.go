package config

import (
	"net"
	"net/netip"
	"os/user"
	"strconv"
	"strings"
	"time"
)

// E-mail alerts: keepalived's global_defs SMTP keys and the smtp_alert
// switches of instances, sync groups, virtual and real servers.

// DefaultSMTPPort is smtp_server's port when none is given.
const DefaultSMTPPort = 25

// DefaultSMTPConnectTimeout is smtp_connect_timeout's default (keepalived's).
const DefaultSMTPConnectTimeout = 30 * time.Second

// SMTP is the e-mail part of [global].
type SMTP struct {
	NotificationEmail     []string      // notification_email: the recipients
	NotificationEmailFrom string        // notification_email_from; default "USER@HOSTNAME" when smtp_server is set
	Server                string        // smtp_server as "host:port"; "" = no e-mail
	HeloName              string        // smtp_helo_name; default the host name when smtp_server is set
	ConnectTimeout        time.Duration // smtp_connect_timeout; default 30s
	// Alert, AlertVRRPDefault, AlertCheckerDefault: smtp_alert,
	// smtp_alert_vrrp, smtp_alert_checker; nil = not set (the methods
	// AlertVRRP and AlertChecker apply keepalived's precedence).
	Alert, AlertVRRPDefault, AlertCheckerDefault *bool
	NoEmailFaults                                bool // no_email_faults: no mail for FAULT transitions
}

// Enabled reports whether mail can be sent at all (keepalived: a server
// and at least one recipient).
func (s SMTP) Enabled() bool { return s.Server != "" && len(s.NotificationEmail) > 0 }

// AlertVRRP reports whether an instance or sync group whose own
// smtp_alert is own mails its transitions: own, else smtp_alert_vrrp, else smtp_alert,
// else false (keepalived's precedence).
func (s SMTP) AlertVRRP(own *bool) bool {
	for _, p := range []*bool{own, s.AlertVRRPDefault, s.Alert} {
		if p != nil {
			return *p
		}
	}
	return false
}

// AlertChecker reports whether a real server (or virtual server) whose own
// smtp_alert is own mails its health changes: own, else
// smtp_alert_checker, else smtp_alert, else true for a real server
// (keepalived 2.2.7's default, inconsistent with the others) and false
// for a virtual server (realServer false).
func (s SMTP) AlertChecker(own *bool, realServer bool) bool {
	for _, p := range []*bool{own, s.AlertCheckerDefault, s.Alert} {
		if p != nil {
			return *p
		}
	}
	return realServer
}

func (d *decoder) decodeMail(n *node, s *SMTP) {
	if n.stringList("notification_email", &s.NotificationEmail) {
		for i, a := range s.NotificationEmail {
			if err := checkMailbox(a); err != nil {
				d.errorf(n.keyPath("notification_email")+"["+itoa(i)+"]", "%v", err)
			}
		}
	}
	if n.nonEmpty("notification_email_from", &s.NotificationEmailFrom) {
		if err := checkMailbox(s.NotificationEmailFrom); err != nil {
			d.errorf(n.keyPath("notification_email_from"), "%v", err)
		}
	}
	var srv string
	if n.nonEmpty("smtp_server", &srv) {
		hp, err := parseSMTPServer(srv)
		if err != nil {
			d.errorf(n.keyPath("smtp_server"), "%v", err)
		}
		s.Server = hp
	}
	if n.nonEmpty("smtp_helo_name", &s.HeloName) && strings.ContainsAny(s.HeloName, " \t\r\n") {
		d.errorf(n.keyPath("smtp_helo_name"), "%q contains white space", s.HeloName)
	}
	n.duration("smtp_connect_timeout", &s.ConnectTimeout, time.Second, maxDur)
	s.Alert = n.optBool("smtp_alert")
	s.AlertVRRPDefault = n.optBool("smtp_alert_vrrp")
	s.AlertCheckerDefault = n.optBool("smtp_alert_checker")
	n.boolean("no_email_faults", &s.NoEmailFaults)
	if s.Server != "" {
		if s.HeloName == "" {
			s.HeloName = hostname()
		}
		if s.NotificationEmailFrom == "" {
			s.NotificationEmailFrom = defaultMailFrom()
		}
	}
}

// optBool reads an optional boolean: nil when k is absent or bad.
func (n *node) optBool(k string) *bool {
	var b bool
	if !n.boolean(k, &b) {
		return nil
	}
	return &b
}

// checkMailbox accepts an address keepalived would put between < and >.
func checkMailbox(a string) error {
	if a == "" || strings.ContainsAny(a, " \t\r\n<>") {
		return errorString("bad e-mail address " + strconv.Quote(a) + " (want user@domain, no spaces or angle brackets)")
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// parseSMTPServer reads smtp_server: "HOST", "HOST PORT" (keepalived's
// form) or "HOST:PORT" / "[IPv6]:PORT", and returns "host:port".
func parseSMTPServer(s string) (string, error) {
	f := strings.Fields(s)
	host, port := "", strconv.Itoa(DefaultSMTPPort)
	switch {
	case len(f) == 2:
		host, port = f[0], f[1]
	case len(f) == 1 && strings.Count(f[0], ":") == 1:
		var err error
		if host, port, err = net.SplitHostPort(f[0]); err != nil {
			return "", errorString("bad server " + strconv.Quote(s) + " (want \"HOST [PORT]\" or \"HOST:PORT\")")
		}
	case len(f) == 1 && strings.HasPrefix(f[0], "["):
		var err error
		if host, port, err = net.SplitHostPort(f[0]); err != nil {
			return "", errorString("bad server " + strconv.Quote(s) + " (want \"[IPv6]:PORT\")")
		}
	case len(f) == 1:
		host = f[0]
	default:
		return "", errorString("bad server " + strconv.Quote(s) + " (want \"HOST [PORT]\" or \"HOST:PORT\")")
	}
	host = strings.Trim(host, "[]")
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", errorString("bad port " + strconv.Quote(port) + " (want 1..65535)")
	}
	if _, err := netip.ParseAddr(host); err != nil && !isHostName(host) {
		return "", errorString("bad host " + strconv.Quote(host) + " (want an IP address or a host name)")
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// isHostName accepts letters, digits, '-', '_' and '.' (a DNS name).
func isHostName(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasPrefix(h, "-") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// defaultMailFrom is keepalived's notification_email_from default:
// the daemon's user name @ the host name.
func defaultMailFrom() string {
	name := "root"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return name + "@" + hostname()
}
