package smtpalert

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/testenv"
)

// startAiosmtpd runs Debian's aiosmtpd on a loopback port with its Mailbox
// handler writing a Maildir; it returns the address and the Maildir's new/.
func startAiosmtpd(t *testing.T) (addr, dir string, stop func()) {
	py := testenv.NeedPythonModule(t, "aiosmtpd")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	md := filepath.Join(t.TempDir(), "Maildir")
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", md)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		select {
		case <-exited:
			return
		default:
		}
		cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(stop)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("aiosmtpd exited: %v", cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return addr, filepath.Join(md, "new"), stop
}

// readMaildir waits until n messages are in dir and parses them, in
// Subject order.
func readMaildir(t *testing.T, dir string, n int) []*mail.Message {
	t.Helper()
	for {
		es, _ := os.ReadDir(dir)
		if len(es) >= n {
			var out []*mail.Message
			for _, e := range es {
				f, err := os.Open(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				m, err := mail.ReadMessage(f)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(m.Body)
				if err != nil {
					t.Fatal(err)
				}
				m.Body = bytes.NewReader(b)
				f.Close()
				out = append(out, m)
			}
			slices.SortFunc(out, func(a, b *mail.Message) int { return strings.Compare(a.Header.Get("Subject"), b.Header.Get("Subject")) })
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAiosmtpd delivers a VRRP transition and a checker failure to a real
// SMTP server (Debian python3-aiosmtpd) and checks envelope, headers and
// body; then the server stops and a delivery fails as "connect".
func TestAiosmtpd(t *testing.T) {
	addr, dir, stop := startAiosmtpd(t)
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.FixedZone("", 3600))
	to := []string{"ops@example.com", "noc@example.org"}
	s := New(Config{Server: addr, Helo: "lb1.example.com", From: "lvsd@lb1.example.com", To: to, Timeout: 10 * time.Second},
		Options{Attempts: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	s.Enqueue(InstanceMessage("lb1", "VI_1", Master, at))
	s.Enqueue(RealServerMessage("lb1", Trio("10.0.0.2", "TCP", 80), Trio("10.0.0.100", "TCP", 80), false, CheckTCP, at))
	msgs := readMaildir(t, dir, 2)

	type got struct{ MailFrom, RcptTo, From, To, Subject, XMailer, Body string }
	var gots []got
	for _, m := range msgs {
		d, err := m.Header.Date()
		if err != nil || !d.Equal(at) {
			t.Errorf("Date %q: %v, want %v", m.Header.Get("Date"), err, at)
		}
		b, _ := io.ReadAll(m.Body)
		gots = append(gots, got{m.Header.Get("X-MailFrom"), m.Header.Get("X-RcptTo"), m.Header.Get("From"), m.Header.Get("To"),
			m.Header.Get("Subject"), m.Header.Get("X-Mailer"), string(b)})
	}
	want := []got{
		{"lvsd@lb1.example.com", "ops@example.com, noc@example.org", "lvsd@lb1.example.com", "ops@example.com, noc@example.org",
			"[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN", "lvsd", "=> TCP CHECK failed on service <=\r\n"},
		{"lvsd@lb1.example.com", "ops@example.com, noc@example.org", "lvsd@lb1.example.com", "ops@example.com, noc@example.org",
			"[lb1] VRRP Instance VI_1 - Entering MASTER state", "lvsd", "=> VRRP Instance is now owning VRRP VIPs <=\r\n"},
	}
	// aiosmtpd's Maildir may store LF line ends.
	for i := range gots {
		if !strings.HasSuffix(gots[i].Body, "\r\n") {
			gots[i].Body = strings.TrimSuffix(gots[i].Body, "\n") + "\r\n"
		}
	}
	if d := cmp.Diff(want, gots); d != "" {
		t.Errorf("messages (-want +got)\n%s", d)
	}

	stop() // the server is down now
	s.Enqueue(InstanceMessage("lb1", "VI_1", Backup, at))
	s.Close()
	<-done
	st := s.Stats()
	if st.Sent != 2 || st.Failed[ReasonConnect] != 1 {
		t.Errorf("stats %+v, want 2 sent and 1 connect failure", st)
	}
}
