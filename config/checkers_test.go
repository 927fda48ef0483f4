package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCheckDefaultsInherited: checker options on a virtual_server and
// real_server apply to the checkers below; the checker wins, then the real
// server, then the virtual server, then the checker kind's default.
func TestCheckDefaultsInherited(t *testing.T) {
	const conf = `
[[virtual_server]]
ip = "10.0.0.1"
port = 80
delay_loop = 30
retry = 4
connect_timeout = 9
warmup = 2
virtualhost = "vs.example"
[[virtual_server.real_server]]
ip = "10.0.0.2"
delay_before_retry = 7
connect_timeout = 8
virtualhost = "rs.example"
[[virtual_server.real_server.tcp_check]]
[[virtual_server.real_server.tcp_check]]
retry = 1
connect_timeout = 1
[[virtual_server.real_server.http_get]]
url = [{ path = "/" }]
[[virtual_server.real_server.dns_check]]
[[virtual_server.real_server.misc_check]]
misc_path = "/bin/true"
[[virtual_server.real_server]]
ip = "10.0.0.3"
delay_loop = 5
[[virtual_server.real_server.dns_check]]
`
	c, err := Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	type eff struct {
		Retry                      int
		DBR, Timeout, Warmup, Loop time.Duration
	}
	of := func(c CheckCommon) eff {
		return eff{c.Retry, c.DelayBeforeRetry, c.ConnectTimeout, c.Warmup, c.DelayLoop}
	}
	a, b := c.VirtualServers[0].RealServers[0].Checkers, c.VirtualServers[0].RealServers[1].Checkers
	got := []eff{of(a.TCPCheck[0].CheckCommon), of(a.TCPCheck[1].CheckCommon), of(a.HTTPGet[0].CheckCommon),
		of(a.DNSCheck[0].CheckCommon), of(b.DNSCheck[0].CheckCommon)}
	s := time.Second
	want := []eff{
		{4, 7 * s, 8 * s, 2 * s, 30 * s},
		{1, 7 * s, 1 * s, 2 * s, 30 * s},
		{4, 7 * s, 8 * s, 2 * s, 30 * s},
		{4, 7 * s, 8 * s, 2 * s, 30 * s}, // dns: the inherited retry and delay_before_retry win over its own defaults
		{4, 5 * s, 9 * s, 2 * s, 5 * s},  // dns: delay_before_retry = its delay_loop
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective timings (-want +got):\n%s", diff)
	}
	if m := a.MiscCheck[0]; m.Retry != 4 || m.DelayBeforeRetry != 7*s || m.Warmup != 2*s || m.DelayLoop != 30*s {
		t.Errorf("misc_check %+v", m)
	}
	if v := a.HTTPGet[0].Virtualhost; v != "rs.example" {
		t.Errorf("http_get virtualhost %q, want the real server's", v)
	}
}

// TestUDPRequireReplyHex: keepalived's "require_reply HEX" written as a
// string is the reply pattern, wildcards included.
func TestUDPRequireReplyHex(t *testing.T) {
	c, err := Parse("t.toml", []byte("[[virtual_server]]\nip = \"10.0.0.1\"\nport = 53\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\n[[virtual_server.real_server.udp_check]]\nrequire_reply = \"0a Bx\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	u := c.VirtualServers[0].RealServers[0].Checkers.UDPCheck[0]
	if !u.RequireReply || !cmp.Equal(u.Reply, []byte{0x0a, 0xb0}) || !cmp.Equal(u.ReplyMask, []byte{0, 0x0f}) {
		t.Errorf("got %+v", u)
	}
}
