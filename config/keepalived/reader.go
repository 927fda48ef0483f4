package keepalived

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Pos is a place in a configuration file.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Line is one logical line after keepalived's preprocessing: comments
// removed, definitions substituted, sequences expanded, includes followed
// and braces split onto lines of their own.
type Line struct {
	Pos   Pos
	Words []string
	// Raw is the line's text before it was split into words (commands
	// are split again with keepalived's quoting and escape rules).
	Raw string
	// Comment is the comment that ended the physical line ("" if none).
	Comment string
	// Above holds the whole-line comments written just above the line.
	Above []string
}

// Error is one problem found while reading or converting.
type Error struct {
	Pos  Pos
	Path string // block.keyword, "" for syntax errors
	Msg  string
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", e.Pos, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

// Errors is every problem of one run, in file order.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap gives errors.As access to each error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// FS reads the files of a configuration; os.DirFS-like but with absolute
// or relative host paths. Tests use an in-memory one.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (osFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// OSFS reads the host's files.
var OSFS FS = osFS{}

// MapFS is an in-memory FS for tests and fuzzing: path to content.
type MapFS map[string]string

// ReadFile returns the content of name.
func (m MapFS) ReadFile(name string) ([]byte, error) {
	s, ok := m[filepath.Clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

// Glob matches pattern against the names of m.
func (m MapFS) Glob(pattern string) ([]string, error) {
	var out []string
	for k := range m {
		ok, err := filepath.Match(pattern, k)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Limits keep a hostile file from expanding without bound.
const (
	maxLineLen     = 64 << 10
	maxLines       = 20000
	maxIncludes    = 64 // nesting depth
	maxSeqValues   = 10000
	maxReplacement = 1000 // substitutions in one line
	maxPasses      = 16   // rescans of one line after a substitution
	maxErrors      = 1000
)

type def struct {
	name      string
	value     string // lines of a multi-line value separated by '\n'
	multiline bool
}

type seq struct {
	vars   []string   // ~SEQ: one; ~LST: the parameters
	values [][]string // one set per expansion
	next   int
	text   string
	pos    Pos
}

type file struct {
	name  string
	lines []string
	next  int
	// includes are the files an include line matched that are still to
	// be read after the one being read, with the include's position.
	includes []string
	inclPos  Pos
}

type pending struct {
	text string
	pos  Pos
}

// reader turns files into logical lines, following keepalived 2.2.7's
// lib/parser.c read_line.
type reader struct {
	fs       FS
	configID string
	files    []*file // include stack, innermost last
	defs     []*def
	seqs     []*seq
	queue    []pending // residue after a brace, lines of a multi-line definition
	errs     Errors
	above    []string // whole-line comments not yet attached
	produced int
	// defining is the multi-line definition being read, if any.
	defining *def
	// pendingComment is the comment ending the physical line being read.
	pendingComment string
}

func (r *reader) errorf(p Pos, format string, args ...any) {
	r.errs = append(r.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) open(name string, from Pos) bool {
	if len(r.files) >= maxIncludes {
		r.errorf(from, "include: nested more than %d deep", maxIncludes)
		return false
	}
	clean := filepath.Clean(name)
	for _, f := range r.files {
		if f.name == clean {
			r.errorf(from, "include: %s includes itself (cycle)", clean)
			return false
		}
	}
	data, err := r.fs.ReadFile(clean)
	if err != nil {
		if len(r.files) == 0 {
			r.errorf(from, "read: %v", err)
		} else {
			r.errorf(from, "include: %v", err)
		}
		return false
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	r.files = append(r.files, &file{name: clean, lines: lines})
	return true
}

// physical returns the next non-blank physical line, decommented, with its
// position; ok is false at the end of every file.
func (r *reader) physical() (text string, p Pos, ok bool) {
	for len(r.files) > 0 {
		f := r.files[len(r.files)-1]
		if f.next >= len(f.lines) {
			r.files = r.files[:len(r.files)-1]
			if n := len(r.files); n > 0 {
				t := r.files[n-1]
				for len(t.includes) > 0 {
					name := t.includes[0]
					t.includes = t.includes[1:]
					if r.open(name, t.inclPos) {
						break
					}
				}
			}
			continue
		}
		raw := strings.TrimRight(f.lines[f.next], "\r")
		f.next++
		p = Pos{File: f.name, Line: f.next}
		if len(raw) > maxLineLen {
			r.errorf(p, "line longer than %d bytes", maxLineLen)
			continue
		}
		if raw == "" {
			if r.defining != nil {
				r.endDefinition()
			}
			continue
		}
		text, comment, unterminated := decomment(raw)
		if unterminated {
			r.errorf(p, "unterminated quote")
		}
		if text == "" {
			if comment != "" || strings.TrimSpace(raw) != "" {
				if r.defining == nil {
					r.above = append(r.above, comment)
				}
			}
			continue
		}
		if comment != "" && r.defining == nil {
			r.pendingComment = comment
		}
		return text, p, true
	}
	return "", Pos{}, false
}

// decomment removes a comment (from an unquoted '!' or '#'), the escaping
// of '\#' and '\!', and white space at both ends; a trailing '\' (a
// continued definition) is kept. It returns the text and the comment.
func decomment(s string) (text, comment string, unterminated bool) {
	s = strings.TrimLeft(s, " \t")
	var b strings.Builder
	quote := false
	cont := false
	cut := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quote = !quote
			b.WriteByte(c)
		case c == '\\':
			if i+1 >= len(s) {
				cont = true
				i = len(s)
				continue
			}
			if !quote && (s[i+1] == '#' || s[i+1] == '!') {
				b.WriteByte(s[i+1])
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case !quote && (c == '!' || c == '#'):
			cut = i
			i = len(s)
			continue
		default:
			b.WriteByte(c)
		}
	}
	if cut >= 0 {
		comment = strings.TrimSpace(s[cut+1:])
		// keepalived keeps a trailing '\' only when it ends the line.
		cont = false
		quote = false
	}
	text = strings.TrimRight(b.String(), " \t")
	if cont {
		text += `\`
	}
	return text, comment, quote
}

// next returns the next logical line; ok is false at the end.
func (r *reader) next() (Line, bool) {
	for {
		text, p, ok := r.raw()
		if !ok {
			if r.defining != nil {
				r.endDefinition()
			}
			return Line{}, false
		}
		text = r.process(text, p)
		if text == "" {
			continue
		}
		if r.include(text, p) {
			continue
		}
		text = r.splitBrace(text, p)
		words, bad := splitWords(text)
		if bad {
			r.errorf(p, "unmatched quote")
		}
		if len(words) == 0 {
			continue
		}
		r.produced++
		if r.produced > maxLines || len(r.errs) > maxErrors {
			r.errorf(p, "more than %d lines after expansion or %d errors: stopped", maxLines, maxErrors)
			r.files, r.seqs, r.queue = nil, nil, nil
			return Line{}, false
		}
		l := Line{Pos: p, Words: words, Raw: text, Above: r.above, Comment: r.pendingComment}
		r.above, r.pendingComment = nil, ""
		return l, true
	}
}

// raw returns the next line to process: a brace residue, a line of a
// sequence, a line of a multi-line definition, or a physical line.
func (r *reader) raw() (string, Pos, bool) {
	for {
		if len(r.queue) > 0 {
			q := r.queue[0]
			r.queue = r.queue[1:]
			return q.text, q.pos, true
		}
		if n := len(r.seqs); n > 0 {
			s := r.seqs[n-1]
			if s.next >= len(s.values) {
				r.seqs = r.seqs[:n-1]
				continue
			}
			for i, v := range s.vars {
				r.setDef(v, s.values[s.next][i])
			}
			s.next++
			return s.text, s.pos, true
		}
		text, p, ok := r.physical()
		if !ok {
			return "", Pos{}, false
		}
		if r.defining != nil {
			r.continueDefinition(text)
			continue
		}
		return text, p, true
	}
}

func (r *reader) continueDefinition(text string) {
	d := r.defining
	more := strings.HasSuffix(text, `\`)
	if more {
		text = strings.TrimRight(strings.TrimSuffix(text, `\`), " \t")
	}
	if text != "" {
		if d.value != "" {
			d.value += "\n"
		}
		d.value += text
	}
	if !more {
		r.endDefinition()
	}
}

func (r *reader) endDefinition() {
	if r.defining != nil && !strings.Contains(r.defining.value, "\n") {
		r.defining.multiline = false
	}
	r.defining = nil
}

func (r *reader) findDef(name string) *def {
	for _, d := range r.defs {
		if d.name == name {
			return d
		}
	}
	return nil
}

func (r *reader) setDef(name, value string) *def {
	d := r.findDef(name)
	if d == nil {
		d = &def{name: name}
		r.defs = append(r.defs, d)
	}
	d.value, d.multiline = value, false
	return d
}

// process applies @ID conditions, definitions, sequences and substitution
// to one line; it returns "" when nothing is left to parse.
func (r *reader) process(text string, p Pos) string {
	for range maxPasses {
		if text[0] == '@' {
			rev := strings.HasPrefix(text, "@^")
			id := text[1:]
			if rev {
				id = text[2:]
			}
			sp := strings.IndexAny(id, " \t")
			if sp < 0 {
				return ""
			}
			if (id[:sp] == r.configID) == rev {
				return ""
			}
			text = strings.TrimLeft(id[sp:], " \t")
			if text == "" {
				return ""
			}
		}
		if text[0] == '$' && r.definition(text, p) {
			return ""
		}
		if strings.HasPrefix(text, "~SEQ") || strings.HasPrefix(text, "~LST") {
			var s *seq
			var err error
			if text[1] == 'S' {
				s, err = r.parseSeq(text)
			} else {
				s, err = parseLst(text)
			}
			if err != nil {
				r.errorf(p, "%s: %v", text[:4], err)
				return ""
			}
			s.pos = p
			r.seqs = append(r.seqs, s)
			return ""
		}
		if text[0] == '~' || !strings.Contains(text, "$") {
			return text
		}
		out, changed, err := r.replace(text, p)
		if err != nil {
			r.errorf(p, "%v", err)
			return ""
		}
		if !changed {
			return text
		}
		out, _, _ = decomment(out)
		if out == "" {
			return ""
		}
		text = out
		if text[0] != '@' && !strings.Contains(text, "$") {
			return text
		}
	}
	r.errorf(p, "definitions expand more than %d times", maxPasses)
	return ""
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isName(c byte) bool  { return isAlpha(c) || isDigit(c) || c == '_' }

// definition reads "$NAME=VALUE" (a trailing '\' continues it on the next
// lines); it reports whether text was a definition.
func (r *reader) definition(text string, p Pos) bool {
	if len(text) < 2 || !(isAlpha(text[1]) || text[1] == '_') {
		return false
	}
	i := 2
	for i < len(text) && isName(text[i]) {
		i++
	}
	name := text[1:i]
	rest := strings.TrimLeft(text[i:], " \t")
	if !strings.HasPrefix(rest, "=") {
		return false
	}
	value := strings.TrimLeft(rest[1:], " \t")
	d := r.findDef(name)
	if d == nil {
		d = &def{name: name}
		r.defs = append(r.defs, d)
	}
	d.multiline = false
	if strings.HasSuffix(value, `\`) {
		d.multiline = true
		value = strings.TrimRight(strings.TrimSuffix(value, `\`), " \t")
		r.defining = d
	}
	d.value = value
	return true
}

// stdDef is one of keepalived's predefined names.
func (r *reader) stdDef(name string, p Pos) (string, bool, error) {
	switch name {
	case "_HASH":
		return "#", true, nil
	case "_BANG":
		return "!", true, nil
	case "_INSTANCE":
		return r.configID, true, nil
	case "_PWD":
		// keepalived changes to the directory of each file it reads.
		d, err := filepath.Abs(filepath.Dir(p.File))
		if err != nil {
			return "", true, fmt.Errorf("$_PWD: %w", err)
		}
		return d, true, nil
	case "_RANDOM":
		return "", true, fmt.Errorf("$_RANDOM: not supported: the converted file would differ on every run")
	}
	return "", false, nil
}

// replace substitutes $NAME and ${NAME} in text, rescanning replaced text
// like keepalived. A multi-line definition is only expanded when it is the
// whole rest of the line; its later lines are queued.
func (r *reader) replace(text string, p Pos) (string, bool, error) {
	changed := false
	pos := 0
	for n := 0; ; n++ {
		if n > maxReplacement || len(text) > maxLineLen {
			return "", false, fmt.Errorf("definitions expand without end")
		}
		i := strings.IndexByte(text[pos:], '$')
		if i < 0 || pos+i+1 >= len(text) {
			break
		}
		i += pos
		name, end, ok := defRef(text, i)
		if !ok {
			pos = i + 1
			continue
		}
		var value string
		multi := false
		if d := r.findDef(name); d != nil {
			wholeLine := end == len(text)
			if d.multiline && !wholeLine {
				pos = i + 1
				continue
			}
			value, multi = d.value, d.multiline
		} else if v, isStd, err := r.stdDef(name, p); isStd {
			if err != nil {
				return "", false, err
			}
			value = v
		} else {
			pos = i + 1
			continue
		}
		changed = true
		if multi {
			lines := strings.Split(value, "\n")
			q := make([]pending, 0, len(lines)-1+len(r.queue))
			for _, l := range lines[1:] {
				q = append(q, pending{l, p})
			}
			r.queue = append(q, r.queue...)
			value = lines[0]
		}
		text = text[:i] + value + text[end:]
		if strings.HasPrefix(strings.TrimLeft(value, " \t"), "~") {
			break
		}
		pos = i
	}
	return text, changed, nil
}

// defRef parses a reference at text[i] == '$': $NAME ended by a blank, ',',
// ')' or the end, or ${NAME}. It returns the name and the end offset.
func defRef(text string, i int) (string, int, bool) {
	j := i + 1
	braces := text[j] == '{'
	if braces {
		j++
	}
	if j >= len(text) || !(isAlpha(text[j]) || text[j] == '_') {
		return "", 0, false
	}
	k := j + 1
	for k < len(text) && isName(text[k]) {
		k++
	}
	name := text[j:k]
	if braces {
		if k >= len(text) || text[k] != '}' {
			return "", 0, false
		}
		return name, k + 1, true
	}
	if k < len(text) && !strings.ContainsRune(" \t,)", rune(text[k])) {
		return "", 0, false
	}
	return name, k, true
}

// parseSeq reads "~SEQ(VAR, [START,] [STEP,] END) TEXT" (and ~SEQx for hex).
func (r *reader) parseSeq(text string) (*seq, error) {
	p := text[4:]
	hex := false
	if strings.HasPrefix(p, "x") {
		hex, p = true, p[1:]
	}
	p = strings.TrimLeft(p, " \t")
	if !strings.HasPrefix(p, "(") {
		return nil, fmt.Errorf("missing '('")
	}
	end := strings.IndexByte(p, ')')
	if end < 0 {
		return nil, fmt.Errorf("missing ')'")
	}
	args := strings.Split(p[1:end], ",")
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	if len(args) < 2 || len(args) > 4 || args[0] == "" {
		return nil, fmt.Errorf("want (VAR, [START,] [STEP,] END)")
	}
	v := args[0]
	for i := range len(v) {
		if !isName(v[i]) || i == 0 && isDigit(v[i]) {
			return nil, fmt.Errorf("bad variable name %q", v)
		}
	}
	nums := make([]int64, len(args)-1)
	for i, a := range args[1:] {
		if strings.Contains(a, "$") {
			a2, _, err := r.replace(a, Pos{})
			if err != nil {
				return nil, err
			}
			a = a2
		}
		n, err := strconv.ParseInt(a, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", a)
		}
		nums[i] = n
	}
	var start, step, last int64
	switch len(nums) {
	case 1:
		last = nums[0]
		start, step = 1, 1
		if last < 0 {
			start = -1
		}
		if last < 1 {
			step = -1
		}
	case 2:
		start, last = nums[0], nums[1]
		step = 1
		if start > last {
			step = -1
		}
	case 3:
		start, step, last = nums[0], nums[1], nums[2]
		if step == 0 || start < last && step < 0 || start > last && step > 0 {
			return nil, fmt.Errorf("step %d never reaches %d from %d", step, last, start)
		}
	}
	if hex && (start < 0 || last < 0) {
		return nil, fmt.Errorf("~SEQx takes positive numbers only")
	}
	s := &seq{vars: []string{v}, text: strings.TrimLeft(p[end+1:], " \t")}
	for n := start; step > 0 && n <= last || step < 0 && n >= last; n += step {
		if len(s.values) >= maxSeqValues {
			return nil, fmt.Errorf("more than %d values", maxSeqValues)
		}
		if hex {
			s.values = append(s.values, []string{strconv.FormatInt(n, 16)})
		} else {
			s.values = append(s.values, []string{strconv.FormatInt(n, 10)})
		}
	}
	if s.text == "" {
		return nil, fmt.Errorf("nothing to repeat after ')'")
	}
	return s, nil
}

// parseLst reads "~LST(VAR, V1, V2...) TEXT" or
// "~LST({A, B}, {a1, b1}, {a2, b2}) TEXT"; missing values are empty.
func parseLst(text string) (*seq, error) {
	p := strings.TrimLeft(text[4:], " \t")
	if !strings.HasPrefix(p, "(") {
		return nil, fmt.Errorf("missing '('")
	}
	p = p[1:]
	// Split the top level on commas, keeping {...} groups.
	var items []string
	depth, startI := 0, 0
	end := -1
	for i := 0; i < len(p) && end < 0; i++ {
		switch p[i] {
		case '{':
			depth++
			if depth > 1 {
				return nil, fmt.Errorf("nested '{'")
			}
		case '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced '}'")
			}
		case ',':
			if depth == 0 {
				items = append(items, strings.TrimSpace(p[startI:i]))
				startI = i + 1
			}
		case ')':
			if depth == 0 {
				items = append(items, strings.TrimSpace(p[startI:i]))
				end = i
			}
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("missing ')'")
	}
	if len(items) < 2 {
		return nil, fmt.Errorf("want (VARS, VALUES...)")
	}
	group := func(s string) []string {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			s = s[1 : len(s)-1]
			parts := strings.Split(s, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts
		}
		return []string{s}
	}
	s := &seq{vars: group(items[0]), text: strings.TrimLeft(p[end+1:], " \t")}
	for _, v := range s.vars {
		if v == "" || isDigit(v[0]) || strings.IndexFunc(v, func(c rune) bool { return c > 127 || !isName(byte(c)) }) >= 0 {
			return nil, fmt.Errorf("bad variable name %q", v)
		}
	}
	for _, it := range items[1:] {
		vals := group(it)
		if len(vals) > len(s.vars) {
			return nil, fmt.Errorf("%d values for %d variables", len(vals), len(s.vars))
		}
		for len(vals) < len(s.vars) {
			vals = append(vals, "")
		}
		s.values = append(s.values, vals)
	}
	if s.text == "" {
		return nil, fmt.Errorf("nothing to repeat after ')'")
	}
	return s, nil
}

// include follows "include GLOB" (and keepalived's includeX variants);
// relative globs are relative to the including file's directory.
func (r *reader) include(text string, p Pos) bool {
	if !strings.HasPrefix(text, "include") || len(text) < 8 {
		return false
	}
	rest := ""
	switch {
	case text[7] == ' ' || text[7] == '\t':
		rest = text[8:]
	case strings.IndexByte("rmwba", text[7]) >= 0 && len(text) > 8 && (text[8] == ' ' || text[8] == '\t'):
		rest = text[9:]
	default:
		return false
	}
	if c := r.pendingComment; c != "" {
		r.above = append(r.above, c)
		r.pendingComment = ""
	}
	words, _ := splitWords(rest)
	if len(words) != 1 {
		r.errorf(p, "include: want one file name or pattern, got %d words", len(words))
		return true
	}
	pat := words[0]
	if !filepath.IsAbs(pat) {
		pat = filepath.Join(filepath.Dir(p.File), pat)
	}
	var matches []string
	for _, pt := range expandBraces(pat) {
		m, err := r.fs.Glob(pt)
		if err != nil {
			r.errorf(p, "include: %s: %v", words[0], err)
			return true
		}
		for _, f := range m {
			if !slices.Contains(matches, f) {
				matches = append(matches, f)
			}
		}
	}
	if len(matches) == 0 {
		r.errorf(p, "include: %s: no file matches", words[0])
		return true
	}
	slices.Sort(matches)
	f := r.files[len(r.files)-1]
	f.includes, f.inclPos = matches, p
	for len(f.includes) > 0 {
		name := f.includes[0]
		f.includes = f.includes[1:]
		if r.open(name, p) {
			break
		}
	}
	return true
}

// splitBrace cuts text at its first '{' or '}' outside quotes, as
// keepalived: "kw a {" is "kw a" then "{"; "{ x" is "{" then "x". The rest
// is queued and read next.
func (r *reader) splitBrace(text string, p Pos) string {
	i := 0
	if text[0] != '{' && text[0] != '}' {
		i = -1
		quote := false
		for j := 0; j < len(text); j++ {
			c := text[j]
			if c == '"' {
				quote = !quote
				continue
			}
			if !quote && (c == '{' || c == '}') {
				i = j
				break
			}
		}
		if i < 0 {
			return text
		}
	}
	var head, rest string
	if i == 0 {
		head, rest = text[:1], strings.TrimSpace(text[1:])
	} else {
		head, rest = strings.TrimRight(text[:i], " \t"), strings.TrimRight(text[i:], " \t")
	}
	if rest != "" {
		r.queue = append([]pending{{rest, p}}, r.queue...)
	}
	return head
}

// splitWords splits a line into words as keepalived's alloc_strvec: blanks
// separate, a double-quoted string is one word without its quotes.
func splitWords(s string) ([]string, bool) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, false
		}
		if s[0] == '"' {
			j := strings.IndexByte(s[1:], '"')
			if j < 0 {
				return append(out, s[1:]), true
			}
			out = append(out, s[1:1+j])
			s = s[2+j:]
			continue
		}
		j := strings.IndexAny(s, " \t\"")
		if j < 0 {
			return append(out, s), false
		}
		out = append(out, s[:j])
		s = s[j:]
	}
}

// splitCommand splits a line as keepalived's alloc_strvec_quoted_escaped
// does for the lines of commands (script, misc_path, notify*): blanks
// separate words, single and double quotes group (and are removed), and a
// backslash escapes: \xHH, \cX, octal \NNN, \a \b \E \f \n \r \t \v, any
// other character stands for itself.
func splitCommand(s string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		var w []byte
		var q byte
	word:
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\':
				i++
				if i >= len(s) {
					return nil, fmt.Errorf("missing escaped character at the end")
				}
				c = s[i]
				switch {
				case c == 'x' && i+1 < len(s) && isHex(s[i+1]):
					var v byte
					i++
					for i < len(s) && isHex(s[i]) {
						v = v<<4 | hexVal(s[i])
						i++
					}
					w = append(w, v)
					continue
				case c == 'c' && i+1 < len(s):
					w = append(w, s[i+1]&0x1f)
					i += 2
					continue
				case c >= '0' && c <= '7':
					v := c - '0'
					i++
					for n := 0; n < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; n++ {
						v = v<<3 + s[i] - '0'
						i++
					}
					w = append(w, v)
					continue
				}
				if e, ok := cEscapes[c]; ok {
					c = e
				}
				w = append(w, c)
				i++
			case q != 0 && c == q:
				q = 0
				i++
			case q != 0:
				w = append(w, c)
				i++
			case c == '"' || c == '\'':
				q = c
				i++
			case c == ' ' || c == '\t':
				break word
			default:
				w = append(w, c)
				i++
			}
		}
		if q != 0 {
			return nil, fmt.Errorf("missing terminating %c", q)
		}
		out = append(out, string(w))
	}
}

var cEscapes = map[byte]byte{'a': '\a', 'b': '\b', 'E': 0x1b, 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// expandBraces expands the {a,b} alternatives of a glob (keepalived globs
// with GLOB_BRACE), nested ones included, in order.
func expandBraces(p string) []string {
	if strings.Count(p, "{") > 16 {
		return []string{p} // too many to be a file name pattern
	}
	depth, open := 0, -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth > 0 {
				continue
			}
			// Split the alternatives at the top-level commas.
			var alts []string
			d, start := 0, open+1
			for j := open + 1; j < i; j++ {
				switch p[j] {
				case '{':
					d++
				case '}':
					d--
				case ',':
					if d == 0 {
						alts = append(alts, p[start:j])
						start = j + 1
					}
				}
			}
			alts = append(alts, p[start:i])
			if len(alts) == 1 {
				// "{x}" is not an alternative: keep it.
				continue
			}
			var out []string
			for _, a := range alts {
				for _, e := range expandBraces(p[:open] + a + p[i+1:]) {
					if len(out) >= 1000 {
						return out
					}
					out = append(out, e)
				}
			}
			return out
		}
	}
	return []string{p}
}
