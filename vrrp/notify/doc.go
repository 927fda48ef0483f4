// Package notify delivers lvsd's VRRP state notifications the way keepalived
// does — notify_master, notify_backup, notify_fault, notify_stop,
// notify_deleted, notify_master_rx_lower_pri, the generic `notify` script
// (its own arguments followed by INSTANCE|GROUP, name, state, priority) and
// the notify_fifo line format (`INSTANCE "VI_1" MASTER 200`) — and better:
// the notifications of one instance or group run strictly in order, each
// script finishing or being killed at its timeout before the next starts,
// and every run's exit status and stderr are logged.
//
// No RFC covers this; the reference is keepalived's vrrp/vrrp_notify.c and
// core/notify.c.
//
// A Notifier is safe for concurrent use. Notify never blocks on a script or
// on the FIFO: it writes the FIFO line (non-blocking; a full pipe drops the
// line and counts it) and appends the scripts to the instance's queue, which
// a goroutine per instance drains. Close waits for the queues, then kills
// what is still running.
package notify
