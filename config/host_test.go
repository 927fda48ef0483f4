package config

import (
	"io/fs"
	"os"
	"path"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeHost is a host with a few interfaces, files and users.
type fakeHost struct {
	ifaces map[string]bool
	files  map[string]FileInfo
	users  map[string]bool
	path   []string // directories searched by LookPath
}

func (h *fakeHost) InterfaceExists(n string) bool { return h.ifaces[n] }

func (h *fakeHost) Stat(p string) (FileInfo, error) {
	if fi, ok := h.files[p]; ok {
		return fi, nil
	}
	return FileInfo{}, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
}

func (h *fakeHost) LookPath(f string) (string, error) {
	for _, d := range h.path {
		if fi, ok := h.files[path.Join(d, f)]; ok && fi.Mode&0o111 != 0 {
			return path.Join(d, f), nil
		}
	}
	return "", fs.ErrNotExist
}

func (h *fakeHost) UserExists(n string) bool { return h.users[n] }

func newFakeHost() *fakeHost {
	dir := FileInfo{Mode: fs.ModeDir | 0o755}
	exe := FileInfo{Mode: 0o755}
	return &fakeHost{
		ifaces: map[string]bool{"lo": true, "eth0": true, "ens9": true},
		users:  map[string]bool{"root": true, "lvsd_script": true},
		path:   []string{"/usr/bin"},
		files: map[string]FileInfo{
			"/": dir, "/usr": dir, "/usr/bin": dir, "/etc": dir,
			"/etc/lvsd": dir, "/etc/keepalived": dir, "/usr/local": dir, "/usr/local/bin": dir,
			"/usr/bin/pidof":                      exe,
			"/etc/lvsd/group-master.sh":           exe,
			"/etc/keepalived/master.sh":           exe,
			"/etc/keepalived/notify_action.sh":    exe,
			"/usr/local/bin/keepalived_notify.sh": exe,
			"/usr/local/bin/check_app":            exe,
			"/etc/lvsd/noexec.sh":                 {Mode: 0o644},
			"/etc/lvsd/world.sh":                  {Mode: 0o757},
			"/etc/lvsd/group.sh":                  {Mode: 0o775, GID: 100},
			"/etc/lvsd/rootgroup.sh":              {Mode: 0o775, GID: 0},
			"/etc/lvsd/owned.sh":                  {Mode: 0o755, UID: 1000},
			"/home":                               dir,
			"/home/u":                             {Mode: fs.ModeDir | 0o755, UID: 1000},
			"/home/u/s.sh":                        exe,
		},
	}
}

func TestCheckHostSketch(t *testing.T) {
	src, err := os.ReadFile("testdata/sketch.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("sketch.toml", src)
	if err != nil {
		t.Fatal(err)
	}
	h := newFakeHost()
	warns, errs := CheckHost(c, src, h)
	if len(warns) != 0 || len(errs) != 0 {
		t.Fatalf("sketch on a host with eth0 and ens9: warnings %v, errors %v", warns, errs)
	}
	delete(h.ifaces, "ens9")
	warns, errs = CheckHost(c, src, h)
	want := []string{`sketch.toml:70:20: vrrp_instance[0].track_interface[0]: interface "ens9" does not exist on this host`}
	if diff := cmp.Diff(want, strs(warns)); diff != "" || len(errs) != 0 {
		t.Errorf("without ens9: warnings (-want +got):\n%s\nerrors: %v", diff, errs)
	}
}

func strs(es Errors) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}

func TestCheckHostScripts(t *testing.T) {
	const head = "[global]\nscript_user = \"root\"\nenable_script_security = true\n"
	tests := []struct {
		name   string
		script string
		user   string
		want   []string
	}{
		{"ok in PATH", "pidof nginx", "", nil},
		{"ok quoted", `"/etc/lvsd/group-master.sh" a b`, "", nil},
		{"root group writable ok", "/etc/lvsd/rootgroup.sh", "", nil},
		{"missing", "/etc/lvsd/nope.sh arg", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd/nope.sh does not exist"}},
		{"not in PATH", "nosuchprog", "", []string{`t.toml:6:1: vrrp_script[0].script: program "nosuchprog" not found in $PATH`}},
		{"relative", "./x.sh", "", []string{`t.toml:6:1: vrrp_script[0].script: program "./x.sh" is a relative path (use an absolute one)`}},
		{"not executable", "/etc/lvsd/noexec.sh", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd/noexec.sh is not executable (mode 0644)"}},
		{"directory", "/etc/lvsd", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd is a directory"}},
		{"world writable", "/etc/lvsd/world.sh", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd/world.sh runs as root but is writable by every user (enable_script_security)"}},
		{"group writable", "/etc/lvsd/group.sh", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd/group.sh runs as root but is writable by group 100 (enable_script_security)"}},
		{"owned by user", "/etc/lvsd/owned.sh", "", []string{"t.toml:6:1: vrrp_script[0].script: script /etc/lvsd/owned.sh runs as root but is owned by uid 1000 (enable_script_security)"}},
		{"directory owned by user", "/home/u/s.sh", "", []string{"t.toml:6:1: vrrp_script[0].script: directory /home/u of script /home/u/s.sh runs as root but is owned by uid 1000 (enable_script_security)"}},
		{"not root: no security check", "/etc/lvsd/world.sh", "lvsd_script", nil},
		{"unknown user", "pidof x", "nobody2", []string{`t.toml:6:1: vrrp_script[0].script: user "nobody2" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + "[[vrrp_script]]\nname = \"s\"\nscript = " + quote(tt.script) + "\n"
			if tt.user != "" {
				src += "user = " + quote(tt.user) + "\n"
			}
			c, err := Parse("t.toml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			warns, errs := CheckHost(c, []byte(src), newFakeHost())
			if diff := cmp.Diff(tt.want, strs(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if len(warns) != 0 {
				t.Errorf("warnings: %v", warns)
			}
		})
	}
}

func TestCommandArgs(t *testing.T) {
	tests := map[string][]string{
		"pidof nginx":                   {"pidof", "nginx"},
		`  /bin/x "a b"  'c "d' e\ f  `: {"/bin/x", "a b", `c "d`, "e f"},
		`""`:                            {""},
		"":                              nil,
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, Command{Line: in}.Args()); diff != "" {
			t.Errorf("Args(%q) (-want +got):\n%s", in, diff)
		}
	}
}
