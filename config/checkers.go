package config

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// This file decodes the checkers added after the first five (smtp_check,
// dns_check, udp_check); sections.go calls decodeMoreCheckers from
// decodeRS.

// connKeys are the keys of a checker's connection (keepalived's
// conn_opts): the keys of a legacy smtp_check host block.
var connKeys = []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark"}

func (d *decoder) decodeMoreCheckers(n *node, rs *RealServer, vs *VirtualServer, needPort func(*node, *CheckCommon)) {
	for _, t := range n.tables("smtp_check") {
		cs := rs.addCheckers()
		cs.SMTPCheck = append(cs.SMTPCheck, d.decodeSMTP(t, rs, vs, needPort))
	}
	for _, t := range n.tables("dns_check") {
		c := DNSCheck{CheckCommon: defaultCommon(rs, vs, DefaultOtherDelayRetry), Type: DefaultDNSType}
		if !inherited(rs, vs, func(d CheckDefaults) bool { return d.RetrySet }) {
			c.Retry = DefaultDNSRetry
		}
		d.decodeCommon(t, &c.CheckCommon)
		if !t.has("delay_before_retry") && !inherited(rs, vs, func(d CheckDefaults) bool { return d.DelayBeforeRetrySet }) {
			c.DelayBeforeRetry = c.DelayLoop // keepalived: 0 = its delay_loop
		}
		needPort(t, &c.CheckCommon)
		t.enum("type", &c.Type, "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA")
		if t.str("name", &c.Name) {
			if err := checkDNSName(c.Name); err != nil {
				d.errorf(t.keyPath("name"), "%v", err)
			}
		}
		t.finish()
		cs := rs.addCheckers()
		cs.DNSCheck = append(cs.DNSCheck, c)
	}
	for _, t := range n.tables("file_check") {
		var c FileCheck
		if !t.nonEmpty("track_file", &c.TrackFile) && !t.has("track_file") {
			d.errorf(t.path(), "missing key track_file")
		}
		c.Weight = fileWeightUnset
		t.weight(&c.Weight, &c.WeightReverse, -65535, 65535)
		t.finish()
		cs := rs.addCheckers()
		cs.FileCheck = append(cs.FileCheck, c)
	}
	for _, t := range n.tables("udp_check") {
		c := UDPCheck{CheckCommon: defaultCommon(rs, vs, DefaultOtherDelayRetry), MaxReplyLength: DefaultUDPMaxReply}
		d.decodeCommon(t, &c.CheckCommon)
		needPort(t, &c.CheckCommon)
		var s string
		if t.nonEmpty("payload", &s) {
			b, _, err := parseHex(s, false)
			if err != nil {
				d.errorf(t.keyPath("payload"), "%v", err)
			}
			c.Payload = b
		}
		// require_reply is a boolean, or keepalived's "require_reply HEX"
		// written as a hex string (the same as reply).
		if rr, ok := t.m["require_reply"].(string); ok {
			t.get("require_reply")
			if t.has("reply") {
				d.errorf(t.keyPath("require_reply"), "a hex string here is the reply: give it once, here or in reply")
			}
			b, m, err := parseHex(rr, true)
			if err != nil {
				d.errorf(t.keyPath("require_reply"), "%v", err)
			}
			c.Reply, c.ReplyMask, c.RequireReply = b, m, true
		} else {
			t.boolean("require_reply", &c.RequireReply)
		}
		if t.nonEmpty("reply", &s) {
			b, m, err := parseHex(s, true)
			if err != nil {
				d.errorf(t.keyPath("reply"), "%v", err)
			}
			c.Reply, c.ReplyMask = b, m
			if t.has("require_reply") && !c.RequireReply {
				d.errorf(t.keyPath("require_reply"), "false, but reply is set (a reply is only checked when one is required)")
			}
			c.RequireReply = true
		}
		t.integer("min_reply_length", &c.MinReplyLength, 0, 65535)
		t.integer("max_reply_length", &c.MaxReplyLength, 0, 65535)
		if c.MinReplyLength > c.MaxReplyLength {
			d.errorf(t.keyPath("min_reply_length"), "%d above max_reply_length %d (the check would always fail)", c.MinReplyLength, c.MaxReplyLength)
		}
		t.finish()
		cs := rs.addCheckers()
		cs.UDPCheck = append(cs.UDPCheck, c)
	}
}

// decodeSMTP decodes one smtp_check. A legacy host block starts from the
// real server's address and sets only connection keys. The checker checks
// its own target too unless it has host blocks and no connection key of
// its own (keepalived 2.x).
func (d *decoder) decodeSMTP(t *node, rs *RealServer, vs *VirtualServer, needPort func(*node, *CheckCommon)) SMTPCheck {
	c := SMTPCheck{CheckCommon: defaultCommon(rs, vs, DefaultOtherDelayRetry), HeloName: DefaultSMTPHelo}
	d.decodeCommon(t, &c.CheckCommon)
	t.nonEmpty("helo_name", &c.HeloName)
	if strings.ContainsAny(c.HeloName, "\r\n") {
		d.errorf(t.keyPath("helo_name"), "contains a line break")
	}
	hosts := t.tables("host")
	own := len(hosts) == 0
	for _, k := range connKeys {
		own = own || t.has(k)
	}
	c.HostsOnly = !own
	if own {
		needPort(t, &c.CheckCommon)
	}
	for _, h := range hosts {
		hc := defaultCommon(rs, vs, DefaultOtherDelayRetry)
		d.decodeConn(h, &hc)
		needPort(h, &hc)
		h.finish()
		c.Hosts = append(c.Hosts, hc)
	}
	t.finish()
	return c
}

// checkDNSName refuses a name with an empty label ("a..b", ".a"), as
// keepalived does; "" and "." are the root.
func checkDNSName(s string) error {
	if s == "" || s == "." {
		return nil
	}
	if strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return fmt.Errorf("%q has an empty label", s)
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if len(l) > 63 {
			return fmt.Errorf("label %q longer than 63 octets", l)
		}
	}
	if len(s) > 253 {
		return fmt.Errorf("%q longer than 253 octets", s)
	}
	return nil
}

// parseHex reads a hex string as keepalived's read_hex_str: spaces and tabs
// separate octets (an octet written alone, "a", is 0x0a); with wildcards an
// x or X stands for any nibble, and mask has those bits set.
func parseHex(s string, wildcards bool) (data, mask []byte, err error) {
	masked := false
	for _, word := range strings.Fields(s) {
		for i := 0; i < len(word); i += 2 {
			pair := word[i:min(i+2, len(word))]
			var v, m byte
			for _, c := range []byte(pair) {
				v, m = v<<4, m<<4
				switch {
				case c >= '0' && c <= '9':
					v |= c - '0'
				case c >= 'a' && c <= 'f':
					v |= c - 'a' + 10
				case c >= 'A' && c <= 'F':
					v |= c - 'A' + 10
				case wildcards && (c == 'x' || c == 'X'):
					m |= 0x0f
					masked = true
				default:
					return nil, nil, fmt.Errorf("%q: %q is not a hex digit", s, c)
				}
			}
			data, mask = append(data, v), append(mask, m)
		}
	}
	if len(data) == 0 {
		return nil, nil, fmt.Errorf("%q: no octet", s)
	}
	if !masked {
		mask = nil
	}
	return data, mask, nil
}

// decodeConn decodes the connection keys (connKeys) of a checker.
func (d *decoder) decodeConn(n *node, c *CheckCommon) {
	n.addr("connect_ip", &c.ConnectIP)
	var cp int
	if n.integer("connect_port", &cp, 1, 65535) {
		c.ConnectPort = uint16(cp)
	}
	n.addr("bindto", &c.BindTo)
	n.port("bind_port", &c.BindPort)
	if n.nonEmpty("bind_if", &c.BindIf) {
		if err := checkIfName(c.BindIf); err != nil {
			d.errorf(n.keyPath("bind_if"), "%v", err)
		}
	}
	n.duration("connect_timeout", &c.ConnectTimeout, time.Millisecond, maxDur)
	n.fwmark("fwmark", &c.FWMark)
	if c.BindTo.IsValid() && c.ConnectIP.IsValid() && c.BindTo.Is4() != c.ConnectIP.Is4() {
		d.errorf(n.keyPath("bindto"), "IPv%d source for IPv%d target %s", fam(c.BindTo), fam(c.ConnectIP), c.ConnectIP)
	}
}

// moreCheckers writes the checkers of this file (dump.go calls it).
func (w *tomlWriter) moreCheckers(c *Checkers) {
	for _, s := range c.SMTPCheck {
		w.arrayTable("virtual_server.real_server.smtp_check")
		if s.HostsOnly {
			w.timings(&s.CheckCommon)
		} else {
			w.common(&s.CheckCommon)
		}
		w.str("helo_name", s.HeloName)
		for _, h := range s.Hosts {
			w.arrayTable("virtual_server.real_server.smtp_check.host")
			w.conn(&h)
		}
	}
	for _, s := range c.DNSCheck {
		w.arrayTable("virtual_server.real_server.dns_check")
		w.common(&s.CheckCommon)
		w.str("type", s.Type)
		w.str("name", s.Name)
	}
	for _, f := range c.FileCheck {
		w.arrayTable("virtual_server.real_server.file_check")
		w.str("track_file", f.TrackFile)
		w.int("weight", f.Weight)
		w.boolean("reverse", f.WeightReverse)
	}
	for _, b := range c.BFDCheck {
		w.arrayTable("virtual_server.real_server.bfd_check")
		w.str("name", b.Name)
	}
	for _, s := range c.UDPCheck {
		w.arrayTable("virtual_server.real_server.udp_check")
		w.common(&s.CheckCommon)
		if s.Payload != nil {
			w.str("payload", formatHex(s.Payload, nil))
		}
		w.boolean("require_reply", s.RequireReply)
		if s.Reply != nil {
			w.str("reply", formatHex(s.Reply, s.ReplyMask))
		}
		w.int("min_reply_length", s.MinReplyLength)
		w.int("max_reply_length", s.MaxReplyLength)
	}
}

// formatHex writes octets as parseHex reads them, x for a masked nibble.
func formatHex(b, mask []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for i, v := range b {
		var m byte
		if mask != nil {
			m = mask[i]
		}
		for _, sh := range []uint{4, 0} {
			if m>>sh&0x0f != 0 {
				out = append(out, 'x')
			} else {
				out = append(out, digits[v>>sh&0x0f])
			}
		}
	}
	return string(out)
}

// fileWeightUnset marks a file_check whose weight is the track_file's
// until validateFileChecks fills it in.
const fileWeightUnset = math.MinInt32

// validateFileChecks resolves each file_check's track_file (validate
// calls it): its file, and its weight unless the check sets one.
func (d *decoder) validateFileChecks(c *Config, files map[string]int) {
	byName := map[string]*TrackFile{}
	for i := range c.TrackFiles {
		byName[c.TrackFiles[i].Name] = &c.TrackFiles[i]
	}
	for i := range c.VirtualServers {
		for j := range c.VirtualServers[i].RealServers {
			fcs := c.VirtualServers[i].RealServers[j].Checks().FileCheck
			for k := range fcs {
				fc := &fcs[k]
				tf := byName[fc.TrackFile]
				if _, ok := files[fc.TrackFile]; !ok || tf == nil {
					if fc.TrackFile != "" {
						d.errorf(fmt.Sprintf("virtual_server[%d].real_server[%d].file_check[%d].track_file", i, j, k), "track_file %q not defined (no [[track_file]] with this name)", fc.TrackFile)
					}
					if fc.Weight == fileWeightUnset {
						fc.Weight = 0
					}
					continue
				}
				fc.File = tf.File
				if fc.Weight == fileWeightUnset {
					fc.Weight, fc.WeightReverse = tf.Weight, tf.WeightReverse
				}
			}
		}
	}
}

// sslOnly reads a key that only ssl_get has.
func (d *decoder) sslOnly(n *node, ssl bool, k string, read func()) {
	if ssl {
		read()
	} else if n.has(k) {
		n.use(k)
		d.errorf(n.keyPath(k), "only for ssl_get")
	}
}

// decodeHTTPMore reads the http_get/ssl_get keys added with regex support.
func (d *decoder) decodeHTTPMore(n *node, c *HTTPCheck, ssl bool) {
	d.sslOnly(n, ssl, "sni_name", func() {
		if n.nonEmpty("sni_name", &c.SNIName) {
			c.EnableSNI = true
		}
	})
	d.sslOnly(n, ssl, "tls_compliant", func() { n.boolean("tls_compliant", &c.TLSCompliant) })
	n.boolean("fast_recovery", &c.FastRecovery)
}

// decodeURLRegex reads a url's regex keys and compiles the pattern, so
// that one Go's RE2 cannot express is refused at load.
func (d *decoder) decodeURLRegex(t *node, u *URL, ssl bool) {
	d.sslOnly(t, ssl, "tls_compliant", func() { t.boolean("tls_compliant", &u.TLSCompliant) })
	t.str("regex", &u.Regex)
	t.boolean("regex_no_match", &u.RegexNoMatch)
	var opts string
	switch t.m["regex_options"].(type) {
	case string:
		if t.str("regex_options", &opts) {
			u.RegexOptions = strings.Fields(opts)
		}
	default:
		t.stringList("regex_options", &u.RegexOptions)
	}
	t.integer("regex_min_offset", &u.RegexMinOffset, 0, math.MaxInt32)
	u.RegexMaxSet = t.integer("regex_max_offset", &u.RegexMaxOffset, 0, math.MaxInt32)
	var stack string
	if t.nonEmpty("regex_stack", &stack) {
		f := strings.Fields(stack)
		var a, b int
		if len(f) != 2 || !atoi(f[0], &a) || !atoi(f[1], &b) || a > b {
			d.errorf(t.keyPath("regex_stack"), "want \"START MAX\" with START <= MAX, got %q", stack)
		}
		u.RegexStack = [2]int{a, b}
	}
	if u.Regex == "" {
		for _, k := range []string{"regex_no_match", "regex_options", "regex_min_offset", "regex_max_offset", "regex_stack"} {
			if t.has(k) {
				d.errorf(t.keyPath(k), "needs regex")
			}
		}
		return
	}
	if u.RegexMaxSet && u.RegexMaxOffset < u.RegexMinOffset {
		d.errorf(t.keyPath("regex_max_offset"), "%d below regex_min_offset %d", u.RegexMaxOffset, u.RegexMinOffset)
	}
	if _, _, err := CompileRegex(u.Regex, u.RegexOptions); err != nil {
		k := "regex"
		if strings.Contains(err.Error(), "regex_options") {
			k = "regex_options"
		}
		d.errorf(t.keyPath(k), "%v", err)
	}
}

func atoi(s string, dst *int) bool {
	n := 0
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	*dst = n
	return true
}

// regexOptions maps keepalived's regex_options (PCRE2 option names) to
// what Go's RE2 does with them: a flag, "" (no effect on what matches:
// an optimisation switch, or RE2 already behaves so), or refused.
var regexOptions = map[string]string{
	"caseless":          "i",
	"multiline":         "m",
	"dotall":            "s",
	"ungreedy":          "U",
	"firstline":         "", // enforced by the checker: the match starts in the first line
	"utf":               "", // RE2 always matches UTF-8
	"dollar_endonly":    "", // RE2's $ (without multiline) only matches at the very end
	"no_auto_capture":   "",
	"no_auto_possess":   "",
	"no_dotstar_anchor": "",
	"no_start_optimize": "",
	"never_backslash_c": "", // RE2 has no \C
	"use_offset_limit":  "", // regex_max_offset always limits the start
}

// refusedRegexOptions are the PCRE2 options whose meaning RE2 cannot give.
var refusedRegexOptions = map[string]string{
	"extended":            "RE2 has no extended (x) mode: remove the white space and comments from the pattern",
	"ucp":                 "RE2's \\w, \\d, \\b are ASCII only; use \\pL, \\pN classes",
	"never_ucp":           "",
	"never_utf":           "RE2 always matches UTF-8",
	"allow_empty_class":   "",
	"alt_bsux":            "",
	"alt_circumflex":      "",
	"alt_verbnames":       "RE2 has no backtracking verbs",
	"auto_callout":        "RE2 has no callouts",
	"dupnames":            "RE2 refuses duplicate group names",
	"match_unset_backref": "RE2 has no back-references",
}

// CompileRegex compiles a url regex with its regex_options as Go's RE2.
// firstline reports the firstline option (the caller checks that the match
// starts in the first line). A pattern or option RE2 cannot express is an
// error that says so.
func CompileRegex(pattern string, options []string) (re *regexp.Regexp, firstline bool, err error) {
	var flags strings.Builder
	for _, o := range options {
		f, ok := regexOptions[o]
		if !ok {
			why, known := refusedRegexOptions[o]
			if !known {
				return nil, false, fmt.Errorf("regex_options: unknown option %q", o)
			}
			if why == "" {
				why = "no RE2 equivalent"
			}
			return nil, false, fmt.Errorf("regex_options: %s cannot be expressed in Go's RE2 (%s)", o, why)
		}
		if o == "firstline" {
			firstline = true
		}
		if f != "" && !strings.Contains(flags.String(), f) {
			flags.WriteString(f)
		}
	}
	p := pattern
	if flags.Len() > 0 {
		p = "(?" + flags.String() + ")" + p
	}
	re, err = regexp.Compile(p)
	if err != nil {
		return nil, false, fmt.Errorf("%q cannot be compiled by Go's RE2 (keepalived uses PCRE2; RE2 has no back-references, look-around, possessive or atomic groups): %w", pattern, err)
	}
	return re, firstline, nil
}

// httpMore writes the keys decodeHTTPMore reads (dump.go calls it).
func (w *tomlWriter) httpMore(h *HTTPCheck, ssl bool) {
	if ssl {
		w.strOpt("sni_name", h.SNIName)
		w.boolean("tls_compliant", h.TLSCompliant)
	}
	w.boolean("fast_recovery", h.FastRecovery)
}

// urlMore appends a url's regex keys to its inline table (dump.go).
func urlMore(parts []string, u *URL, ssl bool) []string {
	if ssl && u.TLSCompliant {
		parts = append(parts, "tls_compliant = true")
	}
	if u.Regex == "" {
		return parts
	}
	parts = append(parts, "regex = "+quote(u.Regex))
	if u.RegexNoMatch {
		parts = append(parts, "regex_no_match = true")
	}
	if len(u.RegexOptions) > 0 {
		var q []string
		for _, o := range u.RegexOptions {
			q = append(q, quote(o))
		}
		parts = append(parts, "regex_options = ["+strings.Join(q, ", ")+"]")
	}
	if u.RegexMinOffset > 0 {
		parts = append(parts, fmt.Sprintf("regex_min_offset = %d", u.RegexMinOffset))
	}
	if u.RegexMaxSet {
		parts = append(parts, fmt.Sprintf("regex_max_offset = %d", u.RegexMaxOffset))
	}
	if u.RegexStack != [2]int{} {
		parts = append(parts, fmt.Sprintf("regex_stack = \"%d %d\"", u.RegexStack[0], u.RegexStack[1]))
	}
	return parts
}

// checkDefaults reads the checker options a virtual_server (rs false) or
// real_server (rs true) sets for the checkers below it.
func (d *decoder) checkDefaults(n *node, c *CheckDefaults, rs bool) {
	c.RetrySet = n.integer("retry", &c.Retry, 0, math.MaxInt32)
	c.DelayBeforeRetrySet = n.duration("delay_before_retry", &c.DelayBeforeRetry, 0, maxDur)
	c.WarmupSet = n.duration("warmup", &c.Warmup, 0, maxDur)
	c.ConnectTimeoutSet = n.duration("connect_timeout", &c.ConnectTimeout, time.Millisecond, maxDur)
	if rs {
		c.DelayLoopSet = n.duration("delay_loop", &c.DelayLoop, 10*time.Millisecond, maxDur)
	}
}

// checkDefaults writes what checkDefaults reads (dump.go).
func (w *tomlWriter) checkDefaults(c *CheckDefaults) {
	if c.RetrySet {
		w.int("retry", c.Retry)
	}
	if c.DelayBeforeRetrySet {
		w.dur("delay_before_retry", c.DelayBeforeRetry)
	}
	if c.WarmupSet {
		w.dur("warmup", c.Warmup)
	}
	if c.ConnectTimeoutSet {
		w.dur("connect_timeout", c.ConnectTimeout)
	}
	if c.DelayLoopSet {
		w.dur("delay_loop", c.DelayLoop)
	}
}
