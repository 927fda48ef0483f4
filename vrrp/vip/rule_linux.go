package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// FIB rule actions (FR_ACT_* of linux/fib_rules.h) a Rule can carry besides
// a table lookup or a goto.
const (
	RuleNop         uint8 = 3
	RuleBlackhole   uint8 = 6
	RuleUnreachable uint8 = 7
	RuleProhibit    uint8 = 8
)

// Rule is one policy routing rule (keepalived's virtual_rules /
// static_rules line, ip-rule's syntax).
type Rule struct {
	Family      int // 4 or 6
	Not         bool
	From, To    netip.Prefix // invalid: all
	Priority    uint32       // 0: the kernel picks
	TOS         uint8
	FWMark      uint32
	FWMask      uint32 // 0: none
	IIF, OIF    string
	HasUIDRange bool
	UIDFirst    uint32
	UIDLast     uint32
	IPProto     uint8
	SPortFirst  uint16 // 0: any
	SPortLast   uint16
	DPortFirst  uint16 // 0: any
	DPortLast   uint16
	HasSuppress bool
	SuppressLen int
	Table       uint32 // 0: none (goto or another action)
	Goto        uint32 // 0: none
	Action      uint8  // 0 (table or goto) or RuleNop, RuleBlackhole, RuleUnreachable, RuleProhibit
	Protocol    uint8  // FRA_PROTOCOL; 0: not sent
}

func (r Rule) String() string {
	s := "rule"
	if r.Priority != 0 {
		s += fmt.Sprintf(" %d:", r.Priority)
	}
	if r.Not {
		s += " not"
	}
	if r.From.IsValid() {
		s += " from " + r.From.String()
	}
	if r.To.IsValid() {
		s += " to " + r.To.String()
	}
	switch {
	case r.Table != 0:
		s += fmt.Sprintf(" table %d", r.Table)
	case r.Goto != 0:
		s += fmt.Sprintf(" goto %d", r.Goto)
	default:
		s += fmt.Sprintf(" action %d", r.Action)
	}
	return s
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// NetlinkRule is the netlink request for a rule. Every field of r reaches
// the request.
func NetlinkRule(r Rule) (*netlink.Rule, error) {
	nr := netlink.NewRule()
	nr.Family = unix.AF_INET
	if r.Family == 6 {
		nr.Family = unix.AF_INET6
	}
	for _, p := range []netip.Prefix{r.From, r.To} {
		if p.IsValid() && p.Addr().Is6() != (r.Family == 6) {
			return nil, fmt.Errorf("vip: %s: address %s is not of family %d", r, p, r.Family)
		}
	}
	if r.From.IsValid() {
		nr.Src = ipnet(r.From)
	}
	if r.To.IsValid() {
		nr.Dst = ipnet(r.To)
	}
	nr.Invert = r.Not
	if r.Priority != 0 {
		nr.Priority = int(r.Priority)
	}
	nr.Tos = uint(r.TOS)
	nr.Mark = r.FWMark
	if r.FWMask != 0 {
		m := r.FWMask
		nr.Mask = &m
	}
	nr.IifName, nr.OifName = r.IIF, r.OIF
	if r.HasUIDRange {
		nr.UIDRange = netlink.NewRuleUIDRange(r.UIDFirst, r.UIDLast)
	}
	nr.IPProto = int(r.IPProto)
	if r.SPortFirst != 0 {
		nr.Sport = netlink.NewRulePortRange(r.SPortFirst, r.SPortLast)
	}
	if r.DPortFirst != 0 {
		nr.Dport = netlink.NewRulePortRange(r.DPortFirst, r.DPortLast)
	}
	if r.HasSuppress {
		if r.Table == 0 || r.Table > 255 {
			// The netlink library sends FRA_SUPPRESS_PREFIXLEN only with
			// a table that fits the header's byte.
			return nil, fmt.Errorf("vip: %s: suppress_prefixlength needs a table 1..255", r)
		}
		nr.SuppressPrefixlen = r.SuppressLen
	}
	nr.Table = int(r.Table)
	if r.Goto != 0 {
		nr.Goto = int(r.Goto)
	}
	nr.Type = r.Action
	nr.Protocol = r.Protocol
	if n := btoi(r.Table != 0) + btoi(r.Goto != 0) + btoi(r.Action != 0); n != 1 {
		return nil, fmt.Errorf("vip: %s: want exactly one of table, goto or an action", r)
	}
	return nr, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AddRules adds the rules; a rule already present counts as added.
func (m *Manager) AddRules(ctx context.Context, rules []Rule) (err error) {
	// On the Manager's goroutine, as addresses and routes (m.call).
	m.call(func() { err = m.eachRule(ctx, rules, "add", m.h.RuleAdd, unix.EEXIST) })
	return err
}

// DelRules removes the rules; a rule already absent counts as removed.
func (m *Manager) DelRules(ctx context.Context, rules []Rule) (err error) {
	m.call(func() { err = m.eachRule(ctx, rules, "delete", m.h.RuleDel, unix.ENOENT, unix.ESRCH) })
	return err
}

// eachRule applies op to every rule; the errnos in done mean the kernel
// already is as asked.
func (m *Manager) eachRule(ctx context.Context, rules []Rule, verb string, op func(*netlink.Rule) error, done ...unix.Errno) error {
	var errs []error
	for _, r := range rules {
		if err := ctx.Err(); err != nil {
			return err
		}
		nr, err := NetlinkRule(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := op(nr); err != nil && !slices.ContainsFunc(done, func(e unix.Errno) bool { return errors.Is(err, e) }) {
			errs = append(errs, fmt.Errorf("vip: %s %s: %w", verb, r, err))
		}
	}
	return errors.Join(errs...)
}
