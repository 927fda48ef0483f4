package keepalived

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// entry is one "key = value" line of the output.
type entry struct {
	pos     Pos
	above   []string
	key     string
	val     string // TOML-encoded
	comment string
}

// table is one [table] or [[array.table]] of the output.
type table struct {
	pos     Pos
	above   []string
	header  string // "[global]", "[[vrrp_instance]]"; "" for the root
	comment string
	entries []*entry
	subs    []*table
	tail    []string
}

func (t *table) get(key string) *entry {
	for _, e := range t.entries {
		if e.key == key {
			return e
		}
	}
	return nil
}

func (t *table) set(n *Node, key, val string) *entry {
	e := &entry{key: key, val: val}
	if n != nil {
		e.pos, e.above, e.comment = n.Pos, n.Above, n.Comment
	}
	t.entries = append(t.entries, e)
	return e
}

// writer renders tables and remembers which source line each output line
// came from, so that errors of the TOML loader point at the keepalived file.
type writer struct {
	b     strings.Builder
	line  int
	where map[int]Pos
}

func (w *writer) emit(p Pos, s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
	for range strings.Count(s, "\n") + 1 {
		w.line++
		if p.File != "" {
			w.where[w.line] = p
		}
	}
}

func (w *writer) comments(p Pos, cs []string) {
	for _, c := range cs {
		if c == "" {
			w.emit(p, "#")
		} else {
			w.emit(p, "# "+c)
		}
	}
}

func withComment(s, c string) string {
	if c == "" {
		return s
	}
	return s + " # " + c
}

func (w *writer) table(t *table) {
	if t.header != "" {
		if w.line > 0 {
			w.emit(Pos{}, "")
		}
		w.comments(t.pos, t.above)
		w.emit(t.pos, withComment(t.header, t.comment))
	}
	for _, e := range t.entries {
		w.comments(e.pos, e.above)
		w.emit(e.pos, withComment(e.key+" = "+e.val, e.comment))
	}
	for _, s := range t.subs {
		w.table(s)
	}
	w.comments(t.pos, t.tail)
}

// quote encodes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\u%04X`, s[0])
			s = s[1:]
			continue
		}
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
		s = s[size:]
	}
	b.WriteByte('"')
	return b.String()
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	one := "[" + strings.Join(q, ", ") + "]"
	if len(one) <= 80 {
		return one
	}
	return "[\n  " + strings.Join(q, ",\n  ") + ",\n]"
}

// inline renders an inline table from ordered key/value pairs (values
// already encoded).
func inline(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" = "+kv[i+1])
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}
