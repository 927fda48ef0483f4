package journal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func text(w io.Writer) slog.Handler {
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: DropTime})
}

func TestHandlerLines(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(NewHandler(&out, text))
	log.Debug("d", "k", 1)
	log.Info("entering MASTER state", "instance", "VI_1")
	log.With("op", "reload").Warn("w")
	log.WithGroup("g").Error("bad\nthing", "err", "x")
	log.Log(context.Background(), slog.LevelInfo+2, "notice-ish")
	log.Log(context.Background(), slog.LevelError+4, "critical-ish")
	want := `<7>level=DEBUG msg=d k=1
<6>level=INFO msg="entering MASTER state" instance=VI_1
<4>level=WARN msg=w op=reload
<3>level=ERROR msg="bad\nthing" g.err=x
<6>level=INFO+2 msg=notice-ish
<3>level=ERROR+4 msg=critical-ish
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHandlerJSON(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(NewHandler(&out, func(w io.Writer) slog.Handler {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: DropTime})
	}))
	log.Debug("not shown")
	log.Error("e", "n", 2)
	if want := `<3>{"level":"ERROR","msg":"e","n":2}` + "\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// lineWriter records each Write: a journal line must arrive whole.
type lineWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestHandlerConcurrentWholeLines(t *testing.T) {
	w := &lineWriter{}
	log := slog.New(NewHandler(w, text))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := log.With("g", g)
			for i := range 50 {
				l.Info("m", "i", i)
			}
		}()
	}
	wg.Wait()
	if len(w.writes) != 400 {
		t.Fatalf("%d writes, want 400", len(w.writes))
	}
	for _, s := range w.writes {
		if s[:3] != "<6>" || s[len(s)-1] != '\n' || bytes.Count([]byte(s), []byte("\n")) != 1 {
			t.Fatalf("not one whole line: %q", s)
		}
	}
}

func TestIsStream(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  string
		want bool
	}{
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), true},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), false},
		{fmt.Sprintf("%d:%d", st.Dev+1, st.Ino), false},
		{"", false},
		{"garbage", false},
		{fmt.Sprintf("%d", st.Ino), false},
		{fmt.Sprintf("%d:x", st.Dev), false},
	}
	for _, tt := range tests {
		if got := IsStream(tt.env, f); got != tt.want {
			t.Errorf("IsStream(%q) = %v, want %v", tt.env, got, tt.want)
		}
	}
	if IsStream(fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil) {
		t.Error("IsStream(nil file) = true")
	}
}

// FuzzParseStream: JOURNAL_STREAM values that parse are exactly
// "DEV:INODE" in decimal digits, and the numbers are the digits' values.
func FuzzParseStream(f *testing.F) {
	for _, s := range []string{"8:12345", "0:0", ":", "1:", ":1", "18446744073709551615:1", "18446744073709551616:1", "-1:2", "+1:2", "1:2:3", " 1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dev, ino, ok := parseStream(s)
		if !ok {
			return
		}
		if strings.Count(s, ":") != 1 || strings.Trim(s, "0123456789:") != "" {
			t.Fatalf("%q parsed as %d:%d", s, dev, ino)
		}
		d, i, _ := strings.Cut(s, ":")
		if strings.TrimLeft(d, "0") != strings.TrimLeft(fmt.Sprint(dev), "0") || strings.TrimLeft(i, "0") != strings.TrimLeft(fmt.Sprint(ino), "0") {
			t.Fatalf("%q parsed as %d:%d", s, dev, ino)
		}
	})
}
