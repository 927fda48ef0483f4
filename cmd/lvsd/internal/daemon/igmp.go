package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// igmpLLMReports is the sysctl disable_local_igmp turns off: whether the
// kernel sends IGMP reports for link-local groups (224.0.0.0/24, VRRP's
// 224.0.0.18 among them). It is per network namespace.
const igmpLLMReports = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"

// igmpPart sets igmpLLMReports to 0 at start when disable_local_igmp is
// set and it was 1, and puts the 1 back at stop (keepalived does the same;
// a reload does not change it).
type igmpPart struct {
	d       *daemon
	path    string
	restore bool
}

func (p *igmpPart) start(context.Context) error {
	if !p.d.cfg.Global.DisableLocalIGMP {
		return nil
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		p.d.log.Error("disable_local_igmp: cannot read the sysctl, IGMP reports stay on", "err", err)
		return nil
	}
	if strings.TrimSpace(string(b)) != "1" {
		return nil
	}
	if err := os.WriteFile(p.path, []byte("0\n"), 0); err != nil {
		p.d.log.Error("disable_local_igmp: cannot write the sysctl, IGMP reports stay on", "err", err)
		return nil
	}
	p.restore = true
	p.d.log.Info("link-local IGMP reports off (disable_local_igmp)")
	return nil
}

func (p *igmpPart) stop(context.Context) error {
	if !p.restore {
		return nil
	}
	p.restore = false
	if err := os.WriteFile(p.path, []byte("1\n"), 0); err != nil {
		return fmt.Errorf("disable_local_igmp: restore %s: %w", p.path, err)
	}
	return nil
}
