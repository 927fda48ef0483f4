package keepalived

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lvsd/lvsd/config"
)

// Options tune Convert.
type Options struct {
	ReadOptions
}

// Result is a successful conversion.
type Result struct {
	TOML     []byte
	Warnings []string // "FILE:LINE: block.keyword: what changes"
}

// Convert reads the keepalived configuration in file name and returns the
// equivalent lvsd TOML, checked by lvsd's loader. On any problem it
// returns Errors with all of them and no output.
func Convert(name string, opts Options) (*Result, error) {
	nodes, errs := Read(name, opts.ReadOptions)
	c := &conv{errs: errs, root: &table{}}
	c.top(nodes)
	if len(c.errs) > 0 {
		sortErrors(c.errs)
		return nil, c.errs
	}
	w := &writer{where: map[int]Pos{}}
	w.emit(Pos{}, "# Converted from keepalived by lvsd convert: "+name)
	w.table(c.root)
	out := []byte(w.b.String())
	if _, err := config.Parse(name+" (converted)", out); err != nil {
		var ces config.Errors
		if !errors.As(err, &ces) {
			return nil, fmt.Errorf("convert: check: %w", err)
		}
		for _, ce := range ces {
			p, ok := w.where[ce.Line]
			if !ok {
				p = Pos{File: name}
			}
			msg := ce.Msg
			if ce.Path != "" {
				msg = "lvsd " + ce.Path + ": " + msg
			}
			c.errs = append(c.errs, &Error{Pos: p, Msg: msg})
		}
		sortErrors(c.errs)
		return nil, c.errs
	}
	sortErrors(c.warns)
	warns := make([]string, len(c.warns))
	for i, w := range c.warns {
		warns[i] = w.Error()
	}
	return &Result{TOML: out, Warnings: warns}, nil
}

// conv holds the state of one conversion.
type conv struct {
	errs  Errors
	warns Errors
	root  *table
	glob  *table
	// lvs_sync_daemon_interface of an instance, and the instance.
	syncIf *Node
	syncIn string
	// global_defs keywords that give every instance or checker a default.
	globalDefaults map[string]*Node
	// procKeys: the first keyword that set each merged process key, and
	// "kw:KEYWORD" for each process keyword seen (rules_process.go).
	procKeys  map[string]*Node
	instances []*table
	checkers  []*table // http_get, ssl_get, tcp_check, ping_check
	// vsgAddrs: whether each virtual_server_group lists addresses (not
	// only fwmarks): keepalived gives those a protocol.
	vsgAddrs map[string]bool
}

func (c *conv) errorf(n *Node, path, format string, args ...any) {
	c.errs = append(c.errs, &Error{Pos: n.Pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *conv) warnf(n *Node, path, format string, args ...any) {
	c.warns = append(c.warns, &Error{Pos: n.Pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *conv) global(n *Node) *table {
	if c.glob == nil {
		c.glob = &table{header: "[global]"}
		if n != nil {
			c.glob.pos, c.glob.above, c.glob.comment = n.Pos, n.Above, n.Comment
		}
		// [global] goes first so that keys of later blocks can join it.
		c.root.subs = append([]*table{c.glob}, c.root.subs...)
	}
	return c.glob
}

// ctx is the block being converted.
type ctx struct {
	c     *conv
	path  string // keepalived block path: vrrp_instance, virtual_server.real_server
	t     *table
	name  string // block name (instances)
	extra map[string]*Node
}

func (x *ctx) kpath(n *Node) string {
	if x.path == "" { // a top-level list (static_routes)
		return n.Keyword()
	}
	return x.path + "." + n.Keyword()
}

func (x *ctx) errorf(n *Node, format string, args ...any) {
	x.c.errorf(n, x.kpath(n), format, args...)
}

func (x *ctx) warnf(n *Node, format string, args ...any) {
	x.c.warnf(n, x.kpath(n), format, args...)
}

// rule is what convert does with one keyword of one block.
type rule struct {
	key string // the lvsd key it becomes ("" when refused)
	fn  func(x *ctx, n *Node)
	why string // why it is refused
}

// block converts the children of n (a block) with rules.
func (x *ctx) block(n *Node, rules map[string]rule) {
	if !n.HasBlock {
		x.c.errorf(n, x.path, "missing '{' block")
		return
	}
	for _, ch := range n.Block {
		x.apply(ch, rules)
	}
	x.t.tail = append(x.t.tail, n.Tail...)
}

func (x *ctx) apply(n *Node, rules map[string]rule) {
	kw := n.Keyword()
	r, ok := rules[kw]
	if !ok {
		if why := knownReason(x.path, kw); why != "" {
			x.errorf(n, "%s", why)
		} else {
			x.errorf(n, "unknown keyword")
		}
		return
	}
	if r.fn == nil {
		x.errorf(n, "%s", r.why)
		return
	}
	r.fn(x, n)
}

// --- value helpers -------------------------------------------------------

func (x *ctx) noBlock(n *Node) bool {
	if n.HasBlock {
		x.errorf(n, "takes no '{' block")
		return false
	}
	return true
}

func (x *ctx) args(n *Node, lo, hi int) bool {
	if !x.noBlock(n) {
		return false
	}
	a := n.Args()
	switch {
	case len(a) < lo && lo == 1:
		x.errorf(n, "missing value")
	case len(a) < lo:
		x.errorf(n, "want at least %d values, got %d", lo, len(a))
	case hi >= 0 && len(a) > hi && hi == 0:
		x.errorf(n, "takes no value, got trailing %q", strings.Join(a, " "))
	case hi >= 0 && len(a) > hi:
		x.errorf(n, "trailing junk %q", strings.Join(a[hi:], " "))
	default:
		return true
	}
	return false
}

func (x *ctx) dup(n *Node, key string) bool {
	if x.t.get(key) != nil {
		x.errorf(n, "given twice")
		return true
	}
	return false
}

func str(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if x.args(n, 1, 1) && !x.dup(n, key) {
			x.t.set(n, key, quote(n.Args()[0]))
		}
	}}
}

// boolFlag: a keyword without a value that turns something on.
func boolFlag(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if x.args(n, 0, 0) && !x.dup(n, key) {
			x.t.set(n, key, "true")
		}
	}}
}

// boolOpt: a keyword with an optional true/false (keepalived's
// check_true_false: true, on, yes / false, off, no).
func boolOpt(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 0, 1) || x.dup(n, key) {
			return
		}
		if v, ok := x.boolValue(n); ok {
			x.t.set(n, key, strconv.FormatBool(v))
		}
	}}
}

func (x *ctx) boolValue(n *Node) (bool, bool) {
	if len(n.Args()) == 0 {
		return true, true
	}
	switch strings.ToLower(n.Args()[0]) {
	case "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	x.errorf(n, "%q is not true or false", n.Args()[0])
	return false, false
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func integer(key string, lo, hi int64) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		if v, ok := x.intValue(n, n.Args()[0], lo, hi); ok {
			x.t.set(n, key, strconv.FormatInt(v, 10))
		}
	}}
}

func (x *ctx) intValue(n *Node, s string, lo, hi int64) (int64, bool) {
	v, err := parseInt(s)
	if err != nil {
		x.errorf(n, "%q is not an integer", s)
		return 0, false
	}
	if v < lo || v > hi {
		x.errorf(n, "%d out of range %d..%d", v, lo, hi)
		return 0, false
	}
	return v, true
}

// seconds: keepalived timers are (decimal) seconds.
func seconds(key string, lo, hi float64) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		if v, ok := x.secValue(n, n.Args()[0], lo, hi); ok {
			x.t.set(n, key, v)
		}
	}}
}

// wholeSeconds: timers keepalived reads as unsigned integers.
func wholeSeconds(key string, lo, hi int64) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		a := n.Args()[0]
		if _, err := parseInt(a); err != nil {
			x.errorf(n, "%q: keepalived 2.2.7 takes whole seconds here (it ignores the keyword otherwise)", a)
			return
		}
		if v, ok := x.intValue(n, a, lo, hi); ok {
			x.t.set(n, key, strconv.FormatInt(v, 10))
		}
	}}
}

func (x *ctx) secValue(n *Node, s string, lo, hi float64) (string, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "eEnNxX") {
		x.errorf(n, "%q is not a number of seconds", s)
		return "", false
	}
	if f < lo || hi > 0 && f > hi {
		if hi > 0 {
			x.errorf(n, "%s out of range %g..%g seconds", s, lo, hi)
		} else {
			x.errorf(n, "%s below %g seconds", s, lo)
		}
		return "", false
	}
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func addr(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		a, err := netip.ParseAddr(n.Args()[0])
		if err != nil || a.Zone() != "" {
			x.errorf(n, "bad IP address %q", n.Args()[0])
			return
		}
		x.t.set(n, key, quote(a.String()))
	}}
}

func enum(key string, vals ...string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if !x.args(n, 1, 1) || x.dup(n, key) {
			return
		}
		for _, v := range vals {
			if strings.EqualFold(v, n.Args()[0]) {
				x.t.set(n, key, quote(v))
				return
			}
		}
		x.errorf(n, "%q is not one of %s", n.Args()[0], strings.Join(vals, ", "))
	}}
}

// commandWords splits a command keyword's line as keepalived does (quotes
// and escapes); it returns the words after the keyword.
func (x *ctx) commandWords(n *Node) ([]string, bool) {
	if !x.noBlock(n) {
		return nil, false
	}
	raw := n.Raw
	if raw == "" {
		raw = strings.Join(n.Words, " ")
	}
	w, err := splitCommand(raw)
	if err != nil {
		x.errorf(n, "%v", err)
		return nil, false
	}
	if len(w) < 2 || w[1] == "" {
		x.errorf(n, "missing value")
		return nil, false
	}
	return w[1:], true
}

// command: KEYWORD SCRIPT [USER [GROUP]] as keepalived's notify scripts.
func command(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		a, ok := x.commandWords(n)
		if !ok || x.dup(n, key) {
			return
		}
		if len(a) > 3 {
			x.errorf(n, "trailing junk %q after SCRIPT USER GROUP (quote the whole command line)", strings.Join(a[3:], " "))
			return
		}
		if len(a) == 1 {
			x.t.set(n, key, quote(a[0]))
			return
		}
		kv := []string{"script", quote(a[0]), "user", quote(a[1])}
		if len(a) == 3 {
			kv = append(kv, "group", quote(a[2]))
		}
		x.t.set(n, key, inline(kv...))
	}}
}

// script: the command of vrrp_script and misc_check; keepalived runs the
// first word only and ignores the rest, so convert refuses them.
func script(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		a, ok := x.commandWords(n)
		if !ok || x.dup(n, key) {
			return
		}
		if len(a) > 1 {
			x.errorf(n, "keepalived 2.2.7 runs %q and ignores %q: quote the whole command line", a[0], strings.Join(a[1:], " "))
			return
		}
		x.t.set(n, key, quote(a[0]))
	}}
}

// joined: the values as one string (script_user "USER GROUP", weight "-2 reverse").
func joined(key string, lo, hi int) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		if x.args(n, lo, hi) && !x.dup(n, key) {
			x.t.set(n, key, quote(strings.Join(n.Args(), " ")))
		}
	}}
}

// valueBlock: KEYWORD { line; line } as a list of strings, one a line.
func valueBlock(key string) rule {
	return rule{key: key, fn: func(x *ctx, n *Node) {
		x.valueBlock(n, key, nil)
	}}
}

func (x *ctx) valueBlock(n *Node, key string, check func(ch *Node) bool) {
	if len(n.Args()) > 0 {
		x.errorf(n, "trailing junk %q before '{'", strings.Join(n.Args(), " "))
		return
	}
	if !n.HasBlock {
		x.errorf(n, "missing '{' block")
		return
	}
	if x.dup(n, key) {
		return
	}
	var vals []string
	seen := map[string]bool{}
	for _, ch := range n.Block {
		if ch.HasBlock {
			x.c.errorf(ch, x.kpath(n), "%q: unexpected '{' in a list", ch.Keyword())
			continue
		}
		if check != nil && !check(ch) {
			continue
		}
		if i := slices.IndexFunc(ch.Words, func(w string) bool { return w == "" || strings.ContainsAny(w, " \t") }); i >= 0 {
			x.c.errorf(ch, x.kpath(n), "%q: not supported yet: a quoted value with blanks in a list line", ch.Words[i])
			continue
		}
		v := strings.Join(ch.Words, " ")
		if seen[v] {
			x.c.warnf(ch, x.kpath(n), "%q listed twice: merged", v)
			continue
		}
		seen[v] = true
		vals = append(vals, v)
	}
	e := x.t.set(n, key, quoteList(vals))
	// Comments inside the list go above it.
	for _, ch := range n.Block {
		e.above = append(e.above, ch.Above...)
		if ch.Comment != "" {
			e.above = append(e.above, ch.Comment)
		}
	}
	e.above = append(e.above, n.Tail...)
}

func refuse(why string) rule { return rule{why: why} }

// --- top level ------------------------------------------------------------

func (c *conv) top(nodes []*Node) {
	for _, n := range nodes {
		kw := n.Keyword()
		x := &ctx{c: c, path: kw}
		switch kw {
		case "global_defs":
			if len(n.Args()) > 0 {
				c.errorf(n, kw, "trailing junk %q", strings.Join(n.Args(), " "))
				continue
			}
			if c.glob != nil && c.glob.pos.File != "" {
				c.warnf(n, kw, "second global_defs block: merged into the first (line %d)", c.glob.pos.Line)
			}
			x.t = c.global(n)
			if x.t.pos.File == "" {
				x.t.pos, x.t.above, x.t.comment = n.Pos, n.Above, n.Comment
			}
			x.block(n, globalRules())
		case "SSL":
			x.t = c.global(nil)
			x.block(n, sslRules())
		case "net_namespace":
			// a top-level keyword of keepalived's, a global key of lvsd's
			x.t = c.global(nil)
			str("net_namespace").fn(x, n)
		case "vrrp_script", "vrrp_track_process", "track_file", "vrrp_track_file",
			"vrrp_sync_group", "vrrp_instance", "virtual_server_group", "bfd_instance":
			if !c.named(n) {
				continue
			}
			header := kw
			if kw == "vrrp_track_file" {
				header = "track_file"
				c.warnf(n, kw, "deprecated keyword: written as [[track_file]]")
			}
			x.t = c.newTable(n, "[["+header+"]]")
			x.t.set(nil, "name", quote(n.Args()[0]))
			x.name = n.Args()[0]
			switch kw {
			case "vrrp_script":
				x.block(n, scriptRules())
			case "vrrp_track_process":
				x.block(n, processRules())
			case "track_file", "vrrp_track_file":
				x.block(n, trackFileRules())
			case "vrrp_sync_group":
				x.syncGroup(n)
			case "vrrp_instance":
				c.instances = append(c.instances, x.t)
				x.block(n, instanceRules())
				x.nativeIPv6(n)
			case "virtual_server_group":
				x.vsg(n)
			case "bfd_instance":
				x.block(n, bfdRules())
				bfdHopLimit(x, n)
			}
		case "virtual_server":
			x.virtualServer(n)
		case "garp_group":
			x.garpGroup(n)
		case "static_ipaddress":
			x.t, x.path = c.root, ""
			x.valueBlock(n, kw, nil)
		case "static_routes":
			x.t, x.path = c.root, ""
			routesBlock(x, n, kw)
		case "static_rules":
			x.t, x.path = c.root, ""
			rulesBlock(x, n, kw)
		default:
			if why := knownReason("", kw); why != "" {
				c.errorf(n, kw, "%s", why)
			} else {
				c.errorf(n, kw, "unknown keyword")
			}
		}
	}
	c.pushGlobalDefaults()
	c.processWarnings() // rules_process.go
	c.strictInstances()
	if c.syncIf != nil {
		g := c.global(nil)
		if g.get("lvs_sync_daemon") != nil {
			c.errorf(c.syncIf, "vrrp_instance.lvs_sync_daemon_interface", "global_defs has lvs_sync_daemon already")
		} else {
			g.set(c.syncIf, "lvs_sync_daemon", inline("interface", quote(c.syncIf.Args()[0]), "vrrp_instance", quote(c.syncIn)))
			c.warnf(c.syncIf, "vrrp_instance.lvs_sync_daemon_interface", "deprecated keyword: written as global.lvs_sync_daemon")
		}
	}
}

func (c *conv) named(n *Node) bool {
	switch {
	case len(n.Args()) == 0:
		c.errorf(n, n.Keyword(), "missing name")
	case len(n.Args()) > 1:
		c.errorf(n, n.Keyword(), "trailing junk %q after the name", strings.Join(n.Args()[1:], " "))
	default:
		return true
	}
	return false
}

func (c *conv) newTable(n *Node, header string) *table {
	t := &table{header: header, pos: n.Pos, above: n.Above, comment: n.Comment}
	c.root.subs = append(c.root.subs, t)
	return t
}

func sub(parent *table, n *Node, header string) *table {
	t := &table{header: header, pos: n.Pos, above: n.Above, comment: n.Comment}
	parent.subs = append(parent.subs, t)
	return t
}

// ConvertData is Convert with the main file's content given; the files it
// includes are read through opts.FS.
func ConvertData(name string, data []byte, opts Options) (*Result, error) {
	if opts.FS == nil {
		opts.FS = OSFS
	}
	opts.FS = overlay{name: filepath.Clean(name), data: data, FS: opts.FS}
	return Convert(name, opts)
}

type overlay struct {
	name string
	data []byte
	FS
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if filepath.Clean(name) == o.name {
		return o.data, nil
	}
	return o.FS.ReadFile(name)
}

// pushGlobalDefaults sets the global_defs defaults lvsd has per instance or
// per checker on each one that does not set its own.
func (c *conv) pushGlobalDefaults() {
	set := func(ts []*table, n *Node, key, val string) {
		for _, t := range ts {
			if t.get(key) == nil {
				e := t.set(nil, key, val)
				e.pos, e.comment = n.Pos, "from global_defs, line "+strconv.Itoa(n.Pos.Line)
			}
		}
	}
	if n := c.globalDefaults["default_interface"]; n != nil {
		set(c.instances, n, "interface", quote(n.Args()[0]))
	}
	on := func(n *Node) bool {
		return len(n.Args()) == 0 || strings.Contains("true on yes", strings.ToLower(n.Args()[0]))
	}
	if n := c.globalDefaults["vrrp_notify_priority_changes"]; n != nil && on(n) {
		set(c.instances, n, "notify_priority_changes", "true")
	}
	if n := c.globalDefaults["checker_log_all_failures"]; n != nil && on(n) {
		set(c.checkers, n, "log_all_failures", "true")
	}
}

// nativeIPv6: keepalived's native_ipv6 makes an instance IPv6; an lvsd
// instance is IPv6 when its addresses are, so the keyword is only accepted
// there.
func (x *ctx) nativeIPv6(inst *Node) {
	n := x.extra["native_ipv6"]
	if n == nil {
		return
	}
	v6, v4 := 0, 0
	for _, ch := range inst.Block {
		if ch.Keyword() != "virtual_ipaddress" {
			continue
		}
		for _, v := range ch.Block {
			a, _, _ := strings.Cut(v.Keyword(), "/")
			if ip, err := netip.ParseAddr(a); err == nil && ip.Is6() {
				v6++
			} else {
				v4++
			}
		}
	}
	if v6 == 0 || v4 > 0 {
		x.errorf(n, "not supported yet: an IPv6 instance with IPv4 addresses (lvsd's instance family is its addresses')")
		return
	}
	x.warnf(n, "an instance with IPv6 addresses is IPv6 in lvsd: dropped")
}
