// Package sdnotify implements the systemd service notification protocol
// (sd_notify(3)) for lvsd: READY once VRRP sockets and IPVS are up,
// RELOADING and READY around a reload, STOPPING, STATUS lines, and watchdog
// pings at half the interval systemd asks for.
//
// Without NOTIFY_SOCKET (not started by systemd, or Type=simple) every call
// is a no-op. A Notifier is safe for concurrent use.
package sdnotify
