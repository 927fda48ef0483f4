package config

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// This file parses keepalived's one-line forms (a virtual_ipaddress line, a
// route, "name weight N", "IP-range port", "fwmark N") from their words.

// parseVIP parses "ADDR[/LEN] [brd ADDR] [dev IF] [scope S] [label L] [noprefixroute] [nodad]".
func parseVIP(w []string) (VIP, error) {
	var v VIP
	if len(w) == 0 {
		return v, fmt.Errorf("empty address")
	}
	p, err := parsePrefixOrAddr(w[0])
	if err != nil {
		return v, err
	}
	v.Prefix = p
	for i := 1; i < len(w); i++ {
		word := w[i]
		switch word {
		case "noprefixroute":
			v.NoPrefixRoute = true
			continue
		case "nodad":
			v.NoDAD = true
			continue
		case "brd", "broadcast", "dev", "scope", "label":
		default:
			return v, fmt.Errorf("unknown option %q in %q (allowed: brd, dev, scope, label, noprefixroute, nodad)", word, strings.Join(w, " "))
		}
		if i+1 >= len(w) {
			return v, fmt.Errorf("%s needs a value", word)
		}
		i++
		val := w[i]
		switch word {
		case "brd", "broadcast":
			a, err := parseAddr(val)
			if err != nil {
				return v, fmt.Errorf("brd: %w", err)
			}
			if !a.Is4() {
				return v, fmt.Errorf("brd %s: want an IPv4 address", val)
			}
			v.Brd = a
		case "dev":
			if err := checkIfName(val); err != nil {
				return v, err
			}
			v.Dev = val
		case "scope":
			if !validScope(val) {
				return v, fmt.Errorf("unknown scope %q (allowed: %s)", val, strings.Join(scopes, ", "))
			}
			v.Scope = val
		case "label":
			if len(val) > 15 {
				return v, fmt.Errorf("label %q longer than 15 characters", val)
			}
			v.Label = val
		}
	}
	if v.Brd.IsValid() && !v.Prefix.Addr().Is4() {
		return v, fmt.Errorf("brd given for an IPv6 address")
	}
	if v.NoDAD && !v.Prefix.Addr().Is6() {
		return v, fmt.Errorf("nodad is for IPv6 addresses only")
	}
	return v, nil
}

var scopes = []string{"global", "site", "link", "host", "nowhere"}

func validScope(s string) bool {
	for _, x := range scopes {
		if s == x {
			return true
		}
	}
	return false
}

func checkIfName(s string) error {
	if s == "" || len(s) > 15 || strings.ContainsAny(s, "/ \t") {
		return fmt.Errorf("bad interface name %q (1..15 characters, no '/' or blanks)", s)
	}
	return nil
}

// parsePrefixOrAddr parses "ADDR/LEN" or "ADDR" (a host prefix). Host bits
// are kept: 192.168.1.10/24 is the address 192.168.1.10 on a /24.
func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad IP prefix %q", s)
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("bad IP prefix %q (IPv4-mapped IPv6)", s)
		}
		return p, nil
	}
	a, err := parseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// routeValueOpts are the route options that take a value.
var routeValueOpts = map[string]bool{"src": true, "via": true, "gw": true, "dev": true, "metric": true,
	"table": true, "scope": true, "proto": true, "protocol": true}

// parseRoute parses "[to] DST [src ADDR] [via|gw ADDR] [dev IF] [metric N]
// [table N] [scope S] [proto P]" or "blackhole DST"; a multipath route ends
// with "nexthop [via GW] [dev IF] [weight N]" groups instead of via and dev,
// or says "via A or B" (keepalived's older form, two nexthops).
func parseRoute(w []string) (Route, error) {
	var r Route
	if len(w) > 0 && w[0] == "blackhole" {
		r.Blackhole = true
		w = w[1:]
	}
	// keepalived takes options before the destination too
	// ("src 192.168.100.1 192.168.209.0/24 via ..."): move them after it.
	var lead []string
	for len(w) >= 2 && routeValueOpts[w[0]] {
		lead, w = append(lead, w[0], w[1]), w[2:]
	}
	if len(w) > 0 && w[0] == "blackhole" {
		r.Blackhole = true
		w = w[1:]
	}
	if len(w) > 0 && w[0] == "to" {
		w = w[1:]
	}
	if len(w) == 0 {
		return r, fmt.Errorf("missing destination")
	}
	if len(lead) > 0 {
		w = append(append([]string{w[0]}, lead...), w[1:]...)
	}
	p, err := parsePrefixOrAddr(w[0])
	if err != nil {
		return r, err
	}
	r.Dst = p.Masked()
	var (
		orForm bool
		orVia  netip.Addr
	)
loop:
	for i := 1; i < len(w); i++ {
		word := w[i]
		if word == "blackhole" {
			r.Blackhole = true
			continue
		}
		if word == "nexthop" {
			if r.Via.IsValid() || r.Dev != "" || orForm {
				return r, fmt.Errorf("via or dev before nexthop in %q (give each nexthop its own)", strings.Join(w, " "))
			}
			nhs, err := parseNexthops(w[i:], r.Dst)
			if err != nil {
				return r, err
			}
			r.Nexthops = nhs
			break loop
		}
		switch word {
		case "src", "via", "gw", "dev", "metric", "table", "scope", "proto", "protocol", "or":
		default:
			return r, fmt.Errorf("unknown option %q in %q (allowed: src, via, dev, metric, table, scope, proto, blackhole, nexthop)", word, strings.Join(w, " "))
		}
		if i+1 >= len(w) {
			return r, fmt.Errorf("%s needs a value", word)
		}
		i++
		val := w[i]
		switch word {
		case "src":
			a, err := parseAddr(val)
			if err != nil {
				return r, fmt.Errorf("src: %w", err)
			}
			r.Src = a
		case "via", "gw":
			a, err := parseAddr(val)
			if err != nil {
				return r, fmt.Errorf("via: %w", err)
			}
			r.Via = a
		case "or":
			// keepalived's older multipath form: "via A or B": two nexthops.
			if !r.Via.IsValid() || orForm {
				return r, fmt.Errorf("or needs one via before it (\"via A or B\"; or use nexthop)")
			}
			a, err := parseAddr(val)
			if err != nil {
				return r, fmt.Errorf("or: %w", err)
			}
			if a.Is4() != r.Dst.Addr().Is4() {
				return r, fmt.Errorf("or %s and destination %s are of different families", a, r.Dst)
			}
			orForm, orVia = true, a
		case "dev":
			if err := checkIfName(val); err != nil {
				return r, err
			}
			r.Dev = val
		case "metric":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return r, fmt.Errorf("bad metric %q (want 0..4294967295)", val)
			}
			r.Metric = int(n)
		case "table":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return r, fmt.Errorf("bad table %q (want a number)", val)
			}
			r.Table = int(n)
		case "scope":
			if !validScope(val) {
				return r, fmt.Errorf("unknown scope %q (allowed: %s)", val, strings.Join(scopes, ", "))
			}
			r.Scope = val
		case "proto", "protocol":
			if _, ok := RouteProtocol(val); !ok {
				return r, fmt.Errorf("unknown route protocol %q (a number 0..255 or one of: %s)", val, strings.Join(routeProtocolNames(), ", "))
			}
			r.Protocol = val
		}
	}
	if r.Via.IsValid() && r.Via.Is4() != r.Dst.Addr().Is4() {
		return r, fmt.Errorf("via %s and destination %s are of different families", r.Via, r.Dst)
	}
	if r.Src.IsValid() && r.Src.Is4() != r.Dst.Addr().Is4() {
		return r, fmt.Errorf("src %s and destination %s are of different families", r.Src, r.Dst)
	}
	if orForm {
		r.Nexthops = []Nexthop{{Via: r.Via, Dev: r.Dev, Weight: 1}, {Via: orVia, Dev: r.Dev, Weight: 1}}
		r.Via, r.Dev = netip.Addr{}, ""
	}
	if r.Blackhole && (r.Via.IsValid() || r.Dev != "" || len(r.Nexthops) > 0) {
		return r, fmt.Errorf("a blackhole route has no via, dev or nexthop")
	}
	return r, nil
}

// parseTrackRef parses "NAME [weight N [reverse]]".
func parseTrackRef(w []string, minW, maxW int) (TrackRef, error) {
	var t TrackRef
	if len(w) == 0 || w[0] == "" {
		return t, fmt.Errorf("empty name")
	}
	t.Name = w[0]
	for i := 1; i < len(w); i++ {
		switch w[i] {
		case "weight":
			if i+1 >= len(w) {
				return t, fmt.Errorf("weight needs a value")
			}
			i++
			n, err := strconv.Atoi(w[i])
			if err != nil || n < minW || n > maxW {
				return t, fmt.Errorf("bad weight %q (want %d..%d)", w[i], minW, maxW)
			}
			t.Weight, t.WeightSet = n, true
		case "reverse":
			t.WeightReverse = true
		default:
			return t, fmt.Errorf("unknown option %q in %q (allowed: weight N, reverse)", w[i], strings.Join(w, " "))
		}
	}
	if t.WeightReverse && !t.WeightSet {
		return t, fmt.Errorf("reverse needs a weight")
	}
	return t, nil
}

// parsePeer parses "IP [min_ttl N] [max_ttl N]".
func parsePeer(w []string) (UnicastPeer, error) {
	p := UnicastPeer{MinTTL: 0, MaxTTL: 255}
	if len(w) == 0 {
		return p, fmt.Errorf("empty peer")
	}
	a, err := parseAddr(w[0])
	if err != nil {
		return p, err
	}
	p.IP = a
	for i := 1; i < len(w); i++ {
		switch w[i] {
		case "min_ttl", "max_ttl":
		default:
			return p, fmt.Errorf("unknown option %q (allowed: min_ttl, max_ttl)", w[i])
		}
		if i+1 >= len(w) {
			return p, fmt.Errorf("%s needs a value", w[i])
		}
		n, err := strconv.Atoi(w[i+1])
		if err != nil || n < 0 || n > 255 {
			return p, fmt.Errorf("bad %s %q (want 0..255)", w[i], w[i+1])
		}
		if w[i] == "min_ttl" {
			p.MinTTL = n
		} else {
			p.MaxTTL = n
		}
		i++
	}
	if p.MinTTL > p.MaxTTL {
		return p, fmt.Errorf("min_ttl %d above max_ttl %d", p.MinTTL, p.MaxTTL)
	}
	return p, nil
}

// parseVSGEntry parses "IP[-LAST] PORT" or "fwmark N".
func parseVSGEntry(w []string) (VSGEntry, error) {
	var e VSGEntry
	if len(w) == 2 && w[0] == "fwmark" {
		n, err := strconv.ParseUint(w[1], 10, 32)
		if err != nil || n == 0 {
			return e, fmt.Errorf("bad fwmark %q (want 1..4294967295)", w[1])
		}
		e.FWMark = uint32(n)
		return e, nil
	}
	if len(w) != 2 {
		return e, fmt.Errorf("want \"IP[-LAST] PORT\" or \"fwmark N\", got %q", strings.Join(w, " "))
	}
	first, last, err := parseRange(w[0])
	if err != nil {
		return e, err
	}
	port, err := parsePort(w[1])
	if err != nil {
		return e, err
	}
	e.IP, e.IPLast, e.Port = first, last, port
	return e, nil
}

// parseRange parses "A.B.C.D" or "A.B.C.D-E" (the last byte up to E), or an
// IPv6 address with "-XXXX" replacing the last 16-bit group.
func parseRange(s string) (netip.Addr, netip.Addr, error) {
	addr, end, hasEnd := strings.Cut(s, "-")
	a, err := parseAddr(addr)
	if err != nil {
		return a, a, err
	}
	if !hasEnd {
		return a, a, nil
	}
	b := a.AsSlice()
	if a.Is4() {
		n, err := strconv.ParseUint(end, 10, 8)
		if err != nil || byte(n) < b[3] {
			return a, a, fmt.Errorf("bad range %q (want A.B.C.D-E with D <= E <= 255)", s)
		}
		b[3] = byte(n)
	} else {
		n, err := strconv.ParseUint(end, 16, 16)
		cur := uint64(b[14])<<8 | uint64(b[15])
		if err != nil || n < cur {
			return a, a, fmt.Errorf("bad range %q (want ADDR-XXXX, the last group in hex, not below the address's)", s)
		}
		b[14], b[15] = byte(n>>8), byte(n)
	}
	last, _ := netip.AddrFromSlice(b)
	return a, last, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("bad port %q (want 0..65535)", s)
	}
	return uint16(n), nil
}

// parseSorry parses "IP PORT".
func parseSorry(w []string) (SorryServer, error) {
	if len(w) != 2 {
		return SorryServer{}, fmt.Errorf("want \"IP PORT\", got %q", strings.Join(w, " "))
	}
	a, err := parseAddr(w[0])
	if err != nil {
		return SorryServer{}, err
	}
	p, err := parsePort(w[1])
	if err != nil {
		return SorryServer{}, err
	}
	return SorryServer{IP: a, Port: p}, nil
}

// parseStatus parses "200" or "300-399".
func parseStatus(s string) (StatusRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
		return StatusRange{}, fmt.Errorf("bad status code %q (want 100..599 or a range such as \"300-399\")", s)
	}
	return StatusRange{Min: a, Max: b}, nil
}

// routeProtocols are ip(8)'s route protocol names (/etc/iproute2/rt_protos)
// and their RTPROT_* numbers.
var routeProtocols = map[string]uint8{
	"unspec": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4,
	"gated": 8, "ra": 9, "mrt": 10, "zebra": 11, "bird": 12, "dnrouted": 13,
	"xorp": 14, "ntk": 15, "dhcp": 16, "keepalived": 18, "babel": 42,
	"openr": 99, "bgp": 186, "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192,
}

// RouteProtocol returns the RTPROT_* number of a virtual_routes proto value:
// a number 0..255 or one of ip(8)'s names. The empty string is "boot", as
// for ip route add.
func RouteProtocol(s string) (uint8, bool) {
	if s == "" {
		return routeProtocols["boot"], true
	}
	if n, ok := routeProtocols[strings.ToLower(s)]; ok {
		return n, true
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, false
	}
	return uint8(n), true
}

func routeProtocolNames() []string {
	names := make([]string, 0, len(routeProtocols))
	for k := range routeProtocols {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// parseNexthops parses the "nexthop [via GW] [dev IF] [weight N]" groups
// that end a multipath route line (w starts at the first "nexthop").
func parseNexthops(w []string, dst netip.Prefix) ([]Nexthop, error) {
	var out []Nexthop
	for i := 0; i < len(w); i++ {
		if w[i] == "nexthop" {
			out = append(out, Nexthop{Weight: 1})
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q before the first nexthop", w[i])
		}
		nh := &out[len(out)-1]
		switch w[i] {
		case "via", "gw", "dev", "weight":
		case "onlink", "encap", "realms":
			return nil, fmt.Errorf("nexthop %s: not supported yet (allowed: via, dev, weight)", w[i])
		default:
			return nil, fmt.Errorf("unknown nexthop option %q (allowed: via, dev, weight)", w[i])
		}
		if i+1 >= len(w) {
			return nil, fmt.Errorf("nexthop %s needs a value", w[i])
		}
		i++
		val := w[i]
		switch w[i-1] {
		case "via", "gw":
			if val == "inet" || val == "inet6" {
				if i+1 >= len(w) {
					return nil, fmt.Errorf("nexthop via %s needs an address", val)
				}
				i++
				val = w[i]
			}
			a, err := parseAddr(val)
			if err != nil {
				return nil, fmt.Errorf("nexthop via: %w", err)
			}
			if a.Is4() != dst.Addr().Is4() {
				return nil, fmt.Errorf("nexthop via %s and destination %s are of different families", a, dst)
			}
			nh.Via = a
		case "dev":
			if err := checkIfName(val); err != nil {
				return nil, err
			}
			nh.Dev = val
		case "weight":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 256 {
				return nil, fmt.Errorf("bad nexthop weight %q (want 1..256)", val)
			}
			nh.Weight = n
		}
	}
	for j, nh := range out {
		if !nh.Via.IsValid() && nh.Dev == "" {
			return nil, fmt.Errorf("nexthop %d has neither via nor dev", j+1)
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("a multipath route needs at least two nexthops (one: write via/dev without nexthop)")
	}
	return out, nil
}

// ruleActions are the ip rule actions without a value.
var ruleActions = []string{"blackhole", "unreachable", "prohibit", "nop"}

// ruleRefused are ip-rule / keepalived rule options lvsd does not carry.
var ruleRefused = map[string]string{
	"realms":           "realms",
	"suppress_ifgroup": "suppress_ifgroup",
	"sup_group":        "suppress_ifgroup",
	"tunnel-id":        "tunnel-id",
	"l3mdev":           "l3mdev (VRF rules)",
	"no_track":         "no_track",
	"track_group":      "track_group",
	"nat":              "nat",
	"map-to":           "nat",
}

// parseRule parses an ip rule line (see Rule).
func parseRule(w []string) (Rule, error) {
	var r Rule
	if len(w) == 0 {
		return r, fmt.Errorf("empty rule")
	}
	line := strings.Join(w, " ")
	family := 0
	actions := 0
	for i := 0; i < len(w); i++ {
		word := w[i]
		switch word {
		case "inet", "inet6":
			f := 4
			if word == "inet6" {
				f = 6
			}
			if family != 0 && family != f {
				return r, fmt.Errorf("both inet and inet6 in %q", line)
			}
			family = f
			continue
		case "not":
			r.Not = true
			continue
		case "type":
			continue // "type blackhole" is "blackhole"
		case "blackhole", "unreachable", "prohibit", "nop":
			r.Action = word
			actions++
			continue
		}
		if why, ok := ruleRefused[word]; ok {
			return r, fmt.Errorf("rule option %s: not supported yet", why)
		}
		switch word {
		case "from", "to", "table", "lookup", "priority", "preference", "pref", "order", "tos", "dsfield",
			"fwmark", "iif", "dev", "iifname", "oif", "oifname", "uidrange", "ipproto", "sport", "dport",
			"suppress_prefixlength", "sup_pl", "goto", "protocol":
		default:
			return r, fmt.Errorf("unknown rule option %q in %q (allowed: not, from, to, priority, tos, fwmark, iif, oif, uidrange, ipproto, sport, dport, suppress_prefixlength, protocol, table, goto, %s)",
				word, line, strings.Join(ruleActions, ", "))
		}
		if i+1 >= len(w) {
			return r, fmt.Errorf("%s needs a value", word)
		}
		i++
		val := w[i]
		switch word {
		case "from", "to":
			var p netip.Prefix
			if val != "all" {
				pp, err := parsePrefixOrAddr(val)
				if err != nil {
					return r, fmt.Errorf("%s: %w", word, err)
				}
				p = pp.Masked()
			}
			if word == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "table", "lookup":
			n, err := parseTable(val)
			if err != nil {
				return r, err
			}
			r.Table = n
			actions++
		case "goto":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil || n == 0 {
				return r, fmt.Errorf("bad goto %q (want a priority 1..4294967295)", val)
			}
			r.Goto = uint32(n)
			actions++
		case "priority", "preference", "pref", "order":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil || n == 0 {
				return r, fmt.Errorf("bad priority %q (want 1..4294967295; 0 is the local table's rule)", val)
			}
			r.Priority = uint32(n)
		case "tos", "dsfield":
			n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(val), "0x"), 16, 8)
			if err != nil {
				return r, fmt.Errorf("bad tos %q (want a hexadecimal byte)", val)
			}
			r.TOS = uint8(n)
		case "fwmark":
			m, mask, hasMask := strings.Cut(val, "/")
			n, err := strconv.ParseUint(m, 0, 32)
			if err != nil {
				return r, fmt.Errorf("bad fwmark %q (want MARK[/MASK], numbers)", val)
			}
			r.FWMark = uint32(n)
			if hasMask {
				k, err := strconv.ParseUint(mask, 0, 32)
				if err != nil || k == 0 {
					return r, fmt.Errorf("bad fwmark mask %q (want 1..0xffffffff)", mask)
				}
				r.FWMask = uint32(k)
			}
		case "iif", "dev", "iifname", "oif", "oifname":
			if err := checkIfName(val); err != nil {
				return r, err
			}
			if strings.HasPrefix(word, "o") {
				r.OIF = val
			} else {
				r.IIF = val
			}
		case "uidrange":
			a, b, ok := strings.Cut(val, "-")
			x, err1 := strconv.ParseUint(a, 10, 32)
			y, err2 := strconv.ParseUint(b, 10, 32)
			if !ok || err1 != nil || err2 != nil || x > y {
				return r, fmt.Errorf("bad uidrange %q (want FIRST-LAST)", val)
			}
			r.HasUIDRange, r.UIDFirst, r.UIDLast = true, uint32(x), uint32(y)
		case "ipproto":
			n, ok := ipProtos[strings.ToLower(val)]
			if !ok {
				x, err := strconv.ParseUint(val, 10, 8)
				if err != nil || x == 0 {
					return r, fmt.Errorf("bad ipproto %q (tcp, udp, sctp, icmp, ipv6-icmp or 1..255)", val)
				}
				n = uint8(x)
			}
			r.IPProto = n
		case "sport", "dport":
			first, last, err := parsePortRange(val)
			if err != nil {
				return r, fmt.Errorf("%s: %w", word, err)
			}
			if word == "sport" {
				r.SPortFirst, r.SPortLast = first, last
			} else {
				r.DPortFirst, r.DPortLast = first, last
			}
		case "suppress_prefixlength", "sup_pl":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 128 {
				return r, fmt.Errorf("bad suppress_prefixlength %q (want 0..128)", val)
			}
			r.HasSuppress, r.SuppressLen = true, n
		case "protocol":
			if _, ok := RouteProtocol(val); !ok {
				return r, fmt.Errorf("unknown rule protocol %q (a number 0..255 or one of: %s)", val, strings.Join(routeProtocolNames(), ", "))
			}
			r.Protocol = val
		}
	}
	switch {
	case actions == 0:
		return r, fmt.Errorf("no action in %q (want one of table N, goto N, %s)", line, strings.Join(ruleActions, ", "))
	case actions > 1:
		return r, fmt.Errorf("more than one action in %q (one of table, goto, %s)", line, strings.Join(ruleActions, ", "))
	}
	if r.Goto != 0 && (r.Priority == 0 || r.Priority >= r.Goto) {
		return r, fmt.Errorf("goto %d needs a priority below it", r.Goto)
	}
	if r.HasSuppress && r.Table == 0 {
		return r, fmt.Errorf("suppress_prefixlength is for a table rule")
	}
	f := family
	for _, p := range []netip.Prefix{r.From, r.To} {
		if !p.IsValid() {
			continue
		}
		pf := 4
		if p.Addr().Is6() {
			pf = 6
		}
		if f != 0 && f != pf {
			return r, fmt.Errorf("from/to and family of %q differ", line)
		}
		f = pf
	}
	if f == 0 {
		f = 4
	}
	r.Family = f
	return r, nil
}

var ipProtos = map[string]uint8{"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "icmpv6": 58, "sctp": 132}

// parseTable parses a routing table: a number or main, local, default.
func parseTable(s string) (uint32, error) {
	switch s {
	case "main":
		return 254, nil
	case "local":
		return 255, nil
	case "default":
		return 253, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad table %q (want 1..4294967295, main, local or default)", s)
	}
	return uint32(n), nil
}

func parsePortRange(s string) (uint16, uint16, error) {
	a, b, isRange := strings.Cut(s, "-")
	x, err1 := strconv.ParseUint(a, 10, 16)
	y := x
	var err2 error
	if isRange {
		y, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err1 != nil || err2 != nil || x == 0 || x > y {
		return 0, 0, fmt.Errorf("bad port range %q (want PORT or FIRST-LAST, 1..65535)", s)
	}
	return uint16(x), uint16(y), nil
}
