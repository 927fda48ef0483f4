package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// silentAddr returns a loopback address whose listener never accepts and
// whose accept queue is full: the kernel drops further SYNs, so a connect
// to it stays in progress (the connect-phase timeout, which a plain
// listener cannot give).
func silentAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the queue (backlog 0 holds one connection; two to be sure).
	for range 2 {
		c, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err != nil {
			continue
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

// TestTCPCheckerRaw covers the raw-socket connect's outcomes beyond
// TestTCPChecker: a connect that never completes ends at connect_timeout
// (or when ctx ends), and bind errors are connect errors.
func TestTCPCheckerRaw(t *testing.T) {
	open := rawListener(t, func(net.Conn) {})
	silent := silentAddr(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name    string
		spec    TCPSpec
		ctx     func() (context.Context, context.CancelFunc)
		reason  Reason
		atLeast time.Duration
	}{
		{name: "timeout", spec: TCPSpec{Target: silent, Timeout: 200 * time.Millisecond}, reason: ReasonTimeout, atLeast: 200 * time.Millisecond},
		{name: "ctx deadline", spec: TCPSpec{Target: silent, Timeout: 10 * time.Second}, reason: ReasonTimeout, atLeast: 100 * time.Millisecond,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			}},
		{name: "canceled while connecting", spec: TCPSpec{Target: silent, Timeout: 10 * time.Second}, reason: ReasonCanceled, atLeast: 100 * time.Millisecond,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			}},
		{name: "canceled before", spec: TCPSpec{Target: open, Timeout: time.Second}, reason: ReasonCanceled,
			ctx: func() (context.Context, context.CancelFunc) { return canceled, func() {} }},
		{name: "no timeout", spec: TCPSpec{Target: open}, reason: ReasonOK},
		{name: "bind to a foreign address", spec: TCPSpec{Target: open, Bind: netip.MustParseAddrPort("192.0.2.1:0"), Timeout: time.Second}, reason: ReasonConnect},
		{name: "bind family differs", spec: TCPSpec{Target: open, Bind: netip.MustParseAddrPort("[::1]:0"), Timeout: time.Second}, reason: ReasonConnect},
		{name: "bind to an unknown interface", spec: TCPSpec{Target: open, BindIf: "lvsd-no-such0", Timeout: time.Second}, reason: ReasonConnect},
		{name: "4in6 target", spec: TCPSpec{Target: netip.AddrPortFrom(netip.AddrFrom16(open.Addr().As16()), open.Port()), Timeout: time.Second}, reason: ReasonOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewTCPChecker(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			start := time.Now()
			r := c.Check(ctx)
			took := time.Since(start)
			t.Log(r.Detail())
			if r.Reason != tt.reason {
				t.Fatalf("%s, want %v", r.Detail(), tt.reason)
			}
			// Promptness, with room for a loaded machine.
			if took < tt.atLeast || took > tt.atLeast+3*time.Second {
				t.Errorf("took %v, want about %v", took, tt.atLeast)
			}
		})
	}
}

// TestTCPCheckerIPv6 connects to ::1 when the host has it.
func TestTCPCheckerIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("skipping: no IPv6 loopback: %v", err)
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
	target := netip.MustParseAddrPort(ln.Addr().String())
	for _, bind := range []netip.AddrPort{{}, netip.MustParseAddrPort("[::1]:0")} {
		c, _ := NewTCPChecker(TCPSpec{Target: target, Bind: bind, Timeout: time.Second})
		if r := c.Check(context.Background()); r.Reason != ReasonOK {
			t.Errorf("bind %v: %s", bind, r.Detail())
		}
	}
}

// TestHTTPCheckerEndlessBody: a body that streams without pause still
// ends at connect_timeout, whether or not a read ever had to wait.
func TestHTTPCheckerEndlessBody(t *testing.T) {
	endless := rawListener(t, func(c net.Conn) {
		readRequest(c)
		c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	c := mustHTTP(t, HTTPSpec{Target: endless, Timeout: 300 * time.Millisecond, URLs: []URLSpec{{Path: "/"}}})
	start := time.Now()
	r := c.Check(context.Background())
	if r.Reason != ReasonTimeout {
		t.Fatalf("%s, want timeout", r.Detail())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v, want about 300ms", took)
	}
}
