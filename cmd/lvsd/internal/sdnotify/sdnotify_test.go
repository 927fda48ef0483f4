package sdnotify

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSystemd listens on a unixgram socket as systemd does and returns the
// messages it receives.
func fakeSystemd(t *testing.T) (<-chan string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return ch, path
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message reached the fake NOTIFY_SOCKET")
		return ""
	}
}

func TestMessages(t *testing.T) {
	ch, path := fakeSystemd(t)
	t.Setenv("NOTIFY_SOCKET", path)
	n := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.monotonic = func() int64 { return 123456 }

	n.Ready("2 VRRP instances, 3 virtual servers")
	if got, want := recv(t, ch), "READY=1\nSTATUS=2 VRRP instances, 3 virtual servers"; got != want {
		t.Errorf("ready: got %q, want %q", got, want)
	}
	n.Reloading()
	if got, want := recv(t, ch), "RELOADING=1\nMONOTONIC_USEC=123456"; got != want {
		t.Errorf("reloading: got %q, want %q", got, want)
	}
	n.Stopping()
	if got := recv(t, ch); got != "STOPPING=1" {
		t.Errorf("stopping: got %q", got)
	}
}

func TestWatchdog(t *testing.T) {
	ch, path := fakeSystemd(t)
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "100000") // 100 ms: pings every 50 ms
	n := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Watchdog(ctx, func() bool { return true }); close(done) }()
	for i := 0; i < 2; i++ {
		if got := recv(t, ch); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: got %q", i, got)
		}
	}
	cancel()
	<-done
}

func TestWatchdogStalledDoesNotPing(t *testing.T) {
	ch, path := fakeSystemd(t)
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "20000")
	var logs strings.Builder
	n := New(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	n.Watchdog(ctx, func() bool { return false })
	select {
	case m := <-ch:
		t.Fatalf("a stalled daemon pinged the watchdog: %q", m)
	default:
	}
	if !strings.Contains(logs.String(), "stalled") {
		t.Errorf("no log line for the stall: %s", logs.String())
	}
}

func TestNoSocketIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.Ready("x") // must not fail or block
	n.Watchdog(context.Background(), func() bool { return true })
}
