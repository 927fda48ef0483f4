package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoggerUnderJournal: with JOURNAL_STREAM naming stderr, the daemon's
// log lines carry a syslog priority and no timestamp; with it naming
// another file (a redirected child) they are plain slog lines.
func TestLoggerUnderJournal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env, format string
		want        []string
	}{
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), "text", []string{"<6>level=INFO msg=hello k=v", "<3>level=ERROR msg=bad"}},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), "json", []string{`<6>{"level":"INFO","msg":"hello","k":"v"}`, `<3>{"level":"ERROR","msg":"bad"}`}},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), "text", []string{"time=", "level=INFO msg=hello k=v"}},
		{"", "text", []string{"time=", "level=ERROR msg=bad"}},
	} {
		t.Setenv("JOURNAL_STREAM", tt.env)
		f.Truncate(0)
		f.Seek(0, 0)
		lf := logFlags{format: tt.format, level: "info"}
		log, err := lf.logger(f)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hello", "k", "v")
		log.Error("bad")
		got, _ := os.ReadFile(f.Name())
		for _, w := range tt.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("JOURNAL_STREAM=%q %s: output lacks %q:\n%s", tt.env, tt.format, w, got)
			}
		}
		if strings.HasPrefix(tt.want[0], "<") && strings.Contains(string(got), "time") {
			t.Errorf("journal output has a timestamp:\n%s", got)
		}
	}
}
