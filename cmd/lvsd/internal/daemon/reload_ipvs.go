package daemon

import (
	"errors"
	"fmt"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
)

// setSyncDaemons makes the kernel's sync daemons those of the current
// lvs_sync_daemon and its VRRP instance's current state (none without
// lvs_sync_daemon). Unchanged daemons cost no mutating request.
func (p *ipvsPart) setSyncDaemons() error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	p.mu.Lock()
	g, m := p.global, p.m
	master := g.LVSSyncDaemon != nil && p.master[g.LVSSyncDaemon.VRRPInstance]
	p.mu.Unlock()
	return m.SetSyncDaemons(ipvs.SyncDaemonsFor(g, master))
}

// reloadGlobal applies the IPVS global keys of a reload, each only when it
// changed, so an unchanged file makes no request: lvs_timeouts (a key
// removed or set to 0 gets the kernel's value from before lvsd's first
// change back, as keepalived: Manager.SetTimeouts) and lvs_sync_daemon (restarted when any of its settings changed, stopped
// when removed; master or backup by its VRRP instance's current state).
// lvs_flush is a start-time action, as in keepalived: a reload does not
// flush.
func (p *ipvsPart) reloadGlobal(cfg *config.Config) error {
	p.mu.Lock()
	prev := p.global
	p.global = cfg.Global
	m := p.m
	p.mu.Unlock()
	next := cfg.Global
	timeouts, syncDaemon := planIPVSGlobal(prev, next) // reloadplan.go
	var errs []error
	if t := ipvs.TimeoutsFor(next); timeouts {
		if err := m.SetTimeouts(t); err != nil {
			errs = append(errs, fmt.Errorf("reload: lvs_timeouts: %w", err))
		} else {
			p.log.Info("reload: lvs_timeouts applied", "tcp", t.TCP, "tcpfin", t.TCPFin, "udp", t.UDP)
		}
	}
	if syncDaemon {
		if err := p.setSyncDaemons(); err != nil {
			errs = append(errs, fmt.Errorf("reload: lvs_sync_daemon: %w", err))
		} else {
			p.log.Info("reload: lvs_sync_daemon applied", "configured", next.LVSSyncDaemon != nil)
		}
	}
	if next.LVSFlush && !prev.LVSFlush {
		p.log.Info("reload: lvs_flush applies at start only, the table is not flushed")
	}
	return errors.Join(errs...)
}
