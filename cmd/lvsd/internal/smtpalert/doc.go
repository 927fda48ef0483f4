// Package smtpalert implements lvsd's e-mail alerts as keepalived sends
// them (keepalived/core/smtp.c): the subjects and bodies of a VRRP
// instance or sync group transition and of a real server's health change,
// and a minimal SMTP client (RFC 5321: HELO, MAIL, RCPT, DATA, QUIT; no
// EHLO, no TLS, no AUTH, as keepalived) that delivers them to one relay.
//
// A Sender owns a bounded queue and one delivery goroutine (Run). Enqueue
// never blocks: a full queue drops the message and counts it. Each
// delivery is bounded by the connect timeout per connection and per reply
// and is retried a few times; a message that still fails is logged
// (rate-limited) and counted by reason (Reason). All methods of Sender are
// safe for concurrent use.
package smtpalert
