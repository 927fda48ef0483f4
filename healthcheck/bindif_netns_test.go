package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestBindIfLinkLocalNetns: in two namespaces of a lab, a udp_check and a
// tcp_check reach a server's IPv6 link-local address given without a zone
// when bind_if names the interface (which becomes the zone); without
// bind_if the address cannot be reached.
func TestBindIfLinkLocalNetns(t *testing.T) {
	lab := netlab.NewWithOptions(t, netlab.Options{IPv6: true}, "srv", "chk")
	srv, chk := lab.Node("srv"), lab.Node("chk")
	out, err := exec.Command("ip", "-n", srv.NS, "-6", "addr", "show", "dev", "eth0", "scope", "link").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`inet6 (fe80::[0-9a-f:]+)/64`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no link-local address on %s: %s", srv.NS, out)
	}
	ll := netip.MustParseAddr(string(m[1]))
	var pc net.PacketConn
	var ln net.Listener
	if err := srv.Do(func() (err error) {
		if pc, err = net.ListenPacket("udp6", "[::]:7777"); err != nil {
			return err
		}
		ln, err = net.Listen("tcp6", "[::]:7778")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	t.Cleanup(func() { pc.Close(); ln.Close(); <-done; <-done })
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	run := func(c Checker) Result {
		var r Result
		if err := chk.Do(func() error { r = c.Check(context.Background()); return nil }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, bindIf := range []string{"eth0", ""} {
		want := ReasonOK
		if bindIf == "" {
			want = ReasonConnect
		}
		u, _ := NewUDPChecker(UDPSpec{UDPConn: UDPConn{Target: netip.AddrPortFrom(ll, 7777), BindIf: bindIf, Timeout: time.Second}, Payload: []byte("hi"), Reply: []byte("hi")})
		if r := run(u); r.Reason != want {
			t.Errorf("udp_check bind_if %q: %s, want %s", bindIf, r.Detail(), want)
		}
		tc, _ := NewTCPChecker(TCPSpec{Target: netip.AddrPortFrom(ll, 7778), BindIf: bindIf, Timeout: time.Second})
		if r := run(tc); r.Reason != want {
			t.Errorf("tcp_check bind_if %q: %s, want %s", bindIf, r.Detail(), want)
		}
	}
}
