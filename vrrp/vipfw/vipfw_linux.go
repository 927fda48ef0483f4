package vipfw

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// DefaultTable is the name of lvsd's table.
const DefaultTable = "lvsd"

// Priority of the chains: keepalived's default (nftables_priority -1), just
// before the filter tables.
const Priority = -1

// Options are keepalived's nftables keywords.
type Options struct {
	// Table is the inet table's name (nftables); "" means DefaultTable.
	Table string
	// Priority is the chains' priority (nftables_priority); use the
	// Priority constant for keepalived's default.
	Priority int32
	// Counters puts a counter on every rule (nftables_counters).
	Counters bool
}

// Firewall is one nftables table whose sets hold the VIPs to drop traffic
// for. Its zero value is not usable; call Open.
type Firewall struct {
	mu sync.Mutex // guards everything below and serialises batches
	// conn is the nftables connection; every Flush is one batch.
	conn         *nftables.Conn
	table        *nftables.Table
	opt          Options
	vips4, vips6 *nftables.Set
	// in is the content of vips4 and vips6, so that a removal names only
	// elements that are there (a missing one fails the whole batch).
	in     map[netip.Addr]bool
	closed bool
}

// Open creates the table name ("" means DefaultTable) with chains of
// priority Priority and no counters; see OpenWith.
func Open(name string) (*Firewall, error) {
	return OpenWith(Options{Table: name, Priority: Priority})
}

// OpenWith creates the table o.Table in the calling thread's network
// namespace, replacing one of that name left behind by an earlier run,
// with empty sets. Its netlink socket is opened here and kept, so later
// calls act in that namespace from any goroutine.
func OpenWith(o Options) (*Firewall, error) {
	if o.Table == "" {
		o.Table = DefaultTable
	}
	name := o.Table
	c, err := nftables.New(nftables.AsLasting())
	if err != nil {
		return nil, fmt.Errorf("vipfw: open nftables: %w", err)
	}
	f := &Firewall{conn: c, opt: o, in: map[netip.Addr]bool{}}
	f.table = &nftables.Table{Family: nftables.TableFamilyINet, Name: name}
	if old, err := c.ListTableOfFamily(name, nftables.TableFamilyINet); err == nil && old != nil {
		c.DelTable(f.table)
		if err := c.Flush(); err != nil {
			_ = c.CloseLasting()
			return nil, fmt.Errorf("vipfw: delete old table inet %s: %w", name, err)
		}
	}
	if err := f.create(); err != nil {
		_ = c.CloseLasting()
		return nil, fmt.Errorf("vipfw: create table inet %s: %w", name, err)
	}
	return f, nil
}

func (f *Firewall) create() error {
	c := f.conn
	c.AddTable(f.table)
	f.vips4 = &nftables.Set{Table: f.table, Name: "vips4", KeyType: nftables.TypeIPAddr}
	f.vips6 = &nftables.Set{Table: f.table, Name: "vips6", KeyType: nftables.TypeIP6Addr}
	for _, s := range []*nftables.Set{f.vips4, f.vips6} {
		if err := c.AddSet(s, nil); err != nil {
			return err
		}
	}
	policy := nftables.ChainPolicyAccept
	for _, h := range []struct {
		name string
		hook *nftables.ChainHook
		// offset of the address in the IP header: daddr in, saddr out
		off4, off6 uint32
	}{
		{"in", nftables.ChainHookInput, 16, 24},
		{"out", nftables.ChainHookOutput, 12, 8},
	} {
		ch := c.AddChain(&nftables.Chain{
			Name: h.name, Table: f.table, Type: nftables.ChainTypeFilter,
			Hooknum: h.hook, Priority: nftables.ChainPriorityRef(nftables.ChainPriority(f.opt.Priority)), Policy: &policy,
		})
		for _, exprs := range RulesWith(f.vips4, f.vips6, h.off4, h.off6, f.opt.Counters) {
			c.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: exprs})
		}
	}
	return c.Flush()
}

// Rules returns the expressions of one chain's rules, in order: drop IPv4
// with the address at off4 in @vips4; accept neighbour discovery and drop
// the rest of IPv6 with the address at off6 in @vips6.
func Rules(vips4, vips6 *nftables.Set, off4, off6 uint32) [][]expr.Any {
	return RulesWith(vips4, vips6, off4, off6, false)
}

// RulesWith is Rules, with a counter before every verdict when counters is
// set (keepalived's nftables_counters).
func RulesWith(vips4, vips6 *nftables.Set, off4, off6 uint32, counters bool) [][]expr.Any {
	rules := rules(vips4, vips6, off4, off6)
	if counters {
		for k, r := range rules {
			n := len(r) - 1 // the verdict
			rules[k] = append(append(r[:n:n], &expr.Counter{}), r[n])
		}
	}
	return rules
}

func rules(vips4, vips6 *nftables.Set, off4, off6 uint32) [][]expr.Any {
	ip := func(proto byte, off, n uint32, set *nftables.Set) []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
			&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
		}
	}
	drop := &expr.Verdict{Kind: expr.VerdictDrop}
	nd := append(ip(unix.NFPROTO_IPV6, off6, 16, vips6),
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		// 133 router solicitation .. 137 redirect (RFC 4861)
		&expr.Cmp{Op: expr.CmpOpGte, Register: 1, Data: []byte{133}},
		&expr.Cmp{Op: expr.CmpOpLte, Register: 1, Data: []byte{137}},
		&expr.Verdict{Kind: expr.VerdictAccept},
	)
	return [][]expr.Any{
		append(ip(unix.NFPROTO_IPV4, off4, 4, vips4), drop),
		nd,
		append(ip(unix.NFPROTO_IPV6, off6, 16, vips6), drop),
	}
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("vipfw: firewall closed")

// Drop starts dropping traffic to and from addrs. Addresses already
// dropped are left as they are.
func (f *Firewall) Drop(addrs []netip.Addr) error {
	return f.update(addrs, true)
}

// Accept stops dropping traffic for addrs. Addresses not dropped are
// ignored.
func (f *Firewall) Accept(addrs []netip.Addr) error {
	return f.update(addrs, false)
}

func (f *Firewall) update(addrs []netip.Addr, drop bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	var e4, e6 []nftables.SetElement
	var changed []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || f.in[a] == drop || slices.Contains(changed, a) {
			continue
		}
		changed = append(changed, a)
		b := a.AsSlice()
		if a.Is4() {
			e4 = append(e4, nftables.SetElement{Key: b})
		} else {
			e6 = append(e6, nftables.SetElement{Key: b})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	op, verb := f.conn.SetAddElements, "drop"
	if !drop {
		op, verb = f.conn.SetDeleteElements, "accept"
	}
	for _, x := range []struct {
		s *nftables.Set
		e []nftables.SetElement
	}{{f.vips4, e4}, {f.vips6, e6}} {
		if len(x.e) == 0 {
			continue
		}
		if err := op(x.s, x.e); err != nil {
			return fmt.Errorf("vipfw: %s %v: %w", verb, changed, err)
		}
	}
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("vipfw: %s %v in table inet %s: %w", verb, changed, f.table.Name, err)
	}
	for _, a := range changed {
		if drop {
			f.in[a] = true
		} else {
			delete(f.in, a)
		}
	}
	return nil
}

// Dropped returns the addresses traffic is dropped for, sorted.
func (f *Firewall) Dropped() []netip.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]netip.Addr, 0, len(f.in))
	for a := range f.in {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// Close deletes the table, its sets and rules. Further calls fail with
// ErrClosed; a second Close returns nil.
func (f *Firewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.conn.DelTable(f.table)
	err := f.conn.Flush()
	if cerr := f.conn.CloseLasting(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("vipfw: delete table inet %s: %w", f.table.Name, err)
	}
	return nil
}
