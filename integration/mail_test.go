package integration

import (
	"bytes"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestMailVRRP: `lvsd run` in a namespace mails its VRRP transitions to
// Debian's aiosmtpd on the namespace's loopback: BACKUP at start, MASTER
// when it takes over, and "Stopping" at a graceful stop, with keepalived's
// subjects and bodies and the configured envelope.
func TestMailVRRP(t *testing.T) {
	t.Parallel()
	py := testenv.NeedPythonModule(t, "aiosmtpd")
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	md := filepath.Join(t.TempDir(), "Maildir")
	srv := n1.Start(py, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:2525", "-c", "aiosmtpd.handlers.Mailbox", md)
	t.Cleanup(srv.Kill)
	if !netlab.WaitFor(20*time.Second, func() bool {
		_, err := n1.Exec(t.Context(), "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2525")
		return err == nil
	}) {
		t.Fatalf("aiosmtpd not listening:\n%s", srv.Out.String())
	}
	conf := opsConf(`router_id = "lb1"
notification_email = ["ops@example.com", "noc@example.org"]
notification_email_from = "lvsd@lb1.example.com"
smtp_server = "127.0.0.1 2525"
smtp_connect_timeout = 5
smtp_alert = true`, instance{Priority: 200, Version: 3, Advert: fast})
	d := startLvsd(t, n1, conf)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	waitMails(t, filepath.Join(md, "new"), 2) // BACKUP, MASTER
	if err := d.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	msgs := waitMails(t, filepath.Join(md, "new"), 3)
	var got []string
	for _, m := range msgs {
		b, _ := io.ReadAll(m.Body)
		got = append(got, strings.Join([]string{m.Header.Get("X-MailFrom"), m.Header.Get("X-RcptTo"), m.Header.Get("From"),
			m.Header.Get("To"), m.Header.Get("Subject"), strings.TrimSpace(string(b))}, " | "))
		if _, err := m.Header.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}
	}
	env := "lvsd@lb1.example.com | ops@example.com, noc@example.org | lvsd@lb1.example.com | ops@example.com, noc@example.org | "
	want := []string{
		env + "[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is no longer owning VRRP VIPs <=",
		env + "[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=",
		env + "[lb1] VRRP Instance VI_1 - Stopping | => VRRP Instance stopping <=",
	}
	if !slices.Equal(want, got) {
		t.Errorf("mails:\n got %q\nwant %q", got, want)
	}
}

// waitMails waits until the Maildir holds n messages and returns them in
// delivery order (Maildir names start with the delivery time).
func waitMails(t *testing.T, dir string, n int) []*mail.Message {
	t.Helper()
	var es []os.DirEntry
	if !netlab.WaitFor(30*time.Second, func() bool { es, _ = os.ReadDir(dir); return len(es) >= n }) {
		t.Fatalf("%d mails in %s, want %d", len(es), dir, n)
	}
	type stamped struct {
		at time.Time
		m  *mail.Message
	}
	var out []stamped
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := e.Info()
		out = append(out, stamped{fi.ModTime(), m})
	}
	slices.SortStableFunc(out, func(a, b stamped) int { return a.at.Compare(b.at) })
	ms := make([]*mail.Message, len(out))
	for i, s := range out {
		ms[i] = s.m
	}
	return ms
}
