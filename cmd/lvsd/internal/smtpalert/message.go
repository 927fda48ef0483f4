package smtpalert

import (
	"strings"
	"time"
)

// Message is one alert: keepalived's subject (with the "[router_id]"
// prefix) and body line, and the time of the event (the Date header).
type Message struct {
	Subject string
	Body    string
	Time    time.Time
}

// VRRPState is the state an instance or sync group enters, as named in
// keepalived's subjects.
type VRRPState int

// The states that get a mail (keepalived's vrrp_smtp_notifier).
const (
	Master VRRPState = iota
	Backup
	Fault
	Stop
	Deleted
)

// InstanceMessage is keepalived's mail for instance name entering st:
// "[ROUTER_ID] VRRP Instance VI_1 - Entering MASTER state".
func InstanceMessage(routerID, name string, st VRRPState, at time.Time) Message {
	subj, body := "", ""
	switch st {
	case Master:
		subj, body = "Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="
	case Backup:
		subj, body = "Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case Fault:
		subj, body = "Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case Stop:
		subj, body = "Stopping", "=> VRRP Instance stopping <="
	case Deleted:
		subj, body = "Deleted", "=> VRRP Deleted at reload <="
	}
	return Message{Subject: "[" + routerID + "] VRRP Instance " + name + " - " + subj, Body: body, Time: at}
}

// GroupMessage is keepalived's mail for sync group name entering st
// (MASTER, BACKUP, FAULT or Stop; ok is false for another state).
func GroupMessage(routerID, name string, st VRRPState, at time.Time) (m Message, ok bool) {
	subj, body := "", ""
	switch st {
	case Master:
		subj, body = "Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="
	case Backup:
		subj, body = "Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="
	case Fault:
		subj, body = "Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="
	case Stop:
		subj, body = "Stopping", "=> All VRRP group instances are now stopping <="
	default:
		return Message{}, false
	}
	return Message{Subject: "[" + routerID + "] VRRP Group " + name + " - " + subj, Body: body, Time: at}, true
}

// Checker kinds, for the body of a real server's mail.
const (
	CheckHTTP = "http_get"
	CheckSSL  = "ssl_get"
	CheckTCP  = "tcp_check"
	CheckPing = "ping_check"
	CheckMisc = "misc_check"
)

// RealServerMessage is keepalived's mail for a real server going up or
// down: "[ROUTER_ID] Realserver [10.0.0.2]:tcp:80 of virtual server
// [10.0.0.100]:tcp:80 - DOWN", with the body of the checker kind that
// caused it ("=> TCP CHECK failed on service <="). rs and vs are
// keepalived's formats (Trio, or "FWM N" / "[GROUP]:PORT" for vs).
func RealServerMessage(routerID, rs, vs string, up bool, checker string, at time.Time) Message {
	state, verb := "DOWN", "failed"
	if up {
		state, verb = "UP", "succeed"
	}
	var body string
	switch checker {
	case CheckTCP:
		body = "=> TCP CHECK " + verb + " on service <="
	case CheckPing:
		body = "=> ICMP CHECK " + verb + " on service <="
	case CheckMisc:
		if up {
			body = "=> MISC CHECK succeeded on service <="
		} else {
			body = "=> MISC CHECK failed on service <="
		}
	case CheckHTTP, CheckSSL:
		if up {
			body = "=> CHECK succeed on service <="
		} else {
			body = "=> CHECK failed on service : HTTP request failed <="
		}
	default:
		body = "=> CHECK " + verb + " on service <="
	}
	return Message{Subject: "[" + routerID + "] Realserver " + rs + " of virtual server " + vs + " - " + state, Body: body, Time: at}
}

// QuorumChange is what a virtual server's quorum mail reports
// (keepalived's do_vs_notifies).
type QuorumChange struct {
	Up       bool
	Init     bool // the first computation: "Starting with quorum up/down"
	Stopping bool // omega at shutdown: "Shutting down"
	// Quorum, Hysteresis, Threshold and Alive as keepalived prints them:
	// "Q+H=THRESHOLD <= ALIVE".
	Quorum, Hysteresis uint32
	Threshold          int64
	Alive              uint64
}

// VirtualServerMessage is keepalived's mail for a virtual server's quorum:
// "[ROUTER_ID] Virtualserver [10.0.0.100]:tcp:80 - UP" with the body
// "=> Gained quorum 3+0=3 <= 5 <=" (keepalived prints "+" and "<=" for a
// loss too). vs is keepalived's format (Trio, "FWM N" or "[GROUP]:PORT").
func VirtualServerMessage(routerID, vs string, q QuorumChange, at time.Time) Message {
	state := "DOWN"
	if q.Up {
		state = "UP"
	}
	var body string
	if q.Stopping {
		body = "=> Shutting down <="
	} else {
		what := "Lost quorum"
		switch {
		case q.Up && q.Init:
			what = "Starting with quorum up"
		case q.Up:
			what = "Gained quorum"
		case q.Init:
			what = "Starting with quorum down"
		}
		body = "=> " + what + " " + itoa(int(q.Quorum)) + "+" + itoa(int(q.Hysteresis)) + "=" +
			itoa(int(q.Threshold)) + " <= " + itoa(int(q.Alive)) + " <="
	}
	return Message{Subject: "[" + routerID + "] Virtualserver " + vs + " - " + state, Body: body, Time: at}
}

// RealServerRemovedMessage is keepalived's mail for an alive real server
// taken out of IPVS because a reload removed it ("=> Removing <=") or, for
// a virtual server with omega, at shutdown ("=> Shutting down <=").
func RealServerRemovedMessage(routerID, rs, vs string, stopping bool, at time.Time) Message {
	body := "=> Removing <="
	if stopping {
		body = "=> Shutting down <="
	}
	return Message{Subject: "[" + routerID + "] Realserver " + rs + " of virtual server " + vs + " - DOWN", Body: body, Time: at}
}

// Trio is keepalived's "[ADDR]:PROTO:PORT" (inet_sockaddrtotrio): proto
// is "TCP", "UDP" or "SCTP" (any case).
func Trio(addr string, proto string, port uint16) string {
	p := strings.ToLower(proto)
	if p == "" {
		p = "tcp"
	}
	return "[" + addr + "]:" + p + ":" + itoa(int(port))
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// oneLine replaces CR and LF (which would end a header) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// data is the DATA payload of m as keepalived writes it: Date, From,
// Subject, X-Mailer, To headers, a blank line, the body, and the final
// "\r\n.\r\n" is added by the client. Lines starting with "." are
// dot-stuffed (RFC 5321 4.5.2).
func data(m Message, from string, to []string) string {
	var b strings.Builder
	b.WriteString("Date: " + m.Time.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n")
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("Subject: " + oneLine(m.Subject) + "\r\n")
	b.WriteString("X-Mailer: lvsd\r\n")
	b.WriteString("To: " + strings.Join(to, ", ") + "\r\n\r\n")
	for i, l := range strings.Split(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n") {
		if i > 0 {
			b.WriteString("\r\n")
		}
		if strings.HasPrefix(l, ".") {
			b.WriteString(".")
		}
		b.WriteString(l)
	}
	b.WriteString("\r\n")
	return b.String()
}
