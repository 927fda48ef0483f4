package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// VirtualServer is one keepalived virtual_server after configuration
// parsing: the services it stands for (one, or several from a
// virtual_server_group) and its real servers.
type VirtualServer struct {
	Name     string       // for logs and events, e.g. "192.168.200.100:443"
	Services []Service    // each with Scheduler, flags and persistence set
	Forward  Forward      // lb_kind, default for real servers
	Reals    []RealServer // real_server blocks
	// Sorry is sorry_server (nil: none); its Forward defaults to
	// sorry_server_lvs_method, its weight to 1.
	Sorry *Destination
	// SorryInhibit keeps the sorry server at weight 0 while quorum holds
	// instead of removing it (sorry_server_inhibit).
	SorryInhibit bool
	Quorum       uint32 // minimum alive weight; 0 means 1 (keepalived's default)
	Hysteresis   uint32
	Alpha        bool   // real servers without a result start failed
	Omega        bool   // run QuorumDown at shutdown
	QuorumUp     string // quorum_up script
	QuorumDown   string // quorum_down script
	// HASuspend: the services exist only while VRRPInstance is master.
	HASuspend    bool
	VRRPInstance string
}

// RealServer is one real_server: a destination template (Weight is the
// configured weight) and its failure behaviour.
type RealServer struct {
	Destination
	InhibitOnFailure bool // weight 0 instead of removal when down
}

// RealKey identifies a real server of a virtual server for health results.
type RealKey struct {
	VirtualServer string
	Dest          DestKey
}

// Health is one real server's check result. Weight, when non-nil, is a
// dynamic weight set by a checker (misc_dynamic) that replaces the
// configured one.
type Health struct {
	Up     bool
	Weight *uint32
}

// QuorumState is the per-virtual-server state Compute carries between calls.
type QuorumState map[string]bool // virtual server name -> quorum held

// Event is something the caller must act on, such as a quorum script.
type Event struct {
	VirtualServer string
	QuorumUp      bool   // the new quorum state
	Script        string // quorum_up or quorum_down, "" when none configured
	// Init: the virtual server's first computation (start, or added by a
	// reload): keepalived says "Starting with quorum up/down" then.
	Init bool
	// Stopping: a shutdown event (ShutdownEvents).
	Stopping bool
	// Alive is the alive weight that decided; Threshold the figure it was
	// compared with (quorum+hysteresis to gain, quorum-hysteresis to
	// lose), Quorum and Hysteresis as configured: keepalived's mail
	// shows them.
	Alive      uint64
	Threshold  int64
	Quorum     uint32
	Hysteresis uint32
}

// Compute applies keepalived's virtual_server semantics to health results
// and returns the desired table, the new quorum state and the quorum
// transitions (with the script to run). It is pure: health maps a real
// server to its latest result (a missing entry is "no result yet": down
// with alpha, up without), master reports whether a VRRP instance is master
// (for ha_suspend; nil means always), prev is the previous state (nil at
// start).
//
// A virtual server new to prev starts as keepalived 2.2.7 starts one: quorum
// is held when the alive weight reaches quorum+hysteresis, with an event
// (keepalived runs quorum_up then); otherwise it is not held, with an event
// only when a sorry server is configured (keepalived runs quorum_down only
// then).
//
// Rules: an up real server is a destination with its (dynamic) weight; a
// down one is removed, or kept at weight 0 with inhibit_on_failure. The
// alive weight is the sum of the weights of up real servers; quorum is lost
// when it drops below quorum-hysteresis and regained at quorum+hysteresis.
// Without quorum every real server is removed (inhibited ones to weight 0)
// and the sorry server is added; with quorum the sorry server is absent, or
// at weight 0 with sorry_server_inhibit.
func Compute(vss []VirtualServer, health map[RealKey]Health, master func(instance string) bool, prev QuorumState) (Table, QuorumState, []Event) {
	t := Table{}
	next := QuorumState{}
	var events []Event
	for _, vs := range vss {
		var alive uint64
		type rsw struct {
			d  Destination
			up bool
		}
		reals := make([]rsw, 0, len(vs.Reals))
		for _, rs := range vs.Reals {
			d := rs.Destination
			h, ok := health[RealKey{VirtualServer: vs.Name, Dest: d.DestKey}]
			up := !vs.Alpha
			if ok {
				up = h.Up
				if h.Weight != nil {
					d.Weight = *h.Weight
				}
			}
			if up {
				alive += uint64(d.Weight)
			}
			reals = append(reals, rsw{d, up})
		}
		quorum := uint64(max(vs.Quorum, 1))
		hyst := uint64(vs.Hysteresis)
		was, known := prev[vs.Name]
		held, threshold := was, int64(quorum)-int64(hyst)
		if !was {
			threshold = int64(quorum + hyst)
		}
		switch {
		case was && (alive == 0 || alive+hyst < quorum):
			// keepalived: no alive weight loses quorum even when
			// hysteresis >= quorum.
			held = false
		case !was && alive >= quorum+hyst:
			held = true
		}
		if known && held != was || !known && (held || vs.Sorry != nil) {
			script := vs.QuorumDown
			if held {
				script = vs.QuorumUp
			}
			events = append(events, Event{VirtualServer: vs.Name, QuorumUp: held, Script: script, Init: !known,
				Alive: alive, Threshold: threshold, Quorum: uint32(quorum), Hysteresis: vs.Hysteresis})
		}
		next[vs.Name] = held

		if vs.HASuspend && master != nil && !master(vs.VRRPInstance) {
			continue
		}
		var dests []Destination
		for _, r := range reals {
			inhibit := false
			for _, rs := range vs.Reals {
				if rs.DestKey == r.d.DestKey {
					inhibit = rs.InhibitOnFailure
				}
			}
			switch {
			case r.up && held:
				dests = append(dests, r.d)
			case inhibit:
				r.d.Weight = 0
				dests = append(dests, r.d)
			}
		}
		if vs.Sorry != nil {
			s := *vs.Sorry
			switch {
			case !held:
				if s.Weight == 0 {
					s.Weight = 1
				}
				dests = append(dests, s)
			case vs.SorryInhibit:
				s.Weight = 0
				dests = append(dests, s)
			}
		}
		slices.SortFunc(dests, func(a, b Destination) int { return a.DestKey.Compare(b.DestKey) })
		dests = slices.CompactFunc(dests, func(a, b Destination) bool { return a.DestKey == b.DestKey })
		for _, s := range vs.Services {
			ds := slices.Clone(dests)
			if s.FWMark != 0 || s.Port == 0 {
				// fwmark and all-port services forward to the real
				// server's port only with NAT; DR/TUN keep the client's.
				for i := range ds {
					if ds[i].Forward != NAT {
						ds[i].Port = 0
					}
				}
			}
			t.Add(VirtualService{Service: s, Destinations: ds})
		}
	}
	return t, next, events
}

// ShutdownEvents returns the quorum-down events keepalived has at shutdown
// for virtual servers with omega whose quorum is held: their quorum_down
// runs (Script, "" when none) and their mail says "Shutting down".
func ShutdownEvents(vss []VirtualServer, st QuorumState) []Event {
	var ev []Event
	for _, vs := range vss {
		if vs.Omega && st[vs.Name] {
			ev = append(ev, Event{VirtualServer: vs.Name, QuorumUp: false, Script: vs.QuorumDown, Stopping: true,
				Quorum: uint32(max(vs.Quorum, 1)), Hysteresis: vs.Hysteresis})
		}
	}
	return ev
}

// GroupEntry is one vip line of a virtual_server_group: an address range
// with a port, or a firewall mark.
type GroupEntry struct {
	First, Last netip.Addr // inclusive; equal for a single address
	Port        uint16
	FWMark      uint32
	IPv6        bool // with FWMark: "fwmark 7 inet6"
}

// ParseGroupEntry parses keepalived's virtual_server_group lines:
// "192.168.200.10-20 80" (the range replaces the last IPv4 octet or IPv6
// group), "10.0.0.1 80", "10.0.0.1 80" with "[2001:db8::1]" forms, and
// "fwmark 7" (optionally followed by "inet6").
func ParseGroupEntry(s string) (GroupEntry, error) {
	f := strings.Fields(s)
	bad := func(why string) (GroupEntry, error) {
		return GroupEntry{}, fmt.Errorf("ipvs: virtual_server_group entry %q: %s", s, why)
	}
	if len(f) == 0 {
		return bad("empty")
	}
	if strings.EqualFold(f[0], "fwmark") {
		if len(f) < 2 || len(f) > 3 {
			return bad(`want "fwmark N [inet|inet6]"`)
		}
		n, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil || n == 0 {
			return bad("fwmark must be 1..4294967295")
		}
		e := GroupEntry{FWMark: uint32(n)}
		if len(f) == 3 {
			switch f[2] {
			case "inet6":
				e.IPv6 = true
			case "inet":
			default:
				return bad("family must be inet or inet6")
			}
		}
		return e, nil
	}
	if len(f) > 2 {
		return bad(`want "ADDRESS[-LAST] [PORT]"`)
	}
	var e GroupEntry
	if len(f) == 2 {
		p, err := strconv.ParseUint(f[1], 10, 16)
		if err != nil {
			return bad("port must be 0..65535")
		}
		e.Port = uint16(p)
	}
	a := strings.Trim(f[0], "[]")
	last := ""
	if i := strings.LastIndexByte(a, '-'); i >= 0 {
		a, last = strings.Trim(a[:i], "[]"), a[i+1:]
	}
	first, err := netip.ParseAddr(a)
	if err != nil || first.Zone() != "" {
		return bad("bad address")
	}
	e.First, e.Last = first.Unmap(), first.Unmap()
	if last != "" {
		if e.First.Is4() {
			n, err := strconv.ParseUint(last, 10, 8)
			if err != nil {
				return bad("range end must be 0..255")
			}
			b := e.First.As4()
			if uint8(n) < b[3] {
				return bad("range end below start")
			}
			b[3] = uint8(n)
			e.Last = netip.AddrFrom4(b)
		} else {
			n, err := strconv.ParseUint(last, 16, 16)
			if err != nil {
				return bad("range end must be hex 0..ffff")
			}
			b := e.First.As16()
			if uint16(n) < uint16(b[14])<<8|uint16(b[15]) {
				return bad("range end below start")
			}
			b[14], b[15] = byte(n>>8), byte(n)
			e.Last = netip.AddrFrom16(b)
		}
	}
	return e, nil
}

// Keys expands an entry into service keys for protocol p.
func (e GroupEntry) Keys(p Protocol) []ServiceKey {
	if e.FWMark != 0 {
		return []ServiceKey{{FWMark: e.FWMark, IPv6: e.IPv6}}
	}
	var out []ServiceKey
	for a := e.First; a.IsValid() && a.Compare(e.Last) <= 0; a = a.Next() {
		out = append(out, ServiceKey{Protocol: p, Addr: a, Port: e.Port})
	}
	return out
}
