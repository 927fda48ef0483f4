package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// This file holds the [bgp] table: lvsd announces its VIPs to routers by
// BGP so that N directors can be active at once behind ECMP. keepalived has
// no BGP; the key names follow GoBGP's and FRR's.

// BGP is the [bgp] table.
type BGP struct {
	ASN      uint32     // asn: the local AS number (required)
	RouterID netip.Addr // router_id: IPv4 BGP identifier (required)
	// ListenPort is listen_port: the TCP port to accept sessions on; 0:
	// lvsd does not listen and only connects out (the default).
	ListenPort uint16
	// GracefulShutdownDelay is graceful_shutdown_delay: at stop, the
	// announced prefixes are re-sent with the GRACEFUL_SHUTDOWN community
	// (RFC 8326) and withdrawn this long after; default 1s.
	GracefulShutdownDelay time.Duration
	Neighbors             []BGPNeighbor // [[bgp.neighbor]]
	Announces             []BGPAnnounce // [[bgp.announce]]
}

// BGPNeighbor is one [[bgp.neighbor]]: a BGP peer (a router).
type BGPNeighbor struct {
	Address       netip.Addr    // address (required)
	PeerASN       uint32        // peer_asn (required)
	Password      string        // password: TCP MD5 signature (RFC 2385); "" = none
	HoldTime      time.Duration // hold_time: 0 or 3..65535 s, default 90s
	KeepaliveTime time.Duration // keepalive_time: default hold_time/3
	MultihopTTL   int           // multihop_ttl: eBGP multihop TTL 1..255; 0 = directly connected
	LocalAddress  netip.Addr    // local_address: source address of the session; invalid = the kernel's choice
	BFD           string        // bfd: a [[bfd_instance]] whose Down (after Up) tears the session down; "" = none
}

// BGPAnnounce is one [[bgp.announce]]: a host prefix and when to announce it.
type BGPAnnounce struct {
	Prefix netip.Prefix // prefix: "ADDR", "ADDR/32" or "ADDR/128" (required)
	// VirtualServers is virtual_server: the names (Name()) of the virtual
	// servers the prefix stands for. Default: every virtual_server whose ip
	// is the prefix's address. Empty after Load: none (the prefix is
	// announced while lvsd runs, subject to OnlyWhenMaster).
	VirtualServers []string
	// Require is require: "all" (default) — announced while every virtual
	// server has its quorum — or "any" — while at least one has.
	Require string
	// OnlyWhenMaster is only_when_master: a vrrp_instance name; the prefix
	// is announced only while that instance is MASTER. "" = always.
	OnlyWhenMaster string
	Communities    []uint32 // communities: standard communities "ASN:VALUE"
	LocalPref      *uint32  // local_pref (iBGP); nil = not sent
	MED            *uint32  // med (MULTI_EXIT_DISC); nil = not sent
	ASPathPrepend  int      // as_path_prepend: the local AS this many extra times, 0..10
	// Dev is dev: an interface (typically "lo") that lvsd puts the
	// prefix's address on while it runs — before the first announcement,
	// removed at stop after the withdrawal. "": lvsd leaves addresses alone.
	Dev string
}

// Default values of the [bgp] table.
const (
	defaultBGPHoldTime              = 90 * time.Second
	defaultBGPGracefulShutdownDelay = time.Second
)

func (d *decoder) decodeBGP(n *node) *BGP {
	b := &BGP{GracefulShutdownDelay: defaultBGPGracefulShutdownDelay}
	if !n.asn("asn", &b.ASN) && !n.has("asn") {
		d.errorf(n.path(), "missing key asn")
	}
	if n.addr("router_id", &b.RouterID) {
		if !b.RouterID.Is4() {
			d.errorf(n.keyPath("router_id"), "%s is not an IPv4 address (the BGP identifier is 32 bits)", b.RouterID)
		}
	} else if !n.has("router_id") {
		d.errorf(n.path(), "missing key router_id")
	}
	n.port("listen_port", &b.ListenPort)
	n.duration("graceful_shutdown_delay", &b.GracefulShutdownDelay, 0, 8*time.Second)
	for _, t := range n.tables("neighbor") {
		b.Neighbors = append(b.Neighbors, d.decodeBGPNeighbor(t))
	}
	for _, t := range n.tables("announce") {
		b.Announces = append(b.Announces, d.decodeBGPAnnounce(t))
	}
	if len(b.Neighbors) == 0 && !n.has("neighbor") {
		d.errorf(n.path(), "no [[bgp.neighbor]] (name at least one router)")
	}
	n.finish()
	return b
}

// asn reads an AS number 1..4294967295: fwmark's range.
func (n *node) asn(k string, dst *uint32) bool { return n.fwmark(k, dst) }

// u32 reads an integer 0..4294967295 into a new *uint32.
func (n *node) u32(k string, dst **uint32) {
	v, ok := n.get(k)
	if !ok {
		return
	}
	i, ok := v.(int64)
	if !ok {
		n.typeErr(k, v, "integer")
		return
	}
	if i < 0 || i > math.MaxUint32 {
		n.d.errorf(n.keyPath(k), "%d out of range 0..%d", i, uint32(math.MaxUint32))
		return
	}
	u := uint32(i)
	*dst = &u
}

func (d *decoder) decodeBGPNeighbor(n *node) BGPNeighbor {
	nb := BGPNeighbor{HoldTime: defaultBGPHoldTime}
	if n.addr("address", &nb.Address) {
		if nb.Address.IsUnspecified() || nb.Address.IsMulticast() {
			d.errorf(n.keyPath("address"), "%s is not a unicast address", nb.Address)
		}
	} else if !n.has("address") {
		d.errorf(n.path(), "missing key address")
	}
	if !n.asn("peer_asn", &nb.PeerASN) && !n.has("peer_asn") {
		d.errorf(n.path(), "missing key peer_asn")
	}
	if n.str("password", &nb.Password) && len(nb.Password) > 80 {
		// TCP_MD5SIG_MAXKEYLEN
		d.errorf(n.keyPath("password"), "longer than 80 bytes (the kernel's TCP MD5 key limit)")
	}
	if n.duration("hold_time", &nb.HoldTime, 0, 65535*time.Second) {
		if nb.HoldTime != 0 && nb.HoldTime < 3*time.Second {
			d.errorf(n.keyPath("hold_time"), "%s: must be 0 or at least 3s (RFC 4271)", fmtDur(nb.HoldTime))
		}
		if nb.HoldTime%time.Second != 0 {
			d.errorf(n.keyPath("hold_time"), "%s: must be whole seconds", nb.HoldTime)
		}
	}
	nb.KeepaliveTime = nb.HoldTime / 3 / time.Second * time.Second
	if n.duration("keepalive_time", &nb.KeepaliveTime, 0, 21845*time.Second) {
		if nb.KeepaliveTime%time.Second != 0 {
			d.errorf(n.keyPath("keepalive_time"), "%s: must be whole seconds", nb.KeepaliveTime)
		}
		if nb.HoldTime != 0 && nb.KeepaliveTime >= nb.HoldTime {
			d.errorf(n.keyPath("keepalive_time"), "%s must be less than hold_time %s", fmtDur(nb.KeepaliveTime), fmtDur(nb.HoldTime))
		}
	}
	n.integer("multihop_ttl", &nb.MultihopTTL, 0, 255)
	if n.addr("local_address", &nb.LocalAddress) && nb.Address.IsValid() && nb.LocalAddress.Is4() != nb.Address.Is4() {
		d.errorf(n.keyPath("local_address"), "%s is not of the neighbor's family", nb.LocalAddress)
	}
	n.str("bfd", &nb.BFD) // checked by validateBFD (bfd.go)
	n.finish()
	return nb
}

func (d *decoder) decodeBGPAnnounce(n *node) BGPAnnounce {
	a := BGPAnnounce{Require: "all"}
	var s string
	if n.nonEmpty("prefix", &s) {
		p, err := parseHostPrefix(s)
		if err != nil {
			d.errorf(n.keyPath("prefix"), "%v", err)
		}
		a.Prefix = p
	} else if !n.has("prefix") {
		d.errorf(n.path(), "missing key prefix")
	}
	if n.stringList("virtual_server", &a.VirtualServers) && a.VirtualServers == nil {
		a.VirtualServers = []string{} // set, but empty: no virtual server
	}
	n.enum("require", &a.Require, "all", "any")
	n.nonEmpty("only_when_master", &a.OnlyWhenMaster)
	var cs []string
	if n.stringList("communities", &cs) {
		for i, c := range cs {
			v, err := ParseCommunity(c)
			if err != nil {
				d.errorf(fmt.Sprintf("%s[%d]", n.keyPath("communities"), i), "%v", err)
				continue
			}
			a.Communities = append(a.Communities, v)
		}
	}
	n.u32("local_pref", &a.LocalPref)
	n.u32("med", &a.MED)
	n.integer("as_path_prepend", &a.ASPathPrepend, 0, 10)
	if n.nonEmpty("dev", &a.Dev) {
		if err := checkIfName(a.Dev); err != nil {
			d.errorf(n.keyPath("dev"), "%v", err)
		}
	}
	n.finish()
	return a
}

// parseHostPrefix accepts an address or a host prefix (/32, /128).
func parseHostPrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad prefix %q", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("bad prefix %q (IPv4-mapped)", s)
	}
	if p.Bits() != p.Addr().BitLen() {
		return netip.Prefix{}, fmt.Errorf("prefix %q is not a host route (want /%d: a VIP)", s, p.Addr().BitLen())
	}
	return p, nil
}

// ParseCommunity parses a standard BGP community "ASN:VALUE" (each 0..65535)
// or one of the well-known names no-export, no-advertise,
// no-export-subconfed, graceful-shutdown, blackhole.
func ParseCommunity(s string) (uint32, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "graceful-shutdown":
		return 0xFFFF0000, nil
	case "blackhole":
		return 0xFFFF029A, nil
	case "no-export":
		return 0xFFFFFF01, nil
	case "no-advertise":
		return 0xFFFFFF02, nil
	case "no-export-subconfed":
		return 0xFFFFFF03, nil
	}
	hi, lo, ok := strings.Cut(s, ":")
	if ok {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 == nil && err2 == nil {
			return uint32(h)<<16 | uint32(l), nil
		}
	}
	return 0, fmt.Errorf("bad community %q (want \"ASN:VALUE\", each 0..65535, or no-export, no-advertise, no-export-subconfed, graceful-shutdown, blackhole)", s)
}

// FormatCommunity is the "ASN:VALUE" spelling of a standard community.
func FormatCommunity(c uint32) string {
	return strconv.FormatUint(uint64(c>>16), 10) + ":" + strconv.FormatUint(uint64(c&0xFFFF), 10)
}

// validateBGP checks the references of [bgp]: neighbors unique, prefixes
// unique, the virtual servers and instances named exist; it fills the
// default virtual_server lists.
func (d *decoder) validateBGP(c *Config, insts map[string]int) {
	b := c.BGP
	if b == nil {
		return
	}
	nbs := map[netip.Addr]int{}
	fams := map[bool]bool{} // Is4 -> a neighbor of that family
	for i, nb := range b.Neighbors {
		if nb.Address.IsValid() {
			fams[nb.Address.Is4()] = true
		}
		if !nb.Address.IsValid() {
			continue
		}
		if j, ok := nbs[nb.Address]; ok {
			d.errorf(fmt.Sprintf("bgp.neighbor[%d].address", i), "neighbor %s listed twice (also bgp.neighbor[%d])", nb.Address, j)
			continue
		}
		nbs[nb.Address] = i
	}
	vsNames := map[string]bool{}
	for _, vs := range c.VirtualServers {
		vsNames[vs.Name()] = true
	}
	pfx := map[netip.Prefix]int{}
	for i := range b.Announces {
		a := &b.Announces[i]
		base := fmt.Sprintf("bgp.announce[%d]", i)
		if a.Prefix.IsValid() {
			if j, ok := pfx[a.Prefix]; ok {
				d.errorf(base+".prefix", "prefix %s listed twice (also bgp.announce[%d])", a.Prefix, j)
			}
			pfx[a.Prefix] = i
			if len(nbs) > 0 && !fams[a.Prefix.Addr().Is4()] {
				d.errorf(base+".prefix", "no IPv%d neighbor to announce %s to (a prefix goes to the neighbors of its family)", fam(a.Prefix.Addr()), a.Prefix)
			}
		}
		if a.VirtualServers == nil && a.Prefix.IsValid() {
			a.VirtualServers = []string{}
			for _, vs := range c.VirtualServers {
				if vs.IP.IsValid() && vs.IP == a.Prefix.Addr() {
					a.VirtualServers = append(a.VirtualServers, vs.Name())
				}
			}
		}
		for j, name := range a.VirtualServers {
			if !vsNames[name] {
				d.errorf(fmt.Sprintf("%s.virtual_server[%d]", base, j), "virtual server %q not defined (no [[virtual_server]] with this name: \"IP:PORT\", \"fwmark N\" or \"group NAME\")", name)
			}
		}
		if a.OnlyWhenMaster != "" {
			if _, ok := insts[a.OnlyWhenMaster]; !ok {
				d.errorf(base+".only_when_master", "instance %q not defined (no [[vrrp_instance]] with this name)", a.OnlyWhenMaster)
			}
		}
	}
}

// dumpBGP writes the [bgp] table.
func (w *tomlWriter) bgp(b *BGP) {
	if b == nil {
		return
	}
	w.table("bgp")
	w.int("asn", int(b.ASN))
	w.addr("router_id", b.RouterID)
	w.int("listen_port", int(b.ListenPort))
	w.dur("graceful_shutdown_delay", b.GracefulShutdownDelay)
	for _, nb := range b.Neighbors {
		w.arrayTable("bgp.neighbor")
		w.addr("address", nb.Address)
		w.int("peer_asn", int(nb.PeerASN))
		w.strOpt("password", nb.Password)
		w.dur("hold_time", nb.HoldTime)
		w.dur("keepalive_time", nb.KeepaliveTime)
		w.int("multihop_ttl", nb.MultihopTTL)
		w.addrOpt("local_address", nb.LocalAddress)
		w.strOpt("bfd", nb.BFD)
	}
	for _, a := range b.Announces {
		w.arrayTable("bgp.announce")
		w.str("prefix", a.Prefix.String())
		w.strs("virtual_server", a.VirtualServers)
		w.str("require", a.Require)
		w.strOpt("only_when_master", a.OnlyWhenMaster)
		cs := make([]string, len(a.Communities))
		for i, c := range a.Communities {
			cs[i] = FormatCommunity(c)
		}
		w.strs("communities", cs)
		if a.LocalPref != nil {
			w.int("local_pref", int(*a.LocalPref))
		}
		if a.MED != nil {
			w.int("med", int(*a.MED))
		}
		w.int("as_path_prepend", a.ASPathPrepend)
		w.strOpt("dev", a.Dev)
	}
}
