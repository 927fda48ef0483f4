package config

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exampleHost is this repository as a host: scripts under
// /etc/lvsd/scripts/ are the files in contrib/scripts (taken as root-owned,
// as an installation makes them), interfaces eth0, eth1 and ens9 exist.
type exampleHost struct{ OSHost }

func (exampleHost) InterfaceExists(n string) bool { return n == "eth0" || n == "eth1" || n == "ens9" }
func (exampleHost) LookPath(f string) (string, error) {
	if f == "pidof" {
		return "/usr/bin/pidof", nil
	}
	return "", fs.ErrNotExist
}
func (exampleHost) UserExists(n string) bool { return n == "root" }
func (h exampleHost) Stat(p string) (FileInfo, error) {
	switch {
	case strings.HasPrefix(p, "/etc/lvsd/scripts/"):
		fi, err := h.OSHost.Stat(filepath.Join("../contrib/scripts", strings.TrimPrefix(p, "/etc/lvsd/scripts/")))
		fi.UID, fi.GID = 0, 0
		return fi, err
	case p == "/usr/bin/pidof", p == "/etc/lvsd/scripts", p == "/etc/lvsd", p == "/etc", p == "/usr/bin", p == "/usr", p == "/":
		mode := fs.ModeDir | 0o755
		if p == "/usr/bin/pidof" {
			mode = 0o755
		}
		return FileInfo{Mode: mode}, nil
	}
	return FileInfo{}, fs.ErrNotExist
}

// TestExamples loads every file in contrib/examples, checks it against the
// host it is written for (its scripts are those in contrib/scripts), and
// checks what issue 3 asks of each deployment.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../contrib/examples/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	loaded := map[string]*Config{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("does not load:\n%v", err)
			}
			warns, errs := CheckHost(c, nil, exampleHost{})
			if len(warns)+len(errs) > 0 {
				t.Errorf("host check: warnings %v errors %v", warns, errs)
			}
			loaded[filepath.Base(f)] = c
		})
	}
	inst := func(name string) *VRRPInstance {
		c := loaded[name]
		if c == nil || len(c.Instances) != 1 {
			t.Fatalf("%s: want one instance", name)
		}
		return &c.Instances[0]
	}
	// 1: cloud floating IP.
	a, b := inst("cloud-floating-ip-a.toml"), inst("cloud-floating-ip-b.toml")
	if a.VirtualRouterID != 33 || b.VirtualRouterID != 33 || a.Priority != 200 || b.Priority != 100 ||
		a.Auth.Type != "PASS" || a.Auth != b.Auth || len(a.UnicastPeers) != 1 ||
		a.UnicastPeers[0].IP != b.UnicastSrcIP || b.UnicastPeers[0].IP != a.UnicastSrcIP ||
		!strings.Contains(a.Notify.Master.Line, "cloud-floating-ip.sh") {
		t.Errorf("example 1 is not the cloud pair of issue 3: %+v / %+v", a, b)
	}
	if s := loaded["cloud-floating-ip-a.toml"].Scripts; len(s) != 1 || s[0].Script.Line != "pidof nginx" || s[0].Interval != 2*time.Second {
		t.Errorf("example 1: want a pidof nginx check every 2 s, got %+v", s)
	}
	// 2: nginx pair with LVS.
	a, b = inst("nginx-lvs-a.toml"), inst("nginx-lvs-b.toml")
	if a.VirtualRouterID != 51 || a.Priority != 100 || b.Priority != 50 || a.VIPs[0].Prefix.Addr().String() != "192.168.27.160" {
		t.Errorf("example 2 instances: %+v / %+v", a, b)
	}
	c2 := loaded["nginx-lvs-a.toml"]
	if c2.Scripts[0].Weight != -20 || len(c2.VirtualServers) != 1 {
		t.Fatalf("example 2: %+v", c2)
	}
	vs := c2.VirtualServers[0]
	if vs.IP.String() != "192.168.200.100" || vs.Port != 443 || vs.LBAlgo != "rr" || vs.LBKind != "NAT" || vs.PersistenceTimeout != 50*time.Second {
		t.Errorf("example 2 virtual server: %+v", vs)
	}
	for _, rs := range vs.RealServers {
		if len(rs.Checkers.SSLGet) != 1 {
			t.Fatalf("example 2: want one ssl_get per real server")
		}
		g := rs.Checkers.SSLGet[0]
		if len(g.URLs) != 2 || g.URLs[0].Digest == "" || g.URLs[1].Digest == "" || g.ConnectTimeout != 3*time.Second || g.Retry != 3 || g.DelayBeforeRetry != 3*time.Second {
			t.Errorf("example 2 ssl_get: %+v", g)
		}
	}
	// 3: ucarp-style pair, preemption on the master only.
	a, b = inst("ucarp-floating-ip-master.toml"), inst("ucarp-floating-ip-backup.toml")
	if !a.Preempt || b.Preempt || a.AdvertInt != time.Second || a.Auth.Pass == "" || a.Auth != b.Auth ||
		a.Notify.Master.IsZero() || a.Notify.Backup.IsZero() || a.VIPs[0] != b.VIPs[0] {
		t.Errorf("example 3: %+v / %+v", a, b)
	}
	// 4: non-preemptive equal pair.
	a, b = inst("nopreempt-pair-a.toml"), inst("nopreempt-pair-b.toml")
	for _, in := range []*VRRPInstance{a, b} {
		if in.State != "BACKUP" || in.Preempt || len(in.UnicastPeers) != 1 || len(in.TrackInterfaces) != 1 ||
			in.GARPMasterDelay != time.Second || in.GARPMasterRefresh != 5*time.Second {
			t.Errorf("example 4: %+v", in)
		}
		for _, n := range []Command{in.Notify.Master, in.Notify.Backup, in.Notify.Fault, in.Notify.Stop} {
			if args := n.Args(); len(args) != 2 || !strings.HasSuffix(args[0], "notify-state.sh") {
				t.Errorf("example 4: notify %q is not the one script with the state", n.Line)
			}
		}
	}
	if a.Priority != b.Priority {
		t.Errorf("example 4: priorities %d and %d differ", a.Priority, b.Priority)
	}
	// 5: priority from the machine's state.
	c5 := loaded["priority-from-state.toml"]
	in := inst("priority-from-state.toml")
	if in.Priority != 244 || c5.TrackProcesses[0].Process != "httpd" || c5.TrackProcesses[0].Weight != 10 ||
		c5.TrackFiles[0].Weight != 1 || in.TrackInterfaces[0] != (TrackRef{Name: "ens9", Weight: 5, WeightSet: true}) ||
		in.Notify.Notify.IsZero() {
		t.Errorf("example 5: %+v", c5)
	}
	if s := c5.Scripts[0]; s.Interval != time.Second || s.Timeout != 5*time.Second || s.Rise != 3 || s.Fall != 3 {
		t.Errorf("example 5 script: %+v", s)
	}
}
