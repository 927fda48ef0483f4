package config

import (
	"strconv"
	"unicode/utf8"
)

// A single-pass reader for the subset of TOML that lvsd files use: bare
// keys, [table] and [[array]] headers, one-line basic and literal strings,
// decimal integers and floats, booleans, arrays and one-line inline tables,
// comments. It builds exactly the tree that BurntSushi/toml's Decode into a
// map[string]any builds (int64, float64, string, bool, map[string]any,
// []any, []map[string]any) at a fraction of the cost.
//
// It is never the judge of a document: on anything it does not handle, or
// that could be an error (a duplicate key, a redefined table, a control
// character, a number form it does not read, ...), it gives up and the
// caller decodes the file with BurntSushi/toml, whose results and error
// messages are then exactly the same as before. FuzzFastTOML and
// TestFastTOMLAgrees hold it to that.

// ftable is a table made by a header (or implied by one): only these can be
// extended by later headers. Inline tables and values are in m only.
type ftable struct {
	m    map[string]any
	kids []fkid
	kid0 [1]fkid // kids' first backing store
}

// fkid is a header-made child of a table: a table or an array of tables.
type fkid struct {
	key string
	t   *ftable
	arr *farray
}

type farray struct {
	parent map[string]any
	key    string
	maps   []map[string]any
	// Headers reach only the last element: its map and children.
	lastM    map[string]any
	lastKids []fkid
	stale    bool
}

type fastReader struct {
	src  []byte
	i    int
	root *ftable
	cur  map[string]any // the table key = value lines go to
	// depth is the nesting of arrays and inline tables being read.
	depth    int
	strs     map[string]string
	keyCache [256]string
	vals     map[string]any // boxed string values
	ints     map[int64]any  // boxed integers
	// streaming: every complete element of the top-level array of tables
	// streamKey is handed to stream and then dropped from the tree.
	streamKey string
	stream    func(map[string]any)
	streamArr *farray
	// free holds the emptied maps of streamed elements, for reuse;
	// freeArrays their arrays, elemArrays those of the current element.
	free       []map[string]any
	freeArrays []*farray
	elemArrays []*farray
	// stale lists the arrays whose value in their parent map is older
	// than their last append; flush brings them up to date.
	stale []*farray
}

// newTable allocates each table on its own: slabs would keep the trees of
// streamed elements reachable from their neighbours.
func (r *fastReader) newTable() *ftable {
	t := &ftable{m: r.newMap()}
	t.kids = t.kid0[:0]
	return t
}

// newMap returns an empty map, a recycled one when there is one.
func (r *fastReader) newMap() map[string]any {
	if n := len(r.free); n > 0 {
		m := r.free[n-1]
		r.free = r.free[:n-1]
		return m
	}
	return map[string]any{}
}

// recycle empties m and the maps in it for newMap. Only the tree of a
// streamed element is recycled, once it is decoded: the model keeps no
// reference into the tree (TestFastTOMLAgrees compares the models).
func (r *fastReader) recycle(m map[string]any) {
	for _, v := range m {
		r.recycleValue(v)
	}
	clear(m)
	r.free = append(r.free, m)
}

func (r *fastReader) recycleValue(v any) {
	switch x := v.(type) {
	case map[string]any:
		r.recycle(x)
	case []map[string]any:
		for _, m := range x {
			if m != nil {
				r.recycle(m)
			}
		}
	case []any:
		for _, e := range x {
			r.recycleValue(e)
		}
	}
}

// newArray makes an array of tables; inStream: inside the streamed
// element, so it is reused once that is decoded.
func (r *fastReader) newArray(parent map[string]any, key string, inStream bool) *farray {
	if !inStream {
		return &farray{parent: parent, key: key}
	}
	var a *farray
	if n := len(r.freeArrays); n > 0 {
		a = r.freeArrays[n-1]
		r.freeArrays = r.freeArrays[:n-1]
	} else {
		a = &farray{}
	}
	a.parent, a.key = parent, key
	r.elemArrays = append(r.elemArrays, a)
	return a
}

// flush stores every array's elements in its parent map.
func (r *fastReader) flush() {
	for _, a := range r.stale {
		a.parent[a.key] = a.maps
		a.stale = false
	}
	r.stale = r.stale[:0]
}

// emit hands a complete element of the streamed array to stream.
func (r *fastReader) emit(i int) {
	r.flush()
	a := r.streamArr
	r.stream(a.maps[i])
	r.recycle(a.maps[i])
	a.maps[i] = nil
	// flush left none of the element's arrays stale, and nothing else
	// refers to them once the header that called emit moves on.
	for _, e := range r.elemArrays {
		clear(e.maps)
		*e = farray{maps: e.maps[:0], lastKids: e.lastKids[:0]}
		r.freeArrays = append(r.freeArrays, e)
	}
	r.elemArrays = r.elemArrays[:0]
}

// fastTOML reads data into the tree toml.Decode makes, or reports false
// when the caller must use toml.Decode. With stream set, each element of
// the top-level array of tables streamKey is passed to it as soon as it is
// complete, and left as nil in the returned tree.
func fastTOML(data []byte, streamKey string, stream func(map[string]any)) (map[string]any, bool) {
	ascii := true
	for _, b := range data {
		if b < 0x20 && b != '\t' && b != '\n' || b == 0x7f {
			return nil, false
		}
		if b >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(data) {
		return nil, false
	}
	r := &fastReader{src: data, strs: map[string]string{}, vals: map[string]any{}, ints: map[int64]any{},
		streamKey: streamKey, stream: stream}
	r.root = r.newTable()
	r.cur = r.root.m
	if !r.document() {
		return nil, false
	}
	if a := r.streamArr; a != nil && len(a.maps) > 0 {
		r.emit(len(a.maps) - 1)
		a.lastM = nil
	}
	r.flush()
	return r.root.m, true
}

func (r *fastReader) eof() bool { return r.i >= len(r.src) }

func (r *fastReader) skipBlank() {
	for r.i < len(r.src) && (r.src[r.i] == ' ' || r.src[r.i] == '\t') {
		r.i++
	}
}

func (r *fastReader) skipComment() {
	for r.i < len(r.src) && r.src[r.i] != '\n' {
		r.i++
	}
}

// skipAll skips blanks, newlines and comments (inside arrays).
func (r *fastReader) skipAll() {
	for r.i < len(r.src) {
		switch r.src[r.i] {
		case ' ', '\t', '\n':
			r.i++
		case '#':
			r.skipComment()
		default:
			return
		}
	}
}

// lineEnd accepts blanks, a comment and the end of the line.
func (r *fastReader) lineEnd() bool {
	r.skipBlank()
	if r.eof() {
		return true
	}
	if r.src[r.i] == '#' {
		r.skipComment()
		return true
	}
	if r.src[r.i] == '\n' {
		r.i++
		return true
	}
	return false
}

func (r *fastReader) document() bool {
	for {
		r.skipBlank()
		if r.eof() {
			return true
		}
		switch r.src[r.i] {
		case '\n':
			r.i++
		case '#':
			r.skipComment()
		case '[':
			if !r.header() || !r.lineEnd() {
				return false
			}
		default:
			if !r.keyValue(r.cur) || !r.lineEnd() {
				return false
			}
		}
	}
}

// intern returns b as a string, one copy per distinct short value.
func (r *fastReader) intern(b []byte) string {
	if len(b) > 32 {
		return string(b)
	}
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.strs) < 256 {
		// The repeated values come early; unique ones (addresses)
		// would only make the map big.
		r.strs[s] = s
	}
	return s
}

// internValue is intern for a string value: the boxed value is shared too
// (boxing a string allocates).
func (r *fastReader) internValue(b []byte) any {
	if len(b) > 32 {
		return string(b)
	}
	if v, ok := r.vals[string(b)]; ok {
		return v
	}
	var v any = string(b)
	if len(r.vals) < 256 {
		r.vals[string(b)] = v
	}
	return v
}

// intValue boxes v, sharing the boxes of repeated values.
func (r *fastReader) intValue(v int64) any {
	if v >= 0 && v < 256 {
		return v // the runtime boxes these without allocating
	}
	if b, ok := r.ints[v]; ok {
		return b
	}
	var b any = v
	if len(r.ints) < 256 {
		r.ints[v] = b
	}
	return b
}

func isBareByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// bareKey reads a bare key (quoted keys are left to the full parser).
func (r *fastReader) bareKey() (string, bool) {
	start := r.i
	for r.i < len(r.src) && isBareByte(r.src[r.i]) {
		r.i++
	}
	if r.i == start {
		return "", false
	}
	b := r.src[start:r.i]
	// keys repeat: a direct-mapped cache spares hashing them
	h := (len(b)*7 + int(b[0]) + int(b[len(b)-1])*3) & (len(r.keyCache) - 1)
	if c := r.keyCache[h]; c == string(b) {
		return c, true
	}
	k := r.intern(b)
	r.keyCache[h] = k
	return k, true
}

func (r *fastReader) header() bool {
	r.i++ // [
	array := !r.eof() && r.src[r.i] == '['
	if array {
		r.i++
	}
	var keys [4]string
	n := 0
	for {
		r.skipBlank()
		k, ok := r.bareKey()
		if !ok || n == len(keys) {
			return false
		}
		keys[n] = k
		n++
		r.skipBlank()
		if r.eof() {
			return false
		}
		if r.src[r.i] == '.' {
			r.i++
			continue
		}
		if r.src[r.i] != ']' {
			return false
		}
		r.i++
		if array {
			if r.eof() || r.src[r.i] != ']' {
				return false
			}
			r.i++
		}
		break
	}
	t := tref{r.root.m, &r.root.kids}
	for _, k := range keys[:n-1] {
		kid := t.kid(k)
		switch {
		case kid == nil:
			if _, ok := t.m[k]; ok {
				return false // a value or an inline table
			}
			nt := r.newTable()
			t.m[k] = nt.m
			*t.kids = append(*t.kids, fkid{key: k, t: nt})
			t = tref{nt.m, &nt.kids}
		case kid.t != nil:
			t = tref{kid.t.m, &kid.t.kids}
		default:
			if kid.arr.lastM == nil {
				return false // streamed away; cannot happen for a complete element
			}
			t = tref{kid.arr.lastM, &kid.arr.lastKids}
		}
	}
	last := keys[n-1]
	kid := t.kid(last)
	if !array {
		if kid != nil {
			return false // redefined or implicit-then-explicit: the full parser decides
		}
		if _, ok := t.m[last]; ok {
			return false
		}
		nt := r.newTable()
		t.m[last] = nt.m
		*t.kids = append(*t.kids, fkid{key: last, t: nt})
		r.cur = nt.m
		return true
	}
	var a *farray
	switch {
	case kid == nil:
		if _, ok := t.m[last]; ok {
			return false
		}
		a = r.newArray(t.m, last, n > 1 && r.streamArr != nil && keys[0] == r.streamKey)
		t.m[last] = nil // the key is taken; flush stores the elements
		*t.kids = append(*t.kids, fkid{key: last, arr: a})
		if t.kids == &r.root.kids && last == r.streamKey && r.stream != nil {
			r.streamArr = a
		}
	case kid.arr != nil:
		a = kid.arr
	default:
		return false
	}
	if a == r.streamArr && len(a.maps) > 0 {
		r.emit(len(a.maps) - 1)
	}
	// A new element: only the last one can be reached by later headers,
	// so one kids slice per array serves all its elements.
	m := r.newMap()
	a.lastM = m
	a.lastKids = a.lastKids[:0]
	a.maps = append(a.maps, m)
	if !a.stale {
		a.stale = true
		r.stale = append(r.stale, a)
	}
	r.cur = m
	return true
}

// tref is the table a header walks through: its map and its header-made
// children.
type tref struct {
	m    map[string]any
	kids *[]fkid
}

func (t tref) kid(k string) *fkid {
	for i := range *t.kids {
		if (*t.kids)[i].key == k {
			return &(*t.kids)[i]
		}
	}
	return nil
}

// keyValue reads key = value into m.
func (r *fastReader) keyValue(m map[string]any) bool {
	k, ok := r.bareKey()
	if !ok {
		return false
	}
	r.skipBlank()
	if r.eof() || r.src[r.i] != '=' {
		return false // a dotted key, or not a key
	}
	r.i++
	r.skipBlank()
	v, ok := r.value()
	if !ok {
		return false
	}
	if _, dup := m[k]; dup {
		return false
	}
	m[k] = v
	return true
}

// delim reports whether a scalar may end at the current byte.
func (r *fastReader) delim() bool {
	if r.eof() {
		return true
	}
	switch r.src[r.i] {
	case ' ', '\t', '\n', '#', ',', ']', '}':
		return true
	}
	return false
}

// maxDepth bounds the nesting of arrays and inline tables the fast reader
// follows; deeper documents go to the full parser.
const maxDepth = 32

func (r *fastReader) value() (any, bool) {
	if r.eof() || r.depth > maxDepth {
		return nil, false
	}
	switch c := r.src[r.i]; {
	case c == '"':
		return r.basicString()
	case c == '\'':
		return r.literalString()
	case c == '[':
		return r.array()
	case c == '{':
		return r.inlineTable()
	case c == 't':
		if r.word("true") {
			return true, true
		}
	case c == 'f':
		if r.word("false") {
			return false, true
		}
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	}
	return nil, false
}

func (r *fastReader) word(w string) bool {
	if len(r.src)-r.i < len(w) || string(r.src[r.i:r.i+len(w)]) != w {
		return false
	}
	r.i += len(w)
	return r.delim()
}

// number reads -?(0|[1-9][0-9]*) and an optional .[0-9]+: nothing else
// (no +, _, exponent, hex, inf, dates).
func (r *fastReader) number() (any, bool) {
	start := r.i
	if r.src[r.i] == '-' {
		r.i++
	}
	ds := r.i
	for r.i < len(r.src) && r.src[r.i] >= '0' && r.src[r.i] <= '9' {
		r.i++
	}
	nd := r.i - ds
	if nd == 0 || nd > 1 && r.src[ds] == '0' {
		return nil, false
	}
	if r.i < len(r.src) && r.src[r.i] == '.' {
		r.i++
		fs := r.i
		for r.i < len(r.src) && r.src[r.i] >= '0' && r.src[r.i] <= '9' {
			r.i++
		}
		if r.i == fs || !r.delim() {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(r.src[start:r.i]), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	if nd > 18 || !r.delim() {
		return nil, false
	}
	var v int64
	for _, c := range r.src[ds:r.i] {
		v = v*10 + int64(c-'0')
	}
	if r.src[start] == '-' {
		v = -v
	}
	return r.intValue(v), true
}

// basicString reads a one-line "..." string with the simple escapes.
func (r *fastReader) basicString() (any, bool) {
	r.i++
	start := r.i
	for r.i < len(r.src) {
		switch r.src[r.i] {
		case '"':
			if r.i == start && r.i+1 < len(r.src) && r.src[r.i+1] == '"' {
				return nil, false // """ multi-line
			}
			v := r.internValue(r.src[start:r.i])
			r.i++
			return v, true
		case '\\':
			return r.escapedString(start)
		case '\n':
			return nil, false
		}
		r.i++
	}
	return nil, false
}

func (r *fastReader) escapedString(start int) (any, bool) {
	buf := make([]byte, 0, r.i-start+16)
	buf = append(buf, r.src[start:r.i]...)
	for r.i < len(r.src) {
		c := r.src[r.i]
		switch c {
		case '"':
			r.i++
			return string(buf), true
		case '\n':
			return nil, false
		case '\\':
			if r.i+1 >= len(r.src) {
				return nil, false
			}
			var e byte
			switch r.src[r.i+1] {
			case '"':
				e = '"'
			case '\\':
				e = '\\'
			case 'n':
				e = '\n'
			case 't':
				e = '\t'
			case 'r':
				e = '\r'
			case 'b':
				e = '\b'
			case 'f':
				e = '\f'
			default:
				return nil, false // \u, \U, \x, \e and bad escapes
			}
			buf = append(buf, e)
			r.i += 2
			continue
		}
		buf = append(buf, c)
		r.i++
	}
	return nil, false
}

// literalString reads a one-line '...' string.
func (r *fastReader) literalString() (any, bool) {
	r.i++
	start := r.i
	for r.i < len(r.src) {
		switch r.src[r.i] {
		case '\'':
			if r.i == start && r.i+1 < len(r.src) && r.src[r.i+1] == '\'' {
				return nil, false // ''' multi-line
			}
			v := r.internValue(r.src[start:r.i])
			r.i++
			return v, true
		case '\n':
			return nil, false
		}
		r.i++
	}
	return nil, false
}

func (r *fastReader) array() (any, bool) {
	r.depth++
	defer func() { r.depth-- }()
	r.i++
	out := make([]any, 0, 2)
	for {
		r.skipAll()
		if r.eof() {
			return nil, false
		}
		if r.src[r.i] == ']' {
			r.i++
			return out, true
		}
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		r.skipAll()
		if r.eof() {
			return nil, false
		}
		switch r.src[r.i] {
		case ',':
			r.i++
		case ']':
			r.i++
			return out, true
		default:
			return nil, false
		}
	}
}

// inlineTable reads a one-line { k = v, ... } without a trailing comma.
func (r *fastReader) inlineTable() (any, bool) {
	r.depth++
	defer func() { r.depth-- }()
	r.i++
	m := r.newMap()
	r.skipBlank()
	if !r.eof() && r.src[r.i] == '}' {
		r.i++
		return m, true
	}
	for {
		r.skipBlank()
		if !r.keyValue(m) {
			return nil, false
		}
		r.skipBlank()
		if r.eof() {
			return nil, false
		}
		switch r.src[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			return m, true
		default:
			return nil, false
		}
	}
}
