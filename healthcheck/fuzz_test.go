package healthcheck

import (
	"strings"
	"testing"
)

// FuzzSplitCommand: never panics; words never contain unquoted blanks;
// joining plain words (no quotes, backslashes) round-trips.
func FuzzSplitCommand(f *testing.F) {
	f.Add(`/usr/local/bin/check_app 192.168.201.110`)
	f.Add(`/bin/sh -c "exit 3"`)
	f.Add(`a 'b "c" d' e\ f`)
	f.Add(`x "unterminated`)
	f.Add(`trailing\`)
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitCommand(line)
		if err != nil {
			return
		}
		if !strings.ContainsAny(line, `"'\`) {
			if got, want := strings.Join(words, " "), strings.Join(strings.Fields(line), " "); got != want && !strings.ContainsAny(line, "\v\f\r\u0085\u00a0") {
				t.Fatalf("plain line %q split into %q", line, words)
			}
		}
	})
}
