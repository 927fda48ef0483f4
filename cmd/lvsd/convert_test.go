package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/config"
)

func TestConvertCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(good, []byte(`@lb1 $P=200
@^lb1 $P=100
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $P
    virtual_ipaddress {
        10.0.0.1/24
    }
}
virtual_server 10.0.0.1 80 {
    real_server 10.0.0.2 80 {
    }
}
`), 0o644)
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("vrrp_instance VI_1 {\n    priority 300\n    bogus\n}\n"), 0o644)
	ucarp := filepath.Join(dir, "ucarp.sh")
	os.WriteFile(ucarp, []byte("ucarp --interface=eth0 --srcip=10.0.0.2 --vhid=3 --pass=secret --addr=10.0.0.1 --upscript=/etc/up --downscript=/etc/down\n"), 0o644)
	out := filepath.Join(dir, "lvsd.toml")

	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring
		wantOutput bool   // out exists afterwards
	}{
		{"stdout", []string{good}, 0, "priority = 100", "no protocol", false},
		{"config id", []string{"--config-id", "lb1", good}, 0, "priority = 200", "", false},
		{"to file", []string{"-o", out, good}, 0, "", "", true},
		{"errors", []string{"-o", out + ".bad", bad}, 1, "", "bad.conf:2: vrrp_instance.priority: 300 out of range 1..255", false},
		{"missing", []string{filepath.Join(dir, "nope.conf")}, 2, "", "no such file", false},
		{"from", []string{"--from", "ucarp2", good}, 2, "", "not one of keepalived", false},
		{"from ucarp", []string{"--from", "ucarp", ucarp}, 0, "vhid = 3", "", false},
		{"no file", nil, 2, "", "want one input FILE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var so, se bytes.Buffer
			code := dispatch(append([]string{"lvsd", "convert"}, tt.args...), &so, &se)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, se.String())
			}
			if !strings.Contains(so.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, so.String())
			}
			if !strings.Contains(se.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, se.String())
			}
			if tt.name == "errors" {
				if _, err := os.Stat(out + ".bad"); err == nil {
					t.Error("output written despite errors")
				}
				if !strings.Contains(se.String(), "bad.conf:3: vrrp_instance.bogus: unknown keyword") {
					t.Errorf("not every error reported:\n%s", se.String())
				}
			}
		})
	}
	if _, err := config.Load(out); err != nil {
		t.Errorf("converted file does not load: %v", err)
	}
}
