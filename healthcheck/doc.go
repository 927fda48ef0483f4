// Package healthcheck implements lvsd's real-server health checks, the
// checkers of keepalived's checker process (keepalived.conf(5): HTTP_GET,
// SSL_GET, TCP_CHECK, PING_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK,
// UDP_CHECK, FILE_CHECK): HTTP/1.x GET (RFC 9112) with status, MD5 body
// digest and RE2 body regex (the exchange is package genhash's), TLS
// (RFC 8446) with optional SNI, TCP connect, ICMP echo (RFC 792/4443),
// external scripts, SMTP greeting/HELO/QUIT (RFC 5321), a DNS query over UDP
// (RFC 1035, messages by github.com/miekg/dns), a UDP datagram with ICMP
// unreachable detection, and a tracked file's number.
//
// The package has three layers:
//
//   - Checkers: one small interface, Checker.Check(ctx) Result, one type per
//     protocol (HTTPChecker, TCPChecker, PingChecker, MiscChecker,
//     SMTPChecker, DNSChecker, UDPChecker, FileChecker). A Result
//     carries an enumerated Reason (timeout, refused, reset, TLS error, bad
//     status with the code, digest mismatch with both digests, script exit,
//     ...).
//   - Pure logic over values and an explicit now: Step (one checker's
//     retry/delay_before_retry rise/fall, keepalived's semantics: DOWN after
//     retry+1 consecutive failures, UP after one success) and Aggregate (a
//     real server is up when every checker is up; misc_dynamic sets the
//     weight). No clock, sockets or goroutines there.
//   - A shell, Scheduler: timers with jitter, a bounded worker pool, dedup of
//     identical checks shared by several real servers, notify_up/notify_down,
//     logging of every state change with its reason, counters, and the output
//     to the IPVS side: a stream of Update values and a HealthView snapshot.
//
// Out of scope: BFD_CHECK, SNMP.
//
// Concurrency: checkers are safe for concurrent use (they hold only their
// immutable spec). Scheduler methods are safe for concurrent use; its
// output callback is called from one goroutine at a time.
package healthcheck
