package smtpalert

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMessages(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	rs := RealServerMessage("lb1", Trio("10.0.0.2", "TCP", 80), Trio("10.0.0.100", "TCP", 80), false, CheckTCP, at)
	up := RealServerMessage("lb1", Trio("10.0.0.2", "UDP", 53), "FWM 7", true, CheckHTTP, at)
	g, ok := GroupMessage("lb1", "VG_1", Fault, at)
	if !ok {
		t.Fatal("no group message for FAULT")
	}
	if _, ok := GroupMessage("lb1", "VG_1", Deleted, at); ok {
		t.Error("group message for Deleted (keepalived sends none)")
	}
	got := []Message{InstanceMessage("lb1", "VI_1", Master, at), InstanceMessage("lb1", "VI_1", Backup, at), rs, up, g}
	want := []Message{
		{Subject: "[lb1] VRRP Instance VI_1 - Entering MASTER state", Body: "=> VRRP Instance is now owning VRRP VIPs <=", Time: at},
		{Subject: "[lb1] VRRP Instance VI_1 - Entering BACKUP state", Body: "=> VRRP Instance is no longer owning VRRP VIPs <=", Time: at},
		{Subject: "[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN", Body: "=> TCP CHECK failed on service <=", Time: at},
		{Subject: "[lb1] Realserver [10.0.0.2]:udp:53 of virtual server FWM 7 - UP", Body: "=> CHECK succeed on service <=", Time: at},
		{Subject: "[lb1] VRRP Group VG_1 - Entering FAULT state", Body: "=> All VRRP group instances are now in FAULT state <=", Time: at},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	wantData := "Date: Mon, 07 Dec 2026 01:02:03 +0000\r\nFrom: lvsd@lb1\r\nSubject: [lb1] x y\r\nX-Mailer: lvsd\r\nTo: a@x, b@y\r\n\r\n..dot\r\nline\r\n"
	if d := cmp.Diff(wantData, data(Message{Subject: "[lb1] x\ny", Body: ".dot\nline", Time: at}, "lvsd@lb1", []string{"a@x", "b@y"})); d != "" {
		t.Errorf("data (-want +got)\n%s", d)
	}
}

// fakeServer is a scripted SMTP server on loopback: reply maps a command
// verb to its reply (default 250), greet is the greeting ("" = never
// answer: a slow server).
type fakeServer struct {
	ln    net.Listener
	greet string
	reply map[string]string
	mu    sync.Mutex
	lines []string
	wg    sync.WaitGroup
}

func newFake(t *testing.T, greet string, reply map[string]string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, greet: greet, reply: reply}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeServer) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			if f.greet == "" {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				c.Read(make([]byte, 1))
				return
			}
			c.Write([]byte(f.greet + "\r\n"))
			r := bufio.NewReader(c)
			inData := false
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				l = strings.TrimRight(l, "\r\n")
				f.mu.Lock()
				f.lines = append(f.lines, l)
				f.mu.Unlock()
				if inData {
					if l == "." {
						inData = false
						c.Write([]byte("250 queued\r\n"))
					}
					continue
				}
				verb, _, _ := strings.Cut(l, " ")
				rep, ok := f.reply[verb]
				switch {
				case ok:
				case verb == "DATA":
					rep = "354 go ahead"
				case verb == "QUIT":
					rep = "221 bye"
				default:
					rep = "250-ok\r\n250 ok"
				}
				c.Write([]byte(rep + "\r\n"))
				if verb == "DATA" && strings.HasPrefix(rep, "354") {
					inData = true
				}
				if verb == "QUIT" {
					return
				}
			}
		}()
	}
}

func (f *fakeServer) transcript() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func run(t *testing.T, s *Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return func() { s.Close(); <-done; cancel() }
}

func TestDeliverDialogue(t *testing.T) {
	f := newFake(t, "220 fake ESMTP", nil)
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	s := New(Config{Server: f.ln.Addr().String(), Helo: "lb1", From: "lvsd@lb1", To: []string{"a@x", "b@y"}, Timeout: 5 * time.Second}, Options{})
	stop := run(t, s)
	s.Enqueue(InstanceMessage("lb1", "VI_1", Master, at))
	stop()
	want := []string{"HELO lb1", "MAIL FROM:<lvsd@lb1>", "RCPT TO:<a@x>", "RCPT TO:<b@y>", "DATA",
		"Date: Mon, 07 Dec 2026 01:02:03 +0000", "From: lvsd@lb1", "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state",
		"X-Mailer: lvsd", "To: a@x, b@y", "", "=> VRRP Instance is now owning VRRP VIPs <=", ".", "QUIT"}
	if d := cmp.Diff(want, f.transcript()); d != "" {
		t.Errorf("dialogue (-want +got)\n%s", d)
	}
	if st := s.Stats(); st.Sent != 1 || len(st.Failed) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFailures(t *testing.T) {
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := down.Addr().String()
	down.Close()
	for _, tc := range []struct {
		name   string
		server func(t *testing.T) string
		want   Reason
	}{
		{"down", func(*testing.T) string { return downAddr }, ReasonConnect},
		{"slow", func(t *testing.T) string { return newFake(t, "", nil).ln.Addr().String() }, ReasonTimeout},
		{"rejected", func(t *testing.T) string {
			return newFake(t, "220 x", map[string]string{"RCPT": "550 no such user"}).ln.Addr().String()
		}, ReasonRejected},
		{"bad greeting", func(t *testing.T) string { return newFake(t, "554 go away", nil).ln.Addr().String() }, ReasonRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Server: tc.server(t), Helo: "h", From: "f@h", To: []string{"a@x"}, Timeout: 200 * time.Millisecond},
				Options{Attempts: 2, RetryDelay: time.Millisecond})
			stop := run(t, s)
			s.Enqueue(InstanceMessage("lb1", "VI_1", Master, time.Now()))
			stop()
			st := s.Stats()
			if d := cmp.Diff(map[Reason]uint64{tc.want: 1}, st.Failed); d != "" || st.Sent != 0 || st.LastError == "" {
				t.Errorf("stats %+v (-want +got failed)\n%s", st, d)
			}
		})
	}
}

// TestQueueBounded: with a server that never answers, Enqueue returns at
// once and drops what does not fit.
func TestQueueBounded(t *testing.T) {
	f := newFake(t, "", nil)
	s := New(Config{Server: f.ln.Addr().String(), Helo: "h", From: "f@h", To: []string{"a@x"}, Timeout: time.Minute},
		Options{QueueSize: 2, Attempts: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	accepted := 0
	for range 10 {
		if s.Enqueue(InstanceMessage("lb1", "VI_1", Master, time.Now())) {
			accepted++
		}
	}
	// At most the queue plus the one being delivered.
	if accepted > 3 || accepted < 2 {
		t.Errorf("accepted %d of 10 with a queue of 2", accepted)
	}
	cancel() // stop while the delivery hangs
	<-done
	st := s.Stats()
	if st.Failed[ReasonQueueFull] != uint64(10-accepted) || st.Failed[ReasonShutdown] != uint64(accepted) || st.Queued != 0 {
		t.Errorf("stats %+v, accepted %d", st, accepted)
	}
}
