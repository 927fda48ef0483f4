package ucarp

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Debian's if-up.d/ucarp defaults.
const (
	debianUp   = "/usr/share/ucarp/vip-up"
	debianDown = "/usr/share/ucarp/vip-down"
)

// stanza is one "iface NAME FAMILY METHOD" block.
type stanza struct {
	line    int
	name    string
	family  string
	method  string
	opts    map[string]string
	optLine map[string]int
}

// stanzaKeywords end the options of an iface block.
var stanzaKeywords = map[string]bool{
	"iface": true, "auto": true, "mapping": true, "source": true, "source-directory": true,
	"rename": true, "no-auto-down": true, "no-scripts": true,
}

// ucarpOpts are the options Debian's if-up.d/ucarp reads.
var ucarpOpts = map[string]bool{
	"ucarp-vid": true, "ucarp-vip": true, "ucarp-password": true, "ucarp-advskew": true,
	"ucarp-advbase": true, "ucarp-master": true, "ucarp-deadratio": true, "ucarp-nomcast": true,
	"ucarp-xparam": true, "ucarp-upscript": true, "ucarp-downscript": true,
}

// ParseInterfaces reads Debian /etc/network/interfaces text and returns one
// instance per iface stanza with ucarp-vid, ucarp-vip and ucarp-password
// (the three Debian's if-up script needs; a stanza with only some of them
// is skipped with a warning, as if-up skips it). Options map as if-up.d/ucarp
// maps them: srcip from address, -z always, -P for a true ucarp-master.
// With the default scripts (vip-up/vip-down run ifup/ifdown IFACE:ucarp)
// and an "iface IFACE:ucarp inet static" stanza, lvsd installs that
// stanza's address itself instead.
func ParseInterfaces(name string, data []byte) ([]Instance, []string, error) {
	stanzas, err := readStanzas(name, string(data))
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]*stanza{}
	for i := range stanzas {
		if stanzas[i].family == "inet" {
			byName[stanzas[i].name] = &stanzas[i]
		}
	}
	var out []Instance
	var warns []string
	for i := range stanzas {
		s := &stanzas[i]
		has := func(k string) bool { _, ok := s.opts[k]; return ok }
		if !has("ucarp-vid") && !has("ucarp-vip") && !has("ucarp-password") {
			anyUcarp := false
			for k := range s.opts {
				anyUcarp = anyUcarp || strings.HasPrefix(k, "ucarp-")
			}
			if anyUcarp {
				warns = append(warns, fmt.Sprintf("%s:%d: iface %s: ucarp options without ucarp-vid, ucarp-vip and ucarp-password: Debian does not start ucarp, skipped", name, s.line, s.name))
			}
			continue
		}
		var missing []string
		for _, k := range []string{"ucarp-vid", "ucarp-vip", "ucarp-password"} {
			if !has(k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			warns = append(warns, fmt.Sprintf("%s:%d: iface %s: no %s: Debian does not start ucarp, skipped", name, s.line, s.name, strings.Join(missing, ", ")))
			continue
		}
		in, w, err := convertStanza(name, s, byName)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, in)
		warns = append(warns, w...)
	}
	if len(out) == 0 {
		return nil, warns, errAt(name, 1, "no iface stanza with ucarp-vid, ucarp-vip and ucarp-password")
	}
	return out, warns, nil
}

func readStanzas(file, s string) ([]stanza, error) {
	var out []stanza
	var cur *stanza
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		ln := i + 1
		l := lines[i]
		// continuation lines
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + lines[i]
		}
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(t)
		kw := f[0]
		if stanzaKeywords[kw] || strings.HasPrefix(kw, "allow-") {
			cur = nil
			if kw == "iface" {
				if len(f) != 4 {
					return nil, errAt(file, ln, "iface: want \"iface NAME FAMILY METHOD\", got %q", t)
				}
				out = append(out, stanza{line: ln, name: f[1], family: f[2], method: f[3],
					opts: map[string]string{}, optLine: map[string]int{}})
				cur = &out[len(out)-1]
			}
			continue
		}
		if cur == nil {
			if strings.HasPrefix(kw, "ucarp-") {
				return nil, errAt(file, ln, "%s outside an iface stanza", kw)
			}
			continue
		}
		val := strings.TrimSpace(strings.TrimPrefix(t, kw))
		if strings.HasPrefix(kw, "ucarp-") {
			if !ucarpOpts[kw] {
				return nil, errAt(file, ln, "unknown option %s (Debian's if-up.d/ucarp ignores it)", kw)
			}
			if val == "" {
				return nil, errAt(file, ln, "%s: empty value", kw)
			}
			if _, dup := cur.opts[kw]; dup {
				return nil, errAt(file, ln, "%s given twice in iface %s (line %d)", kw, cur.name, cur.optLine[kw])
			}
		}
		if _, dup := cur.opts[kw]; !dup {
			cur.opts[kw], cur.optLine[kw] = val, ln
		}
	}
	return out, nil
}

// isFalse is if-up.d/ucarp's `expr "$V" : "no\|off\|false\|0"` (a prefix
// match).
func isFalse(v string) bool {
	for _, p := range []string{"no", "off", "false", "0"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func convertStanza(file string, s *stanza, byName map[string]*stanza) (Instance, []string, error) {
	in := newInstance(s.line)
	var warns []string
	at := func(k string, err error) error { return errAt(file, s.optLine[k], "%s: %v", k, err) }
	in.Interface = s.name
	in.Shutdown = true // if-up.d/ucarp always passes -z
	var err error
	if in.VHID, err = parseVHID(s.opts["ucarp-vid"]); err != nil {
		return in, nil, at("ucarp-vid", err)
	}
	if in.Addr, err = parseIPv4("address", s.opts["ucarp-vip"]); err != nil {
		return in, nil, at("ucarp-vip", err)
	}
	in.Pass = s.opts["ucarp-password"]
	if strings.ContainsAny(in.Pass, " \t") {
		return in, nil, at("ucarp-password", fmt.Errorf("contains a blank: if-up.d/ucarp passes it unquoted, ucarp would see only its first word"))
	}
	if err := checkPass(in.Pass); err != nil {
		return in, nil, at("ucarp-password", err)
	}
	for _, o := range []struct {
		k   string
		dst *int
	}{{"ucarp-advskew", &in.AdvSkew}, {"ucarp-advbase", &in.AdvBase}} {
		if v, ok := s.opts[o.k]; ok {
			if *o.dst, err = parseByte(strings.TrimPrefix(o.k, "ucarp-"), v); err != nil {
				return in, nil, at(o.k, err)
			}
		}
	}
	if v, ok := s.opts["ucarp-deadratio"]; ok {
		n, err := strconv.ParseUint(v, 0, 64)
		if err != nil || n < 1 || n > 1000 {
			return in, nil, at("ucarp-deadratio", fmt.Errorf("%q: want 1..1000", v))
		}
		in.DeadRatio = int(n)
	}
	if v, ok := s.opts["ucarp-master"]; ok {
		in.Preempt = !isFalse(v)
	}
	if v, ok := s.opts["ucarp-nomcast"]; ok {
		in.NoMcast = !isFalse(v)
	}
	in.XParam = s.opts["ucarp-xparam"]
	in.UpScript, in.DownScript = debianUp, debianDown
	if v, ok := s.opts["ucarp-upscript"]; ok {
		in.UpScript = v
	}
	if v, ok := s.opts["ucarp-downscript"]; ok {
		in.DownScript = v
	}
	if a, ok := s.opts["address"]; ok {
		a, _, _ = strings.Cut(a, "/")
		if in.SrcIP, err = parseIPv4("address", a); err != nil {
			return in, nil, at("address", err)
		}
	} else {
		warns = append(warns, fmt.Sprintf("%s:%d: iface %s (%s): no address: lvsd uses the interface's first IPv4 address as srcip", file, s.line, s.name, s.method))
	}
	if in.UpScript == debianUp && in.DownScript == debianDown {
		alias := s.name + ":ucarp"
		if vs, ok := byName[alias]; ok {
			p, w, err := aliasPrefix(file, vs, in.Addr)
			if err != nil {
				return in, nil, err
			}
			warns = append(warns, w...)
			in.VIP, in.Label = p, alias
			in.UpScript, in.DownScript = "", ""
		} else {
			warns = append(warns, fmt.Sprintf("%s:%d: iface %s: the default scripts run ifup/ifdown %s, which has no stanza here: kept as scripts", file, s.line, s.name, alias))
		}
	}
	if err := in.check(file); err != nil {
		return in, nil, err
	}
	return in, warns, nil
}

// aliasPrefix is the address of an IFACE:ucarp stanza.
func aliasPrefix(file string, s *stanza, vip netip.Addr) (netip.Prefix, []string, error) {
	var warns []string
	a, ok := s.opts["address"]
	if !ok {
		return netip.Prefix{}, nil, errAt(file, s.line, "iface %s: no address", s.name)
	}
	bits := 32
	if addr, l, cidr := strings.Cut(a, "/"); cidr {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > 32 {
			return netip.Prefix{}, nil, errAt(file, s.optLine["address"], "address %q: bad prefix length", a)
		}
		a, bits = addr, n
	} else if m, ok := s.opts["netmask"]; ok {
		n, err := maskBits(m)
		if err != nil {
			return netip.Prefix{}, nil, errAt(file, s.optLine["netmask"], "netmask %q: %v", m, err)
		}
		bits = n
	}
	ip, err := parseIPv4("address", a)
	if err != nil {
		return netip.Prefix{}, nil, errAt(file, s.optLine["address"], "%v", err)
	}
	if ip != vip {
		warns = append(warns, fmt.Sprintf("%s:%d: iface %s: address %s is not ucarp-vip %s: lvsd installs %s", file, s.optLine["address"], s.name, ip, vip, ip))
	}
	keys := make([]string, 0, len(s.opts))
	for k := range s.opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case "address", "netmask", "broadcast", "network":
		default:
			warns = append(warns, fmt.Sprintf("%s:%d: iface %s: %s not converted (lvsd installs the address itself; run it from upscript)", file, s.optLine[k], s.name, k))
		}
	}
	return netip.PrefixFrom(ip, bits), warns, nil
}

func maskBits(m string) (int, error) {
	if n, err := strconv.Atoi(m); err == nil && n >= 0 && n <= 32 {
		return n, nil
	}
	a, err := netip.ParseAddr(m)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("not a netmask")
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return 0, fmt.Errorf("not contiguous")
	}
	return n, nil
}
