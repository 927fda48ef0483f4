package healthcheck

import (
	"bytes"
	"net"
	"net/netip"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// server is a real server process started for a test (aiosmtpd, dnsmasq,
// socat), killed by PID at cleanup.
type server struct {
	t    testing.TB
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

var loopback = netip.MustParseAddr("127.0.0.1")

// startServer runs argv and waits until ready reports true.
func startServer(t testing.TB, ready func() bool, argv ...string) *server {
	t.Helper()
	s := &server{t: t, cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	// its own process group, killed whole by stop: socat's fork children
	// otherwise keep the output pipe open and Wait never returns
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.WaitDelay = 5 * time.Second
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(10 * time.Second)
	for !ready() {
		select {
		case <-s.done:
			t.Fatalf("%s exited: %s", argv[0], s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 10s", argv[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// stop kills the process and the children it forked (its process group,
// by the PID it started with) and waits for it.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// tcpReady reports whether a TCP connect to a succeeds.
func tcpReady(a netip.AddrPort) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", a.String(), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

// freeUDPPort returns a UDP port free on loopback just now.
func freeUDPPort(t testing.TB) uint16 {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}
