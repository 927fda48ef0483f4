package config

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"pidof nginx", []string{"pidof", "nginx"}},
		{"  /bin/check\t-a  b ", []string{"/bin/check", "-a", "b"}},
		{`/etc/notify.sh "two words" 'single q'`, []string{"/etc/notify.sh", "two words", "single q"}},
		{`a"b c"d`, []string{"ab cd"}},
		{`say \"hi\"`, []string{"say", `"hi"`}},
		{`x a\ b`, []string{"x", "a b"}},
		{`x "in \"dq\""`, []string{"x", `in "dq"`}},
		{`x 'it\'s'`, []string{"x", "it's"}},
		{`x \t\n\x41\101\cA\E`, []string{"x", "\t\nAA\x01\x1b"}},
		{`x ""`, []string{"x", ""}},
		{`</dev/tcp/127.0.0.1/80`, []string{"</dev/tcp/127.0.0.1/80"}},
		{`killall -0 haproxy`, []string{"killall", "-0", "haproxy"}},
		// Cases of the copies this parser replaced (healthcheck.SplitCommand,
		// config.Command.Args).
		{"/usr/local/bin/check_app 192.168.201.110", []string{"/usr/local/bin/check_app", "192.168.201.110"}},
		{`  /bin/sh   -c "exit 3" `, []string{"/bin/sh", "-c", "exit 3"}},
		{`a 'b "c" d' e\ f`, []string{"a", `b "c" d`, "e f"}},
		{`  /bin/x "a b"  'c "d' e\ f  `, []string{"/bin/x", "a b", `c "d`, "e f"}},
		{`""`, []string{""}},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil {
			t.Errorf("SplitCommand(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("SplitCommand(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSplitCommandErrors(t *testing.T) {
	for _, in := range []string{"", "   ", `a "b`, `a 'b`, `a \`} {
		if got, err := SplitCommand(in); err == nil {
			t.Errorf("SplitCommand(%q) = %q, want error", in, got)
		}
	}
	if _, err := SplitCommand(" "); !errors.Is(err, ErrEmptyCommand) {
		t.Errorf("SplitCommand(blank) error %v, want ErrEmptyCommand", err)
	}
}

// TestQuoteCommandThroughShell checks that /bin/sh turns QuoteCommand's output back into
// the same words.
func TestQuoteCommandThroughShell(t *testing.T) {
	words := []string{"printf", `%s|`, "a b", "it's", `"dq"`, "$HOME", "*", ""}
	out, err := exec.Command("/bin/sh", "-c", QuoteCommand(words)).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(words[2:], "|") + "|"
	if string(out) != want {
		t.Errorf("sh -c %s printed %q, want %q", QuoteCommand(words), out, want)
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"pidof nginx", `a "b c" 'd'`, `/bin/sh -c "exit 3"`, `a 'b "c" d' e\ f`, `x "unterminated`, `trailing\`, `\x4`, `\`, `"`, `\c`, `\777`, "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err != nil {
			return
		}
		if len(words) == 0 {
			t.Fatalf("SplitCommand(%q) returned no words and no error", s)
		}
		// A line without quotes or backslashes splits at blanks, as
		// strings.Fields does (bar the two Unicode spaces it also knows).
		if !strings.ContainsAny(s, "\"'\\\u0085\u00a0") {
			if diff := cmp.Diff(strings.Fields(s), words); diff != "" {
				t.Fatalf("plain line %q (-fields +parse):\n%s", s, diff)
			}
		}
		// Writing every byte of every word as \xHH and parsing again gives
		// the same words. (QuoteCommand targets /bin/sh, whose single quotes keep
		// backslashes literal; keepalived's parser does not.)
		again, err := SplitCommand(cmdHexEscape(words))
		if err != nil {
			t.Fatalf("SplitCommand(cmdHexEscape(%q)): %v", words, err)
		}
		if diff := cmp.Diff(words, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}

func cmdHexEscape(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w == "" {
			b.WriteString(`""`)
		}
		for j := 0; j < len(w); j++ {
			fmt.Fprintf(&b, `\x%02x`, w[j])
		}
	}
	return b.String()
}
