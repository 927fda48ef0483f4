package config

import (
	"net/netip"
	"testing"
)

func TestVirtualServerName(t *testing.T) {
	for _, tt := range []struct {
		vs   VirtualServer
		want string
	}{
		{VirtualServer{IP: netip.MustParseAddr("192.168.200.100"), Port: 443}, "192.168.200.100:443"},
		{VirtualServer{IP: netip.MustParseAddr("2001:db8::1"), Port: 80}, "[2001:db8::1]:80"},
		{VirtualServer{FWMark: 7, Family: 4}, "fwmark 7"},
		{VirtualServer{Group: "web", FWMark: 7}, "group web"},
		{VirtualServer{IP: netip.MustParseAddr("10.0.0.1")}, "10.0.0.1:0"},
	} {
		if got := tt.vs.Name(); got != tt.want {
			t.Errorf("%+v.Name() = %q, want %q", tt.vs, got, tt.want)
		}
	}
}

func TestCommandRunAs(t *testing.T) {
	g := Global{ScriptUser: "lvsd_script", ScriptGroup: "lvsd"}
	for _, tt := range []struct {
		c           Command
		g           Global
		user, group string
	}{
		{Command{Line: "/x"}, g, "lvsd_script", "lvsd"},
		{Command{Line: "/x", User: "nobody"}, g, "nobody", ""},
		{Command{Line: "/x", User: "nobody", Group: "nogroup"}, g, "nobody", "nogroup"},
		{Command{Line: "/x"}, Global{}, "", ""},
	} {
		if u, gr := tt.c.RunAs(tt.g); u != tt.user || gr != tt.group {
			t.Errorf("%+v.RunAs = %q, %q; want %q, %q", tt.c, u, gr, tt.user, tt.group)
		}
	}
}
