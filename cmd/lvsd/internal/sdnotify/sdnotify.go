package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// Notifier sends state changes to systemd.
type Notifier struct {
	log  *slog.Logger
	send func(state string) (bool, error)
	// monotonic returns CLOCK_MONOTONIC in microseconds, as RELOADING needs.
	monotonic func() int64
}

// New returns a notifier that talks to $NOTIFY_SOCKET.
func New(log *slog.Logger) *Notifier {
	return &Notifier{log: log, send: func(s string) (bool, error) { return daemon.SdNotify(false, s) }, monotonic: monotonicUsec}
}

func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1000
}

func (n *Notifier) notify(state string) {
	sent, err := n.send(state)
	if err != nil {
		n.log.Warn("sd_notify failed", "state", state, "err", err)
		return
	}
	if sent {
		n.log.Debug("sd_notify", "state", state)
	}
}

// Ready tells systemd the service is up.
func (n *Notifier) Ready(status string) { n.notify("READY=1\nSTATUS=" + status) }

// Reloading tells systemd a reload has started (Type=notify-reload needs
// MONOTONIC_USEC); call Ready when it is done.
func (n *Notifier) Reloading() {
	n.notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", n.monotonic()))
}

// MainPID tells systemd that pid is the service's main process now (a
// binary upgrade in place; the unit needs NotifyAccess=all for the new
// process's later messages before this one reaches systemd).
func (n *Notifier) MainPID(pid int, status string) {
	n.notify(fmt.Sprintf("MAINPID=%d\nSTATUS=%s", pid, status))
}

// Stopping tells systemd a graceful stop has begun.
func (n *Notifier) Stopping() { n.notify("STOPPING=1") }

// Status sets the one-line status `systemctl status` shows.
func (n *Notifier) Status(status string) { n.notify("STATUS=" + status) }

// Watchdog pings systemd's watchdog at half of WATCHDOG_USEC until ctx ends,
// as long as alive reports the daemon healthy (its event loops turning). It
// returns at once when the watchdog is not enabled.
func (n *Notifier) Watchdog(ctx context.Context, alive func() bool) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("sd_notify: bad watchdog settings", "err", err)
		return
	}
	if interval == 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive() {
				n.notify("WATCHDOG=1")
			} else {
				n.log.Error("watchdog: daemon loop stalled, not pinging systemd")
			}
		}
	}
}
