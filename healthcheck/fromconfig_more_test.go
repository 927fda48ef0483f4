package healthcheck

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestFromConfigSMTPHosts: an smtp_check with legacy host blocks checks
// each host (and its own target only when it sets a connection key), with
// the checker's helo_name and timings; bind_if reaches every checker kind.
func TestFromConfigSMTPHosts(t *testing.T) {
	const conf = `
[[virtual_server]]
ip = "10.0.0.1"
port = 25
[[virtual_server.real_server]]
ip = "10.0.0.2"
[[virtual_server.real_server.smtp_check]]
helo_name = "lvs.example"
retry = 4
[[virtual_server.real_server.smtp_check.host]]
connect_ip = "10.0.0.3"
[[virtual_server.real_server.smtp_check.host]]
connect_port = 587
bind_if = "eth1"
[[virtual_server.real_server.smtp_check]]
connect_timeout = 2
[[virtual_server.real_server.smtp_check.host]]
connect_ip = "10.0.0.4"
[[virtual_server.real_server.tcp_check]]
bind_if = "eth2"
`
	c, err := config.Parse("t.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Target, BindIf, Helo string
		Timeout              time.Duration
		Retry                int
	}
	var gs []got
	for _, ch := range specs[0].Checks {
		if s, ok := ch.Checker.(*SMTPChecker); ok {
			gs = append(gs, got{s.spec.Target.String(), s.spec.BindIf, s.spec.Helo, s.spec.Timeout, ch.Policy.Retry})
		}
	}
	want := []got{
		{"10.0.0.3:25", "", "lvs.example", 5 * time.Second, 4},
		{"10.0.0.2:587", "eth1", "lvs.example", 5 * time.Second, 4},
		{"10.0.0.2:25", "", "smtpchecker.keepalived.org", 2 * time.Second, 1},
		{"10.0.0.4:25", "", "smtpchecker.keepalived.org", 5 * time.Second, 1},
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("smtp checkers (-want +got):\n%s", diff)
	}
	tc := specs[0].Checks[0].Checker.(*TCPChecker)
	if tc.spec.BindIf != "eth2" {
		t.Errorf("tcp_check bind_if %q", tc.spec.BindIf)
	}
}

// TestBindIf: bind_if binds the check socket to an interface: lo reaches a
// loopback listener, an interface that does not exist is a connect error.
func TestBindIf(t *testing.T) {
	testenv.NeedRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	for _, tc := range []struct {
		ifname string
		want   Reason
	}{{"lo", ReasonOK}, {"lvsdnoif0", ReasonConnect}} {
		c, _ := NewTCPChecker(TCPSpec{Target: addr, BindIf: tc.ifname, Timeout: time.Second})
		if r := c.Check(context.Background()); r.Reason != tc.want {
			t.Errorf("bind_if %s: %s, want %s", tc.ifname, r.Detail(), tc.want)
		}
	}
}
