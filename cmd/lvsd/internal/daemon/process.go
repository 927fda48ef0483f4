package daemon

import (
	"log/slog"
	"reflect"
	"strconv"

	"github.com/lvsd/lvsd/config"
)

// applyProcess sets the process keys of [global] that changed from old
// (nil at start) to p: process_name, process_priority, cpu_affinity,
// rlimit_rttime (with vrrp_rt_priority only, as keepalived) and umask. A
// failure is logged and lvsd runs without the setting, as keepalived.
func applyProcess(log *slog.Logger, old *config.Global, g config.Global) {
	var was config.Global
	if old != nil {
		was = *old
	}
	p, wp := g.Process, was.Process
	if old != nil && g.DisableLocalIGMP != was.DisableLocalIGMP {
		log.Warn("disable_local_igmp changes at the next restart, not at a reload (as keepalived)")
	}
	if p.Name != "" && (old == nil || p.Name != wp.Name) {
		if err := setName(p.Name); err != nil {
			log.Error("process_name: cannot set the name", "err", err)
		} else {
			log.Info("process named (process_name)", "name", p.Name)
		}
	}
	if p.Priority != nil && (old == nil || !reflect.DeepEqual(p.Priority, wp.Priority)) {
		if err := setNice(*p.Priority); err != nil {
			log.Error("process_priority: cannot set the nice value", "err", err)
		} else {
			log.Info("nice value set (process_priority)", "priority", *p.Priority)
		}
	}
	if p.CPUAffinity != nil && (old == nil || !reflect.DeepEqual(p.CPUAffinity, wp.CPUAffinity)) {
		if err := setAffinity(p.CPUAffinity); err != nil {
			log.Error("cpu_affinity: cannot bind to the CPUs", "err", err)
		} else {
			log.Info("bound to CPUs (cpu_affinity)", "cpus", p.CPUAffinity)
		}
	}
	if p.RlimitRTTime != 0 && g.VRRPRTPriority > 0 && (old == nil || p.RlimitRTTime != wp.RlimitRTTime || was.VRRPRTPriority == 0) {
		if err := setRTTimeLimit(p.RlimitRTTime); err != nil {
			log.Error("rlimit_rttime: cannot set the real-time CPU limit", "err", err)
		} else {
			log.Info("real-time CPU limit set (rlimit_rttime)", "us", p.RlimitRTTime)
		}
	}
	if p.Umask != nil && (old == nil || !reflect.DeepEqual(p.Umask, wp.Umask)) {
		prev := setUmask(*p.Umask)
		log.Info("umask set", "umask", octal(*p.Umask), "was", octal(prev))
	}
}

func octal(m int) string { return "0" + strconv.FormatInt(int64(m), 8) }
