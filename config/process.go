package config

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The process keys of [global]: what keepalived sets per child process
// (vrrp_priority, checker_cpu_affinity, vrrp_rlimit_rttime, process_name,
// startup_script, umask, ...) lvsd sets on its one process.

// Process-key limits and defaults.
const (
	MaxProcessName          = 15 // TASK_COMM_LEN - 1: the kernel's limit on a thread name
	MaxCPU                  = 1023
	DefaultStartStopTimeout = 10 * time.Second // startup_script_timeout / shutdown_script_timeout (keepalived's)
	MaxStartStopTimeout     = 1000 * time.Second
)

// Process is the process part of [global].
type Process struct {
	Name string // process_name: the name of every thread of lvsd (ps, top); "": leave it
	// Priority is process_priority (keepalived's vrrp_priority): the nice
	// value -20..19 of every thread; nil: leave it.
	Priority *int
	// CPUAffinity is cpu_affinity: the CPUs lvsd's threads may run on,
	// sorted, without duplicates; nil: leave it.
	CPUAffinity []int
	// RlimitRTTime is rlimit_rttime: RLIMIT_RTTIME in microseconds, the CPU
	// time a real-time thread may use without blocking (hard limit; the soft
	// limit, which sends SIGXCPU, is half as keepalived). Applied only with
	// vrrp_rt_priority; 0: no limit.
	RlimitRTTime uint64
	// Umask is umask: the file mode mask of the files lvsd creates; nil:
	// the inherited one.
	Umask *int

	StartupScript         Command       // startup_script: run before anything starts
	StartupScriptTimeout  time.Duration // startup_script_timeout, default 10s
	ShutdownScript        Command       // shutdown_script: run after everything is torn down
	ShutdownScriptTimeout time.Duration // shutdown_script_timeout, default 10s
}

func (d *decoder) decodeProcess(n *node, p *Process) {
	if n.str("process_name", &p.Name) {
		switch {
		case p.Name == "":
			d.errorf(n.keyPath("process_name"), "empty name")
		case len(p.Name) > MaxProcessName:
			d.errorf(n.keyPath("process_name"), "%q: longer than %d bytes (the kernel's limit)", p.Name, MaxProcessName)
		}
	}
	var prio int
	if n.integer("process_priority", &prio, -20, 19) {
		p.Priority = &prio
	}
	if es, ok := n.list("cpu_affinity", false); ok {
		p.CPUAffinity = []int{}
		for _, e := range es {
			c, ok := e.v.(int64)
			switch {
			case !ok:
				d.errorf(e.path(), "wrong type %s, want integer", typeName(e.v))
			case c < 0 || c > MaxCPU:
				d.errorf(e.path(), "%d out of range 0..%d", c, MaxCPU)
			default:
				p.CPUAffinity = append(p.CPUAffinity, int(c))
			}
		}
		slices.Sort(p.CPUAffinity)
		p.CPUAffinity = slices.Compact(p.CPUAffinity)
		if len(es) == 0 {
			d.errorf(n.keyPath("cpu_affinity"), "empty list (omit the key to leave the affinity alone)")
		}
	}
	var rt int
	if n.integer("rlimit_rttime", &rt, 1, 1<<32-1) {
		if rt == 1 {
			rt = 2 // the soft limit is half and must not be 0 (keepalived does the same)
		}
		p.RlimitRTTime = uint64(rt)
	}
	d.decodeUmask(n, p)
	n.command("startup_script", &p.StartupScript)
	n.duration("startup_script_timeout", &p.StartupScriptTimeout, time.Second, MaxStartStopTimeout)
	n.command("shutdown_script", &p.ShutdownScript)
	n.duration("shutdown_script_timeout", &p.ShutdownScriptTimeout, time.Second, MaxStartStopTimeout)
}

// umask: a string of octal digits ("022", as the shell's umask) or a TOML
// integer (0o022).
func (d *decoder) decodeUmask(n *node, p *Process) {
	v, ok := n.get("umask")
	if !ok {
		return
	}
	var um int64
	switch x := v.(type) {
	case string:
		u, err := strconv.ParseUint(x, 8, 32)
		if err != nil {
			d.errorf(n.keyPath("umask"), "%q: not an octal mode", x)
			return
		}
		um = int64(u)
	case int64:
		um = x
	default:
		n.typeErr("umask", v, "octal string or integer")
		return
	}
	if um < 0 || um > 0o777 {
		d.errorf(n.keyPath("umask"), "%#o out of range 0..0777", um)
		return
	}
	u := int(um)
	p.Umask = &u
}

// process writes the process keys of [global].
func (w *tomlWriter) process(p Process) {
	w.strOpt("process_name", p.Name)
	if p.Priority != nil {
		w.int("process_priority", *p.Priority)
	}
	if p.CPUAffinity != nil {
		s := "["
		for i, c := range p.CPUAffinity {
			if i > 0 {
				s += ", "
			}
			s += itoa(c)
		}
		w.raw("cpu_affinity", s+"]")
	}
	if p.RlimitRTTime != 0 {
		w.raw("rlimit_rttime", itoa(int(p.RlimitRTTime)))
	}
	if p.Umask != nil {
		w.str("umask", fmt.Sprintf("%04o", *p.Umask))
	}
	if !p.StartupScript.IsZero() {
		w.command("startup_script", p.StartupScript)
	}
	w.dur("startup_script_timeout", p.StartupScriptTimeout)
	if !p.ShutdownScript.IsZero() {
		w.command("shutdown_script", p.ShutdownScript)
	}
	w.dur("shutdown_script_timeout", p.ShutdownScriptTimeout)
}
