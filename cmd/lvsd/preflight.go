package main

import (
	"fmt"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
)

// preflight refuses, before any part of `lvsd run` changes the host, a
// configuration whose checker side the parts would refuse later at their
// start: a misc_check, notify_up, notify_down, quorum_up or quorum_down
// whose user does not exist or, with enable_script_security, whose root-run
// program a non-root user could change. Without it the IPVS part would have
// applied the table when the health part refuses the file.
func preflight(cfg *config.Config) error {
	if _, err := quorumUsers(cfg); err != nil {
		return fmt.Errorf("ipvs: %w", err)
	}
	if _, err := healthcheck.FromConfig(cfg); err != nil {
		return fmt.Errorf("health checks: %w", err)
	}
	return nil
}
