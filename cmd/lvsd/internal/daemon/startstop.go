package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/notify"
	"github.com/lvsd/lvsd/vrrp/script"
)

// runStartStop runs startup_script (before anything starts) or
// shutdown_script (after everything is torn down) as keepalived does: as
// script_user unless it names a user, bounded by its timeout (then its
// process group is killed), and waited for; a failure is logged and lvsd
// goes on starting or stopping. It returns the result; a zero Result with
// ReasonOK when no script is configured.
func runStartStop(log *slog.Logger, g config.Global, kw string, cmd config.Command, timeout time.Duration) script.Result {
	if cmd.IsZero() {
		return script.Result{}
	}
	s, err := notify.FromConfig(config.NotifySet{Notify: cmd}, g)
	if err != nil {
		log.Error(kw+": not run", "err", err)
		return script.Result{Reason: script.ReasonStart, Err: err}
	}
	pool := scriptpool.New(scriptpool.Options{Logger: log, Limit: 1, Timeout: timeout})
	done := make(chan script.Result, 1)
	start := time.Now()
	log.Info("running "+kw, "command", script.Quote(s.Notify.Args))
	pool.Go(kw, script.Spec{Args: s.Notify.Args, Cred: s.Notify.Cred, Timeout: timeout}, func(r script.Result) { done <- r })
	res := <-done
	_ = pool.Close(context.Background())
	if res.OK() {
		log.Info(kw+" done", "took", time.Since(start).Round(time.Millisecond))
	}
	return res
}
