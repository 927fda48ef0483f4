// Package script runs the external programs of lvsd the way keepalived does,
// for every part of lvsd: VRRP trackers (vrrp_script) and notify scripts,
// misc_check, the notify_up/notify_down scripts of real servers, the
// quorum_up/quorum_down scripts of virtual servers, and the host checks of
// `lvsd check` (enable_script_security). The configured command line is
// split by lvsd itself (Parse: keepalived's quoting and escape rules, no
// shell), the program runs as the configured user and group (LookupUser) in a
// process group of its own (Run), and a run that outlives its timeout has its
// whole process group terminated (SIGTERM, then SIGKILL after a grace period).
//
// Package healthcheck must not import this package (domain packages never
// import each other): it defines the small healthcheck.Scripts interface
// and the daemon (cmd/lvsd/internal/daemon/hcscripts.go) implements it with this package.
//
// The splitter (config.SplitCommand) and the enable_script_security file
// checks (config.CheckScriptSecureStat) belong to config, which validates
// the configured values without importing this package; Parse, Quote,
// Unsafe and CheckSecure here forward to them.
//
// There is no RFC behind this package; the reference is keepalived's
// core/notify.c and lib/parser.c (alloc_strvec_quoted_escaped).
//
// Parse and Quote are pure functions. Run starts a process and blocks until it
// and, after a timeout, its process group are gone; it is safe to call from
// many goroutines at once. Nothing here keeps state between runs.
package script
