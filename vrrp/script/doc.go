// Package script runs the external programs of lvsd's VRRP side — vrrp_script
// checks and notify scripts — the way keepalived does: the configured command
// line is split by lvsd itself (keepalived's quoting and escape rules, no
// shell), the program runs as the configured user and group in a process group
// of its own, and a run that outlives its timeout has its whole process group
// terminated (SIGTERM, then SIGKILL after a grace period).
//
// There is no RFC behind this package; the reference is keepalived's
// core/notify.c and lib/parser.c (alloc_strvec_quoted_escaped).
//
// Parse and Quote are pure functions. Run starts a process and blocks until it
// and, after a timeout, its process group are gone; it is safe to call from
// many goroutines at once. Nothing here keeps state between runs.
package script
