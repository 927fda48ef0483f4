// Package track implements keepalived's VRRP trackers for lvsd — vrrp_script,
// vrrp_track_process, track_file and track_interface — and the arithmetic by
// which they move an instance's priority (the "tracking" extension of
// RFC 3768/RFC 5798 routers that keepalived defines; no RFC covers it).
//
// The package has a pure part and a shell:
//
//   - Effective computes an instance's effective priority and FAULT state
//     from its base priority and the current observation of every tracker it
//     references (weights, reverse, weight 0 = FAULT, track_file value ×
//     weight with -254 = FAULT, clamping to 1..254, address owner untouched).
//     RiseFall counts a script's consecutive results (rise, fall, init_fail)
//     and Quorum applies a tracked process's quorum, quorum_max, fork_delay
//     and terminate_delay. None of them reads a clock, opens a file or starts
//     a goroutine: time is an explicit argument.
//   - ScriptTracker, ProcessTracker, FileTracker and InterfaceTracker own the
//     goroutines, sockets and timers. Each has a Run(ctx, emit) method that
//     blocks until ctx is done and calls emit with an Update (tracker name,
//     status or value, a Reason when failing, and a timestamp) whenever the
//     tracked object's state changes, plus once at start with the initial
//     state. emit is called from the tracker's goroutine only, one call at a
//     time; it must not block for long.
//
// Set ties it together for `lvsd run`: FromConfig builds every tracker of a
// configuration (plus each instance's own interface unless
// dont_track_primary, and sync group trackers for each member, with
// keepalived's no-floating rule for sync groups), Bind attaches a running
// instance through the two-method Target interface (SetPriority, SetFault;
// *vrrp.Instance has both), and Run applies every update to the instances
// that reference the tracker. Set is safe for concurrent use.
//
// Process starts and exits come from the kernel's process-events connector
// (netlink NETLINK_CONNECTOR, CN_IDX_PROC), with a /proc scan at start and
// after a lost event (ENOBUFS); only where the connector cannot be used does
// the process tracker poll /proc, and it logs that. Files are watched with
// inotify on their directory, links with an rtnetlink subscription.
//
// Every failed check has a Reason; trackers count them (Counters) and log
// them rate-limited.
package track
