package config

import (
	"strconv"
	"strings"
)

// The TOML parser keeps positions only per key name, not per array element,
// so lvsd indexes positions itself: a small scanner over a document that
// the TOML parser has already accepted maps every display path
// (vrrp_instance[1].unicast_peer[0].min_ttl) to the line and column where
// its key, header or array element starts.

type pos struct{ line, col int }

type posIndex struct {
	src    string
	i      int // byte offset
	line   int // 1-based line of src[i]
	lineAt int // offset where the current line starts
	at     map[string]pos
	arrays map[string]int // array-of-tables display path -> entries seen
	table  string         // display path of the current [table]
}

// indexPositions scans src. It never fails: on input it does not
// understand it stops and keeps what it found.
func indexPositions(src string) map[string]pos {
	p := &posIndex{src: src, line: 1, at: map[string]pos{}, arrays: map[string]int{}}
	defer func() {
		// The scanner only sees documents the TOML parser accepted; a
		// bug here must cost positions, not the process.
		_ = recover()
	}()
	p.document()
	return p.at
}

func (p *posIndex) eof() bool { return p.i >= len(p.src) }

func (p *posIndex) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.i]
}

func (p *posIndex) advance() {
	if p.src[p.i] == '\n' {
		p.line++
		p.lineAt = p.i + 1
	}
	p.i++
}

func (p *posIndex) here() pos { return pos{p.line, p.i - p.lineAt + 1} }

func (p *posIndex) mark(path string, at pos) {
	if _, ok := p.at[path]; !ok {
		p.at[path] = at
	}
}

// skipSpace skips blanks; with nl also newlines and comments.
func (p *posIndex) skipSpace(nl bool) {
	for !p.eof() {
		switch c := p.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			p.advance()
		case c == '#':
			for !p.eof() && p.peek() != '\n' {
				p.advance()
			}
		case c == '\n' && nl:
			p.advance()
		default:
			return
		}
	}
}

func (p *posIndex) document() {
	for {
		p.skipSpace(true)
		if p.eof() {
			return
		}
		if p.peek() == '[' {
			p.header()
			continue
		}
		p.keyValue(p.table)
	}
}

func (p *posIndex) header() {
	at := p.here()
	p.advance()
	array := p.peek() == '['
	if array {
		p.advance()
	}
	p.skipSpace(false)
	keys, keyAt := p.key()
	p.skipSpace(false)
	for !p.eof() && p.peek() != '\n' {
		p.advance() // "]" or "]]", trailing comment
	}
	// Each part of the name is positioned on its own word; an entry of
	// an array of tables ([[a.b]] -> a.b[N]) on the header's "[".
	path := ""
	last := len(keys) - 1
	for i, k := range keys {
		path = join(path, k)
		p.mark(path, keyAt[i]) // implicit tables: [a.b] defines a too
		if i == last && array {
			p.arrays[path]++
			path += "[" + strconv.Itoa(p.arrays[path]-1) + "]"
			p.mark(path, at)
			break
		}
		if n, ok := p.arrays[path]; ok {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	p.table = path
}

// key reads a dotted key and the position of each of its parts.
func (p *posIndex) key() ([]string, []pos) {
	var (
		out []string
		at  []pos
	)
	for {
		p.skipSpace(false)
		at = append(at, p.here())
		var k string
		switch p.peek() {
		case '"', '\'':
			k = p.stringValue()
		default:
			start := p.i
			for !p.eof() {
				c := p.peek()
				if c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
					p.advance()
					continue
				}
				break
			}
			k = p.src[start:p.i]
		}
		out = append(out, k)
		p.skipSpace(false)
		if p.peek() != '.' {
			return out, at
		}
		p.advance()
	}
}

func (p *posIndex) keyValue(base string) {
	keys, keyAt := p.key()
	path := base
	for i, k := range keys {
		path = join(path, k)
		p.mark(path, keyAt[i])
	}
	p.skipSpace(false)
	if p.peek() == '=' {
		p.advance()
	}
	p.skipSpace(false)
	p.value(path)
}

// value reads one value; arrays and inline tables record their elements.
func (p *posIndex) value(path string) {
	switch p.peek() {
	case '"', '\'':
		p.stringValue()
	case '[':
		p.advance()
		for n := 0; ; n++ {
			p.skipSpace(true)
			if p.eof() || p.peek() == ']' {
				break
			}
			ep := path + "[" + strconv.Itoa(n) + "]"
			p.mark(ep, p.here())
			p.value(ep)
			p.skipSpace(true)
			if p.peek() == ',' {
				p.advance()
			}
		}
		if !p.eof() {
			p.advance()
		}
	case '{':
		p.advance()
		for {
			p.skipSpace(true)
			if p.eof() || p.peek() == '}' {
				break
			}
			p.keyValue(path)
			p.skipSpace(true)
			if p.peek() == ',' {
				p.advance()
			}
		}
		if !p.eof() {
			p.advance()
		}
	default:
		for !p.eof() {
			c := p.peek()
			if c == ',' || c == ']' || c == '}' || c == '\n' || c == '#' || c == '\r' {
				break
			}
			if c == ' ' || c == '\t' {
				// dates may hold one space: "1979-05-27 07:32:00"
				if p.i+1 < len(p.src) && p.src[p.i+1] >= '0' && p.src[p.i+1] <= '9' {
					p.advance()
					continue
				}
				break
			}
			p.advance()
		}
	}
}

// stringValue reads a basic, literal or multi-line string and returns its
// contents with escapes left as they are (enough for key names).
func (p *posIndex) stringValue() string {
	q := p.peek()
	if strings.HasPrefix(p.src[p.i:], strings.Repeat(string(q), 3)) {
		p.advance()
		p.advance()
		p.advance()
		start := p.i
		for !p.eof() {
			if q == '"' && p.peek() == '\\' {
				p.advance()
				if !p.eof() {
					p.advance()
				}
				continue
			}
			if strings.HasPrefix(p.src[p.i:], strings.Repeat(string(q), 3)) {
				// up to two more quotes may belong to the content
				for strings.HasPrefix(p.src[p.i+1:], strings.Repeat(string(q), 3)) {
					p.advance()
				}
				s := p.src[start:p.i]
				p.advance()
				p.advance()
				p.advance()
				return s
			}
			p.advance()
		}
		return p.src[start:]
	}
	p.advance()
	start := p.i
	for !p.eof() && p.peek() != q && p.peek() != '\n' {
		if q == '"' && p.peek() == '\\' {
			p.advance()
		}
		if !p.eof() {
			p.advance()
		}
	}
	s := p.src[start:p.i]
	if !p.eof() && p.peek() == q {
		p.advance()
	}
	if q == '"' && strings.Contains(s, `\`) {
		s = unescape(s)
	}
	return s
}

// unescape resolves the escapes of a TOML basic string (TOML 1.1: \b \t
// \n \f \r \e \" \\ \xHH \uHHHH \UHHHHHHHH).
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := 2
			switch s[i] {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			if i+n < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(s[i])
		default: // \" and \\ and anything the parser let through
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// locate fills in File/Line/Col of errors from their paths. A path with no
// recorded position gets the position of its nearest recorded ancestor
// (Near is set).
func locate(errs Errors, data []byte) {
	if len(errs) == 0 {
		return
	}
	var at map[string]pos
	for _, e := range errs {
		if e.Line > 0 || e.Path == "" {
			continue
		}
		if at == nil {
			at = indexPositions(string(data))
		}
		near := false
		for p := e.Path; p != ""; p = parentPath(p) {
			if ps, ok := at[p]; ok {
				e.Line, e.Col, e.Near = ps.line, ps.col, near
				break
			}
			near = true
		}
	}
}

// parentPath strips the last component: a.b[1].c -> a.b[1] -> a.b -> a.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}
