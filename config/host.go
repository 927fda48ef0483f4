package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
)

// Args is the command line split into words by SplitCommand (keepalived's
// quoting and escapes); nil when the line does not parse.
func (c Command) Args() []string {
	words, err := SplitCommand(c.Line)
	if err != nil {
		return nil
	}
	return words
}

// Host is the machine lvsd check looks at: interfaces, files and users.
// OSHost is the real one; tests use a fake.
type Host interface {
	// InterfaceExists reports whether a network interface exists.
	InterfaceExists(name string) bool
	// Stat describes path, following symbolic links.
	Stat(path string) (FileInfo, error)
	// LookPath finds a program without a slash in $PATH.
	LookPath(file string) (string, error)
	// UserExists reports whether a user name is known.
	UserExists(name string) bool
}

// OSHost is the Host of this machine.
type OSHost struct{}

var _ Host = OSHost{}

func (OSHost) InterfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func (OSHost) Stat(path string) (FileInfo, error) { return StatFile(path) }

func (OSHost) LookPath(file string) (string, error) { return exec.LookPath(file) }

func (OSHost) UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// CheckHost checks c against the host: a missing interface is a warning
// (it may appear later); a missing or non-executable script, an unknown
// script user, and (with enable_script_security) a root-run script that a
// non-root user could change are errors. src is the file's text, used for
// positions; it may be nil.
func CheckHost(c *Config, src []byte, h Host) (warnings, errs Errors) {
	hc := &hostCheck{c: c, h: h, warn: &decoder{file: c.File}, err: &decoder{file: c.File}}
	hc.run()
	if len(c.Included) > 0 && src != nil {
		// positions in the main and included files: their text again
		if all, segs, _ := withIncludes(c.File, src); segs != nil {
			for _, es := range []Errors{hc.warn.errs, hc.err.errs} {
				locate(es, all)
				remap(es, segs)
				sortErrorsByFile(es, segs)
			}
			return hc.warn.errs, hc.err.errs
		}
	}
	locate(hc.warn.errs, src)
	locate(hc.err.errs, src)
	sortErrors(hc.warn.errs)
	sortErrors(hc.err.errs)
	return hc.warn.errs, hc.err.errs
}

type hostCheck struct {
	c         *Config
	h         Host
	warn, err *decoder
	ifSeen    map[string]bool
}

func (hc *hostCheck) iface(path, name string, vmacs map[string]bool) {
	if name == "" || vmacs[name] {
		return
	}
	if hc.ifSeen == nil {
		hc.ifSeen = map[string]bool{}
	}
	ok, seen := hc.ifSeen[name]
	if !seen {
		ok = hc.h.InterfaceExists(name)
		hc.ifSeen[name] = ok
	}
	if !ok {
		hc.warn.errorf(path, "interface %q does not exist on this host", name)
	}
}

func (hc *hostCheck) run() {
	c := hc.c
	g := &c.Global
	vmacs := map[string]bool{}
	for _, in := range c.Instances {
		if in.UseVMAC {
			vmacs[in.VMACName] = true
		}
	}
	if g.ScriptUser != "" && !hc.h.UserExists(g.ScriptUser) {
		hc.err.errorf("global.script_user", "user %q does not exist", g.ScriptUser)
	}
	if sd := g.LVSSyncDaemon; sd != nil {
		hc.iface("global.lvs_sync_daemon.interface", sd.Interface, vmacs)
	}
	hc.script("global.notify_fifo_script", g.NotifyFIFOScript)
	hc.script("global.vrrp_notify_fifo_script", g.VRRPNotifyFIFOScript)
	for i, s := range c.Scripts {
		hc.script(fmt.Sprintf("vrrp_script[%d].script", i), s.Script)
	}
	for i, sg := range c.SyncGroups {
		base := fmt.Sprintf("vrrp_sync_group[%d]", i)
		hc.notify(base, sg.Notify)
		for j, t := range sg.TrackInterfaces {
			hc.iface(fmt.Sprintf("%s.track_interface[%d]", base, j), t.Name, vmacs)
		}
	}
	for i, in := range c.Instances {
		base := fmt.Sprintf("vrrp_instance[%d]", i)
		hc.iface(base+".interface", in.Interface, vmacs)
		for j, v := range in.VIPs {
			if v.Dev != in.Interface {
				hc.iface(fmt.Sprintf("%s.virtual_ipaddress[%d]", base, j), v.Dev, vmacs)
			}
		}
		for j, v := range in.ExcludedVIPs {
			if v.Dev != in.Interface {
				hc.iface(fmt.Sprintf("%s.virtual_ipaddress_excluded[%d]", base, j), v.Dev, vmacs)
			}
		}
		for j, r := range in.Routes {
			hc.iface(fmt.Sprintf("%s.virtual_routes[%d]", base, j), r.Dev, vmacs)
		}
		for j, t := range in.TrackInterfaces {
			hc.iface(fmt.Sprintf("%s.track_interface[%d]", base, j), t.Name, vmacs)
		}
		hc.notify(base, in.Notify)
	}
	for i, vs := range c.VirtualServers {
		base := fmt.Sprintf("virtual_server[%d]", i)
		hc.script(base+".quorum_up", vs.QuorumUp)
		hc.script(base+".quorum_down", vs.QuorumDown)
		for j, rs := range vs.RealServers {
			rb := fmt.Sprintf("%s.real_server[%d]", base, j)
			hc.script(rb+".notify_up", rs.NotifyUp)
			hc.script(rb+".notify_down", rs.NotifyDown)
			for k, m := range rs.Checks().MiscCheck {
				hc.script(fmt.Sprintf("%s.misc_check[%d].misc_path", rb, k), m.Path)
			}
			for k, h := range rs.Checks().HTTPGet {
				hc.iface(fmt.Sprintf("%s.http_get[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
			for k, h := range rs.Checks().SSLGet {
				hc.iface(fmt.Sprintf("%s.ssl_get[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
			for k, h := range rs.Checks().TCPCheck {
				hc.iface(fmt.Sprintf("%s.tcp_check[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
			for k, h := range rs.Checks().PingCheck {
				hc.iface(fmt.Sprintf("%s.ping_check[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
			for k, h := range rs.Checks().SMTPCheck {
				hc.iface(fmt.Sprintf("%s.smtp_check[%d].bind_if", rb, k), h.BindIf, vmacs)
				for l, ho := range h.Hosts {
					hc.iface(fmt.Sprintf("%s.smtp_check[%d].host[%d].bind_if", rb, k, l), ho.BindIf, vmacs)
				}
			}
			for k, h := range rs.Checks().DNSCheck {
				hc.iface(fmt.Sprintf("%s.dns_check[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
			for k, h := range rs.Checks().UDPCheck {
				hc.iface(fmt.Sprintf("%s.udp_check[%d].bind_if", rb, k), h.BindIf, vmacs)
			}
		}
	}
	hc.carp(vmacs) // carp.go
	for _, f := range []struct{ key, path string }{
		{"global.ssl_ca", g.SSLCA}, {"global.ssl_certificate", g.SSLCertificate}, {"global.ssl_key", g.SSLKey},
	} {
		if f.path == "" {
			continue
		}
		if _, err := hc.h.Stat(f.path); err != nil {
			hc.err.errorf(f.key, "%s: %v", f.path, unwrapPath(err))
		}
	}
}

func (hc *hostCheck) notify(base string, n NotifySet) {
	hc.script(base+".notify", n.Notify)
	hc.script(base+".notify_master", n.Master)
	hc.script(base+".notify_backup", n.Backup)
	hc.script(base+".notify_fault", n.Fault)
	hc.script(base+".notify_stop", n.Stop)
	hc.script(base+".notify_deleted", n.Deleted)
	hc.script(base+".notify_master_rx_lower_pri", n.MasterRxLowerPri)
}

// script checks that the program of cmd exists and is executable, and with
// enable_script_security that no non-root user can change a root-run one.
func (hc *hostCheck) script(path string, cmd Command) {
	if cmd.IsZero() {
		return
	}
	args, err := SplitCommand(cmd.Line)
	if errors.Is(err, ErrEmptyCommand) {
		hc.err.errorf(path, "empty command line")
		return
	}
	if err != nil {
		hc.err.errorf(path, "%v", err)
		return
	}
	prog := args[0]
	if !strings.Contains(prog, "/") {
		p, err := hc.h.LookPath(prog)
		if err != nil {
			hc.err.errorf(path, "program %q not found in $PATH", prog)
			return
		}
		prog = p
	} else if !filepath.IsAbs(prog) {
		hc.err.errorf(path, "program %q is a relative path (use an absolute one)", prog)
		return
	}
	fi, err := hc.h.Stat(prog)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hc.err.errorf(path, "script %s does not exist", prog)
		return
	case err != nil:
		hc.err.errorf(path, "script %s: %v", prog, err)
		return
	case fi.Mode.IsDir():
		hc.err.errorf(path, "script %s is a directory", prog)
		return
	case fi.Mode.Perm()&0o111 == 0:
		hc.err.errorf(path, "script %s is not executable (mode %04o)", prog, fi.Mode.Perm())
		return
	}
	user, _ := cmd.RunAs(hc.c.Global)
	if cmd.User != "" && !hc.h.UserExists(cmd.User) {
		hc.err.errorf(path, "user %q does not exist", cmd.User)
	}
	if !hc.c.Global.EnableScriptSecurity || user != "root" {
		return
	}
	// The file and every directory above it must be changeable by root
	// only: owned by root, not writable by a non-root group or by others.
	var insecure *InsecureScriptError
	switch err := CheckScriptSecureStat(prog, hc.h.Stat); {
	case errors.As(err, &insecure):
		hc.err.errorf(path, "%v (enable_script_security)", insecure)
	case err != nil:
		hc.err.errorf(path, "%v", err)
	}
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
