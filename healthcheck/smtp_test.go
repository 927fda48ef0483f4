package healthcheck

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/testenv"
)

// fakeSMTP serves one scripted conversation per connection on loopback:
// it writes greeting, then answers each line read with the next reply;
// an empty reply closes the connection, "hang" sends nothing more.
func fakeSMTP(t *testing.T, greeting string, replies ...string) (netip.AddrPort, func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	got := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(lines) }
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if greeting == "hang" {
					bufio.NewReader(c).ReadString('\n')
					return
				}
				if greeting == "" {
					return
				}
				c.Write([]byte(greeting))
				br := bufio.NewReader(c)
				for _, r := range replies {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					mu.Lock()
					lines = append(lines, l)
					mu.Unlock()
					if r == "" {
						return
					}
					if r == "hang" {
						br.ReadString('\n')
						return
					}
					c.Write([]byte(r))
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort(), got
}

func TestSMTPCheckerReasons(t *testing.T) {
	for _, tc := range []struct {
		name     string
		greeting string
		replies  []string
		want     Reason
		status   int
	}{
		{"ok", "220 mx ESMTP\r\n", []string{"250 hi\r\n", "221 bye\r\n"}, ReasonOK, 0},
		{"multi-line greeting", "220-mx ESMTP\r\n220-more\r\n220 end\r\n", []string{"250 hi\r\n", "221 bye\r\n"}, ReasonOK, 0},
		{"bare LF", "220 mx\n", []string{"250 hi\n", "221 bye\n"}, ReasonOK, 0},
		{"banner 554", "554 go away\r\n", nil, ReasonSMTPBanner, 554},
		{"banner garbage", "hello\r\n", nil, ReasonSMTPBanner, -1},
		{"helo 550", "220 mx\r\n", []string{"550 no\r\n"}, ReasonSMTPHelo, 550},
		{"closed after greeting", "220 mx\r\n", []string{""}, ReasonNoData, 0},
		{"closed at once", "", nil, ReasonNoData, 0},
		{"silent", "hang", nil, ReasonTimeout, 0},
		{"no QUIT reply", "220 mx\r\n", []string{"250 hi\r\n", "hang"}, ReasonTimeout, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, got := fakeSMTP(t, tc.greeting, tc.replies...)
			c, err := NewSMTPChecker(SMTPSpec{Target: addr, Timeout: 300 * time.Millisecond, Helo: "lvsd.test"})
			if err != nil {
				t.Fatal(err)
			}
			r := c.Check(context.Background())
			if r.Reason != tc.want || r.Status != tc.status {
				t.Errorf("got %s status %d, want %s status %d", r.Detail(), r.Status, tc.want, tc.status)
			}
			if tc.want == ReasonOK {
				if diff := cmp.Diff([]string{"HELO lvsd.test\r\n", "QUIT\r\n"}, got()); diff != "" {
					t.Errorf("client lines (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestSMTPLongLine(t *testing.T) {
	addr, _ := fakeSMTP(t, "220 "+strings.Repeat("x", 3000)+"\r\n", "250 ok\r\n", "221 bye\r\n")
	c, _ := NewSMTPChecker(SMTPSpec{Target: addr, Timeout: time.Second, Helo: "h"})
	if r := c.Check(context.Background()); !r.OK() {
		t.Fatal(r.Detail())
	}
}

func TestSMTPRefusedAndCanceled(t *testing.T) {
	port := freePort(t)
	c, _ := NewSMTPChecker(SMTPSpec{Target: netip.AddrPortFrom(loopback, port), Timeout: time.Second, Helo: "h"})
	if r := c.Check(context.Background()); r.Reason != ReasonRefused {
		t.Errorf("closed port: %s, want refused", r.Detail())
	}
	addr, _ := fakeSMTP(t, "hang")
	c, _ = NewSMTPChecker(SMTPSpec{Target: addr, Timeout: 10 * time.Second, Helo: "h"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if r := c.Check(ctx); r.Reason != ReasonCanceled {
		t.Errorf("canceled: %s, want canceled", r.Detail())
	}
}

// smtpRejectHelo is an aiosmtpd handler whose HELO reply is 550.
const smtpRejectHelo = `
class RejectHelo:
    async def handle_HELO(self, server, session, envelope, hostname):
        return "550 HELO refused by test"
`

// TestSMTPAiosmtpd runs the checker against Debian's aiosmtpd on
// loopback: up; down refused when it stops; down smtp_helo when its
// handler refuses HELO; up again.
func TestSMTPAiosmtpd(t *testing.T) {
	py := testenv.NeedPythonModule(t, "aiosmtpd")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lvsdtest.py"), []byte(smtpRejectHelo), 0o644)
	port := freePort(t)
	addr := netip.AddrPortFrom(loopback, port)
	listen := "127.0.0.1:" + strconv.Itoa(int(port))
	start := func(extra ...string) *server {
		argv := append([]string{py, "-m", "aiosmtpd", "-n", "-l", listen}, extra...)
		s := startServer(t, tcpReady(addr), argv...)
		return s
	}
	c, err := NewSMTPChecker(SMTPSpec{Target: addr, Timeout: 2 * time.Second, Helo: "smtpchecker.keepalived.org"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(want Reason) {
		t.Helper()
		if r := c.Check(context.Background()); r.Reason != want {
			t.Fatalf("got %s, want %s", r.Detail(), want)
		}
	}
	s := start()
	check(ReasonOK)
	s.stop()
	check(ReasonRefused)
	os.Setenv("PYTHONPATH", dir)
	t.Cleanup(func() { os.Unsetenv("PYTHONPATH") })
	s = start("-c", "lvsdtest.RejectHelo")
	check(ReasonSMTPHelo)
	s.stop()
	os.Unsetenv("PYTHONPATH")
	start()
	check(ReasonOK)
}
