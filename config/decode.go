package config

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// decoder walks the generic tree produced by the TOML parser and fills the
// model. It never stops at the first problem: every error is collected.
type decoder struct {
	file string
	errs Errors
	// rec, when not nil, records the schema path of every key the decoder
	// knows (the reference test uses it).
	rec map[string]bool
	// stream, when not nil, holds the virtual servers already decoded
	// while the file was read (see fastRead).
	stream *vsStream
	// arena, when arenaOn, is where nodes come from (see nodes).
	arena     []node
	elemArena []elem
	ptrArena  []*node
	arenaOn   bool
	// schemas and schemaCache cache schemaJoin.
	schemas     map[[2]string]string
	schemaCache [64]struct{ a, b, s string }
}

// errorf records an error at the display path path.
func (d *decoder) errorf(path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// node is one TOML table being decoded.
type node struct {
	d *decoder
	// The display path (vrrp_instance[0]) is built on demand by path, as
	// only error messages need it: up's path, key and index idx (none
	// when -1); the root has none of them.
	up      *node
	key     string
	idx     int
	pathStr string
	pathOK  bool
	schema  string // schema path: vrrp_instance
	m       map[string]any
	// used lists the keys of m the decoder asked for, each once.
	used    []string
	usedBuf [4]string // used's first backing store
	// sig is the signature of m's keys (keySig), once sigOK.
	sig   uint64
	sigOK bool
	// form: the table is an inline-table spelling of a one-line form
	// (its keys are words of the form, not configuration keys).
	form bool
}

func (d *decoder) root(m map[string]any) *node {
	return newNode(&node{d: d, m: m, pathOK: true})
}

// path is the display path of n: vrrp_instance[0].track_script[1].
func (n *node) path() string {
	if !n.pathOK {
		base := ""
		if n.up != nil {
			base = n.up.path()
		}
		n.pathStr = indexPath(base, n.key, n.idx)
		n.pathOK = true
	}
	return n.pathStr
}

// indexPath is join(base, key) followed by [idx] when idx >= 0.
func indexPath(base, key string, idx int) string {
	p := join(base, key)
	if idx < 0 {
		return p
	}
	return p + "[" + strconv.Itoa(idx) + "]"
}

// newNode points n.used at n's own buffer.
func newNode(n *node) *node {
	n.used = n.usedBuf[:0]
	return n
}

// node returns v as a node of d (from the arena when there is one).
func (d *decoder) node(v node) *node {
	t := &d.nodes(1)[0]
	*t = v
	t.used = t.usedBuf[:0]
	return t
}

// nodes returns room for n nodes. With an arena (the decoder of streamed
// virtual servers) the room is reused once resetArena says the nodes
// handed out before are dead; else it is a new allocation.
func (d *decoder) nodes(n int) []node {
	if !d.arenaOn {
		return make([]node, n)
	}
	l := len(d.arena)
	if l+n > cap(d.arena) {
		d.arena = make([]node, 0, max(64, 2*n))
		l = 0
	}
	d.arena = d.arena[:l+n]
	return d.arena[l : l+n : l+n]
}

// nodePtrs is nodes for the slices tables returns.
func (d *decoder) nodePtrs(n int) []*node {
	if !d.arenaOn {
		return make([]*node, n)
	}
	l := len(d.ptrArena)
	if l+n > cap(d.ptrArena) {
		d.ptrArena = make([]*node, 0, max(64, 2*n))
		l = 0
	}
	d.ptrArena = d.ptrArena[:l+n]
	return d.ptrArena[l : l+n : l+n]
}

// elems is nodes for list elements.
func (d *decoder) elems(n int) []elem {
	if !d.arenaOn {
		return make([]elem, n)
	}
	l := len(d.elemArena)
	if l+n > cap(d.elemArena) {
		d.elemArena = make([]elem, 0, max(64, 2*n))
		l = 0
	}
	d.elemArena = d.elemArena[:l+n]
	return d.elemArena[l : l+n : l+n]
}

// resetArena: no node or elem handed out so far is used any more.
func (d *decoder) resetArena() {
	d.arena = d.arena[:0]
	d.elemArena = d.elemArena[:0]
	d.ptrArena = d.ptrArena[:0]
}

// use marks key k of n known (when present).
func (n *node) use(k string) {
	if _, ok := n.m[k]; ok && !slices.Contains(n.used, k) {
		n.used = append(n.used, k)
	}
}

// schemaJoin is join for schema paths, which are few: each is made once
// per decoder.
func (d *decoder) schemaJoin(a, b string) string {
	// a direct-mapped cache in front of the map: no hashing of a and b
	h := (len(a)*3 + len(b)*5) & (len(d.schemaCache) - 1)
	if b != "" {
		h = (h + int(b[0])) & (len(d.schemaCache) - 1)
	}
	if c := &d.schemaCache[h]; c.s != "" && c.a == a && c.b == b {
		return c.s
	}
	s := d.schemaJoinMap(a, b)
	d.schemaCache[h] = struct{ a, b, s string }{a, b, s}
	return s
}

func (d *decoder) schemaJoinMap(a, b string) string {
	k := [2]string{a, b}
	if s, ok := d.schemas[k]; ok {
		return s
	}
	if d.schemas == nil {
		d.schemas = map[[2]string]string{}
	}
	s := join(a, b)
	d.schemas[k] = s
	return s
}

// join appends key b to path a; a key that is not a bare TOML key is
// quoted, so that "a.b" = 1 reads "a.b", not a.b.
func join(a, b string) string {
	if !isBare(b) {
		b = quote(b)
	}
	if a == "" {
		return b
	}
	return a + "." + b
}

func isBare(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// keyPath is the display path of key k in n.
func (n *node) keyPath(k string) string { return join(n.path(), k) }

// get returns the value of key k, marking it known. A key that is present
// but not supported yet is reported and reported absent.
func (n *node) get(k string) (any, bool) {
	if n.d.rec != nil && !n.form {
		n.d.rec[join(n.schema, k)] = true
	}
	if !n.mayHave(k) {
		return nil, false
	}
	v, ok := n.m[k]
	if !ok {
		return nil, false
	}
	if !slices.Contains(n.used, k) {
		n.used = append(n.used, k)
	}
	if unsupportedSig()&keySig(k) != 0 && unsupportedLeaf()[k] {
		sp := join(n.schema, k)
		if why, ok := notSupported[sp]; ok && !n.form {
			msg := "not supported yet"
			if why != "" {
				msg += " (" + why + ")"
			}
			n.d.errorf(n.keyPath(k), "%s", msg)
			return nil, false
		}
	}
	return v, true
}

// unsupportedLeaf holds the last components of the notSupported paths,
// so that get joins a path only for keys that may be unsupported.
var unsupportedLeaf = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for p := range notSupported {
		m[p[strings.LastIndexByte(p, '.')+1:]] = true
	}
	return m
})

// has reports whether k is present (it does not mark it known).
func (n *node) has(k string) bool {
	if !n.mayHave(k) {
		return false
	}
	_, ok := n.m[k]
	return ok
}

// keySig is one bit of a 64-bit signature of a key: cheap to compute,
// so that most lookups of absent keys (the decoder asks for every key it
// knows) skip the map.
func keySig(k string) uint64 {
	if k == "" {
		return 1
	}
	return 1 << ((uint(len(k))*7 + uint(k[0]) + uint(k[len(k)-1])*3) & 63)
}

// mayHave reports false when n certainly has no key k.
func (n *node) mayHave(k string) bool {
	if !n.sigOK {
		for key := range n.m {
			n.sig |= keySig(key)
		}
		n.sigOK = true
	}
	return n.sig&keySig(k) != 0
}

// unsupportedSig is the signature of the unsupportedLeaf keys.
var unsupportedSig = sync.OnceValue(func() uint64 {
	var sig uint64
	for k := range unsupportedLeaf() {
		sig |= keySig(k)
	}
	return sig
})

// finish reports every key of n the decoder did not ask for.
func (n *node) finish() {
	if len(n.used) == len(n.m) {
		return // used holds only keys of m
	}
	var unknown []string
	for k := range n.m {
		if !slices.Contains(n.used, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		n.d.errorf(n.keyPath(k), "unknown key")
	}
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case map[string]any:
		return "table"
	case []map[string]any, []any:
		return "array"
	case time.Time:
		return "datetime"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func (n *node) typeErr(k string, v any, want string) {
	n.d.errorf(n.keyPath(k), "wrong type %s, want %s", typeName(v), want)
}

func (n *node) str(k string, dst *string) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	s, ok := v.(string)
	if !ok {
		n.typeErr(k, v, "string")
		return false
	}
	*dst = s
	return true
}

// nonEmpty is str with an error for "".
func (n *node) nonEmpty(k string, dst *string) bool {
	var s string
	if !n.str(k, &s) {
		return false
	}
	if strings.TrimSpace(s) == "" {
		n.d.errorf(n.keyPath(k), "must not be empty")
		return false
	}
	*dst = s
	return true
}

func (n *node) boolean(k string, dst *bool) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		n.typeErr(k, v, "boolean")
		return false
	}
	*dst = b
	return true
}

func (n *node) integer(k string, dst *int, lo, hi int) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	i, ok := v.(int64)
	if !ok {
		n.typeErr(k, v, "integer")
		return false
	}
	if i < int64(lo) || i > int64(hi) {
		n.d.errorf(n.keyPath(k), "%d out of range %d..%d", i, lo, hi)
		return false
	}
	*dst = int(i)
	return true
}

func (n *node) port(k string, dst *uint16) bool {
	var i int
	if !n.integer(k, &i, 0, 65535) {
		return false
	}
	*dst = uint16(i)
	return true
}

func (n *node) fwmark(k string, dst *uint32) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	i, ok := v.(int64)
	if !ok {
		n.typeErr(k, v, "integer")
		return false
	}
	if i < 1 || i > math.MaxUint32 {
		n.d.errorf(n.keyPath(k), "%d out of range 1..%d", i, uint32(math.MaxUint32))
		return false
	}
	*dst = uint32(i)
	return true
}

// durationValue converts a TOML value to a duration: a number of seconds
// (integer or float) or a Go duration string.
func durationValue(v any) (time.Duration, string) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return 0, fmt.Sprintf("negative duration %d", x)
		}
		if x > int64(math.MaxInt64/time.Second) {
			return 0, fmt.Sprintf("duration %d s too large", x)
		}
		return time.Duration(x) * time.Second, ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return 0, fmt.Sprintf("invalid duration %v (want a number of seconds >= 0)", x)
		}
		if x > float64(math.MaxInt64/time.Second) {
			return 0, fmt.Sprintf("duration %v s too large", x)
		}
		return time.Duration(math.Round(x * float64(time.Second))), ""
	case string:
		dd, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Sprintf("invalid duration %q (want seconds as a number, or a duration such as \"1500ms\")", x)
		}
		if dd < 0 {
			return 0, fmt.Sprintf("negative duration %q", x)
		}
		return dd, ""
	default:
		return 0, fmt.Sprintf("wrong type %s, want a number of seconds or a duration string", typeName(v))
	}
}

func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

func (n *node) duration(k string, dst *time.Duration, lo, hi time.Duration) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	dd, msg := durationValue(v)
	if msg != "" {
		n.d.errorf(n.keyPath(k), "%s", msg)
		return false
	}
	if dd < lo || (hi > 0 && dd > hi) {
		if hi > 0 {
			n.d.errorf(n.keyPath(k), "%s out of range %s..%s", fmtDur(dd), fmtDur(lo), fmtDur(hi))
		} else {
			n.d.errorf(n.keyPath(k), "%s must be at least %s", fmtDur(dd), fmtDur(lo))
		}
		return false
	}
	*dst = dd
	return true
}

func (n *node) addr(k string, dst *netip.Addr) bool {
	var s string
	if !n.str(k, &s) {
		return false
	}
	a, err := parseAddr(s)
	if err != nil {
		n.d.errorf(n.keyPath(k), "%v", err)
		return false
	}
	*dst = a
	return true
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad IP address %q", s)
	}
	return a.Unmap(), nil
}

// enum reads a string that must be one of allowed (compared without case);
// the canonical spelling from allowed is stored.
func (n *node) enum(k string, dst *string, allowed ...string) bool {
	var s string
	if !n.str(k, &s) {
		return false
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			*dst = a
			return true
		}
	}
	n.d.errorf(n.keyPath(k), "unknown value %q (allowed: %s)", s, strings.Join(allowed, ", "))
	return false
}

// command reads a command line: a string, or a table
// { script = "...", user = "...", group = "..." }.
func (n *node) command(k string, dst *Command) bool {
	v, ok := n.get(k)
	if !ok {
		return false
	}
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			n.d.errorf(n.keyPath(k), "empty command line")
			return false
		}
		*dst = Command{Line: x}
		return true
	case map[string]any:
		t := n.sub(k, x)
		t.form = true
		var c Command
		ok := t.nonEmpty("script", &c.Line)
		if !ok && !t.has("script") {
			n.d.errorf(t.path(), "missing key script")
		}
		t.str("user", &c.User)
		t.str("group", &c.Group)
		t.finish()
		if ok {
			*dst = c
		}
		return ok
	default:
		n.typeErr(k, v, "string (a command line) or table {script, user, group}")
		return false
	}
}

// sub makes a child node for the table at key k.
func (n *node) sub(k string, m map[string]any) *node {
	return n.d.node(node{d: n.d, up: n, key: k, idx: -1, schema: n.d.schemaJoin(n.schema, k), m: m})
}

// table returns the (inline) table at k, or nil.
func (n *node) table(k string) *node {
	v, ok := n.get(k)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		n.typeErr(k, v, "table")
		return nil
	}
	return n.sub(k, m)
}

// tables returns the array of tables at k (from [[k]] or an array of
// inline tables).
func (n *node) tables(k string) []*node {
	v, ok := n.get(k)
	if !ok {
		return nil
	}
	var ms []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		ms = x
	case []any:
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				n.d.errorf(fmt.Sprintf("%s[%d]", n.keyPath(k), i), "wrong type %s, want table", typeName(e))
				continue
			}
			ms = append(ms, m)
		}
	case map[string]any:
		n.d.errorf(n.keyPath(k), "wrong type table, want array of tables ([[%s]])", join(n.schema, k))
		return nil
	default:
		n.typeErr(k, v, "array of tables")
		return nil
	}
	return n.d.elemNodes(n, k, n.d.schemaJoin(n.schema, k), ms)
}

// elemNodes makes the nodes of the tables of an array, in few allocations.
func (d *decoder) elemNodes(up *node, k, sp string, ms []map[string]any) []*node {
	out := d.nodePtrs(len(ms))
	nodes := d.nodes(len(ms))
	total := 0
	for _, m := range ms {
		if len(m) > len(node{}.usedBuf) {
			total += len(m)
		}
	}
	var used []string
	if total > 0 {
		used = make([]string, total)
	}
	for i, m := range ms {
		t := &nodes[i]
		*t = node{d: d, up: up, key: k, idx: i, schema: sp, m: m}
		if len(m) > len(t.usedBuf) {
			t.used = used[:0:len(m)]
			used = used[len(m):]
		} else {
			t.used = t.usedBuf[:0]
		}
		out[i] = t
	}
	return out
}

// elem is one element of an array value: its display path is that of
// element idx (none when -1) of key of up, built on demand by path.
type elem struct {
	up     *node
	key    string
	idx    int
	schema string
	v      any
}

// path is the display path of e.
func (e elem) path() string { return indexPath(e.up.path(), e.key, e.idx) }

// list returns the elements of the array at k. A single non-array value is
// accepted as a one-element list when single is true.
func (n *node) list(k string, single bool) ([]elem, bool) {
	v, ok := n.get(k)
	if !ok {
		return nil, false
	}
	var vs []any
	switch x := v.(type) {
	case []any:
		vs = x
	case []map[string]any:
		for _, m := range x {
			vs = append(vs, m)
		}
	default:
		if !single {
			n.typeErr(k, v, "array")
			return nil, false
		}
		return []elem{{up: n, key: k, idx: -1, schema: n.d.schemaJoin(n.schema, k), v: v}}, true
	}
	out := n.d.elems(len(vs))
	sp := n.d.schemaJoin(n.schema, k)
	for i, v := range vs {
		out[i] = elem{up: n, key: k, idx: i, schema: sp, v: v}
	}
	return out, true
}

// stringList reads an array of strings.
func (n *node) stringList(k string, dst *[]string) bool {
	es, ok := n.list(k, false)
	if !ok {
		return false
	}
	out := make([]string, 0, len(es))
	good := true
	for _, e := range es {
		s, ok := e.v.(string)
		if !ok {
			n.d.errorf(e.path(), "wrong type %s, want string", typeName(e.v))
			good = false
			continue
		}
		out = append(out, s)
	}
	*dst = out
	return good
}

// elemNode makes a node of an inline table element.
func (n *node) elemNode(e elem, m map[string]any) *node {
	return n.d.node(node{d: n.d, up: e.up, key: e.key, idx: e.idx, schema: e.schema, m: m})
}

// formNode makes a node of an inline table spelling a one-line form.
func (n *node) formNode(e elem, m map[string]any) *node {
	t := n.elemNode(e, m)
	t.form = true
	return t
}

// words turns an inline table of a one-line form into the words of that
// form: first the value of lead, then "key value" pairs (a true boolean is
// the bare key, a false one is left out). Keys are recorded in the schema.
func (n *node) words(t *node, lead string, keys []string, bools []string) ([]string, bool) {
	t.form = true
	var out []string
	v, ok := t.get(lead)
	if !ok {
		if !t.has(lead) {
			n.d.errorf(t.path(), "missing key %s", lead)
		}
		return nil, false
	}
	ls, ok := scalarString(v)
	if !ok {
		t.typeErr(lead, v, "string")
		return nil, false
	}
	out = append(out, ls)
	good := true
	for _, k := range keys {
		v, ok := t.get(k)
		if !ok {
			continue
		}
		s, ok := scalarString(v)
		if !ok {
			t.typeErr(k, v, "string or number")
			good = false
			continue
		}
		out = append(out, k, s)
	}
	for _, k := range bools {
		var b bool
		if t.boolean(k, &b) && b {
			out = append(out, k)
		}
	}
	t.finish()
	return out, good
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
