package daemon

import (
	"fmt"
	"log/slog"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
)

// Preflight refuses, before any part of `lvsd run` changes the host, a
// configuration whose checker side the parts would refuse later at their
// start: a misc_check, notify_up, notify_down, quorum_up or quorum_down
// whose user does not exist or, with enable_script_security, whose root-run
// program a non-root user could change. Without it the IPVS part would have
// applied the table when the health part refuses the file.
func Preflight(cfg *config.Config) error {
	if _, err := quorumUsers(cfg); err != nil {
		return fmt.Errorf("ipvs: %w", err)
	}
	if _, err := healthcheck.FromConfig(cfg, checkerScripts{}); err != nil {
		return fmt.Errorf("health checks: %w", err)
	}
	return nil
}

// CheckHost runs the host checks of `lvsd check` (a missing or
// non-executable script, an unknown script user, enable_script_security)
// at start and at reload, so that `lvsd run` refuses what `lvsd check`
// refuses; warnings (an interface that does not exist yet) are logged.
func CheckHost(log *slog.Logger, cfg *config.Config, src []byte) error {
	warns, errs := config.CheckHost(cfg, src, config.OSHost{})
	for _, w := range warns {
		log.Warn("configuration warning", "warning", w.Error())
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
