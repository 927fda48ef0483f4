package manpage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"`lvsd check -f`", `\fBlvsd check \-f\fR`},
		{"a **not supported yet** b", `a \fBnot supported yet\fR b`},
		{"*duration*: seconds", `\fIduration\fR: seconds`},
		{"3 * 4 and a*", "3 * 4 and a*"},
		{"`a\\b` — x…", `\fBa\eb\fR \(em x\&...`},
		{"[REFERENCE](config/REFERENCE.md)", "REFERENCE <config/REFERENCE.md>"},
		{"unpaired `tick", "unpaired `tick"},
		{"**`bold code`**", `\fBbold code\fR`},
		{"é ünïcode", "é ünïcode"},
	}
	for _, tt := range tests {
		if got := Inline(tt.in); got != tt.want {
			t.Errorf("Inline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromMarkdown(t *testing.T) {
	md := "# Title\n\nFirst line\nsecond `x`.\n\n## `[global]`\n\n- item one\n  continued\n- item two\n\n" +
		"| key | type | default | meaning |\n|---|---|---|---|\n| `a` | string | — | what `a\\|b` does |\n| `b` | int | `1` | b |\n\n### Sub\n.starts with a dot\n"
	want := `.PP
First line second \fBx\fR.
.SH "\fB[global]\fR"
.IP \(bu 2
item one continued
.IP \(bu 2
item two
.TP
\fBa\fR
\fItype: string; default: \(em\fR
.br
what \fBa|b\fR does
.TP
\fBb\fR
\fItype: int; default: \fB1\fR\fR
.br
b
.SS "Sub"
.PP
\&.starts with a dot
`
	if diff := cmp.Diff(want, FromMarkdown(md)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

var macros = []string{".SH ", ".SS ", ".PP", ".IP ", ".TP", ".br"}

// FuzzFromMarkdown: any input gives roff in which every line that starts
// with a control character is one of the macros the converter writes.
func FuzzFromMarkdown(f *testing.F) {
	for _, s := range []string{"# t\n\n## h\ntext\n", "| a | b |\n|---|---|\n| `x|y` | z |\n", "- a\n- b\n", ".x\n'y\n", "**a `b` c**", "*", "[a](b", "|\n|-|\n|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		for _, l := range strings.Split(FromMarkdown(md), "\n") {
			if !strings.HasPrefix(l, ".") && !strings.HasPrefix(l, "'") {
				continue
			}
			ok := false
			for _, m := range macros {
				ok = ok || strings.HasPrefix(l, m)
			}
			if !ok {
				t.Fatalf("line %q is a roff request the converter does not write", l)
			}
		}
	})
}
