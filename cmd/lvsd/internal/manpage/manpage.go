package manpage

import (
	"strings"
)

// replacer maps characters roff treats specially, and the typographic ones
// the reference uses, to roff escapes.
var replacer = strings.NewReplacer(
	`\`, `\e`,
	"—", `\(em`,
	"–", `\(en`,
	"…", `\&...`,
	"·", `\(md`,
	"×", `\(mu`,
	"≤", `\(<=`,
	"≥", `\(>=`,
	"→", `\(->`,
	"‘", `\(oq`,
	"’", `\(cq`,
	"“", `\(lq`,
	"”", `\(rq`,
)

// Escape makes s safe as roff text (not at the start of a line: see Line).
func Escape(s string) string { return replacer.Replace(s) }

// Code escapes s and renders it in bold, with hyphens as minus signs so a
// flag can be searched for and copied.
func Code(s string) string {
	return `\fB` + strings.ReplaceAll(Escape(s), "-", `\-`) + `\fR`
}

// Line makes one roff text line: a line starting with "." or "'" would be
// read as a request.
func Line(s string) string {
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

// Quote makes s one argument of a macro ("…", with " doubled as roff wants).
func Quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Inline converts Markdown inline markup to roff: `code` (bold), **bold**,
// *italic*, [text](url) (text followed by the url in angle brackets).
// Unpaired markers stay as they are.
func Inline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				b.WriteString(Code(s[i+1 : i+1+j]))
				i += j + 2
				continue
			}
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				b.WriteString(`\fB` + Inline(strings.ReplaceAll(s[i+2:i+2+j], "`", "")) + `\fR`)
				i += j + 4
				continue
			}
		case s[i] == '*' && i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '*':
			if j := strings.IndexByte(s[i+1:], '*'); j > 0 {
				b.WriteString(`\fI` + Escape(s[i+1:i+1+j]) + `\fR`)
				i += j + 2
				continue
			}
		case s[i] == '[':
			if j := strings.Index(s[i:], "]("); j > 0 {
				if k := strings.IndexByte(s[i+j+2:], ')'); k >= 0 {
					text, url := s[i+1:i+j], s[i+j+2:i+j+2+k]
					b.WriteString(Inline(text) + " <" + Escape(url) + ">")
					i += j + 3 + k
					continue
				}
			}
		}
		// One UTF-8 sequence at a time, so the replacer sees whole runes.
		n := 1
		for i+n < len(s) && s[i+n]&0xC0 == 0x80 {
			n++
		}
		b.WriteString(Escape(s[i : i+n]))
		i += n
	}
	return b.String()
}

// splitRow splits a pipe-table row into trimmed cells; a | inside `code`
// does not split.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '`':
			inCode = !inCode
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
			continue
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func isSeparator(line string) bool {
	t := strings.Trim(strings.TrimSpace(line), "|:- ")
	return strings.HasPrefix(strings.TrimSpace(line), "|") && t == "" && strings.Contains(line, "-")
}

// FromMarkdown converts a Markdown document to the body of a man page:
// "# " (the title) is dropped (the caller writes NAME), "## " becomes .SH,
// "### " .SS, paragraphs .PP, "- " items .IP with a bullet, and every
// row of a pipe table a .TP whose tag is the first cell, followed by the
// middle cells as "header: cell" and the last cell as text.
func FromMarkdown(md string) string {
	var out strings.Builder
	emit := func(s string) { out.WriteString(s + "\n") }
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var para []string
	inItem := false
	flush := func() {
		if len(para) == 0 {
			return
		}
		if inItem {
			emit(`.IP \(bu 2`)
		} else {
			emit(".PP")
		}
		emit(Line(Inline(strings.Join(para, " "))))
		para = para[:0]
		inItem = false
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "# "):
			flush()
		case strings.HasPrefix(t, "## "):
			flush()
			emit(".SH " + Quote(Inline(strings.TrimSpace(t[3:]))))
		case strings.HasPrefix(t, "### ") || strings.HasPrefix(t, "#### "):
			flush()
			emit(".SS " + Quote(Inline(strings.TrimSpace(strings.TrimLeft(t, "#")))))
		case strings.HasPrefix(t, "|") && i+1 < len(lines) && isSeparator(lines[i+1]):
			flush()
			head := splitRow(t)
			i += 2
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				cells := splitRow(lines[i])
				if len(cells) == 0 {
					continue
				}
				emit(".TP")
				emit(Line(Inline(cells[0])))
				var mid []string
				for j := 1; j < len(cells)-1; j++ {
					if cells[j] == "" {
						continue
					}
					h := ""
					if j < len(head) && head[j] != "" {
						h = head[j] + ": "
					}
					mid = append(mid, h+cells[j])
				}
				if len(mid) > 0 {
					emit(Line(`\fI` + Inline(strings.Join(mid, "; ")) + `\fR`))
					emit(".br")
				}
				if len(cells) > 1 {
					emit(Line(Inline(cells[len(cells)-1])))
				}
			}
			i--
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			flush()
			inItem = true
			para = append(para, strings.TrimSpace(t[2:]))
		default:
			para = append(para, t)
		}
	}
	flush()
	return out.String()
}
