package notify

import (
	"fmt"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/script"
)

// FromConfig turns an instance's or sync group's notify settings into
// Scripts: each command split as keepalived does, run as its own user or
// else the global script_user; with enable_script_security a root-run
// script writable by anyone but root is refused.
func FromConfig(ns config.NotifySet, g config.Global) (*Scripts, error) {
	s := &Scripts{NotifyDeleted: !ns.Deleted.IsZero()}
	for _, c := range []struct {
		kw  string
		cmd config.Command
		dst **Script
	}{
		{"notify", ns.Notify, &s.Notify},
		{"notify_master", ns.Master, &s.Master},
		{"notify_backup", ns.Backup, &s.Backup},
		{"notify_fault", ns.Fault, &s.Fault},
		{"notify_stop", ns.Stop, &s.Stop},
		{"notify_deleted", ns.Deleted, &s.Deleted},
		{"notify_master_rx_lower_pri", ns.MasterRxLowerPri, &s.MasterRxLowerPri},
	} {
		if c.cmd.IsZero() {
			continue
		}
		args, err := script.Parse(c.cmd.Line)
		if err != nil {
			return nil, fmt.Errorf("notify: %s: %w", c.kw, err)
		}
		user, group := c.cmd.RunAs(g)
		var cred *script.Credential
		if user != "" {
			if cred, err = script.LookupUser(user, group); err != nil {
				return nil, fmt.Errorf("notify: %s: %w", c.kw, err)
			}
		}
		if g.EnableScriptSecurity {
			if err := script.CheckCommand(args, cred); err != nil {
				return nil, fmt.Errorf("notify: %s: %w", c.kw, err)
			}
		}
		*c.dst = &Script{Args: args, Cred: cred}
	}
	return s, nil
}

// OptionsFromConfig returns the Notifier options of a configuration.
func OptionsFromConfig(g config.Global) Options {
	return Options{FIFOs: []string{g.NotifyFIFO, g.VRRPNotifyFIFO}}
}
