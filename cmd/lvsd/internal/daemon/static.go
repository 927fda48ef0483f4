package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/kernaddr"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// This file keeps the static network state (static_ipaddress,
// static_routes, static_rules): installed when lvsd starts whatever the
// VRRP state, brought to the new list on reload (only the difference is
// applied), removed at stop.

// staticKernel is what the static state needs of the kernel (*vip.Manager).
type staticKernel interface {
	AddVIPs(ctx context.Context, addrs []vip.Address) error
	DelVIPs(ctx context.Context, addrs []vip.Address) error
	AddRoutes(ctx context.Context, routes []vip.Route) error
	DelRoutes(ctx context.Context, routes []vip.Route) error
	AddRules(ctx context.Context, rules []vip.Rule) error
	DelRules(ctx context.Context, rules []vip.Rule) error
}

var _ staticKernel = (*vip.Manager)(nil)

// staticSet is the static state as the kernel is asked for it.
type staticSet struct {
	addrs  []vip.Address
	routes []vip.Route
	rules  []vip.Rule
}

func (s staticSet) empty() bool { return len(s.addrs)+len(s.routes)+len(s.rules) == 0 }

// staticFromConfig maps the configured static state through kernaddr, the
// path virtual addresses, routes and rules take.
func staticFromConfig(c *config.Config) (staticSet, error) {
	var s staticSet
	for _, a := range c.StaticAddresses {
		v, err := kernaddr.VIP(a, false)
		if err != nil {
			return s, fmt.Errorf("static_ipaddress: %w", err)
		}
		s.addrs = append(s.addrs, kernaddr.Static.Addr(v))
	}
	for _, r := range c.StaticRoutes {
		v, err := kernaddr.Route(r)
		if err != nil {
			return s, fmt.Errorf("static_routes: %w", err)
		}
		s.routes = append(s.routes, kernaddr.Static.Route(v))
	}
	for _, r := range c.StaticRules {
		v, err := kernaddr.Rule(r)
		if err != nil {
			return s, fmt.Errorf("static_rules: %w", err)
		}
		s.rules = append(s.rules, kernaddr.KernelRule(v))
	}
	return s, nil
}

// applyStatic takes the kernel from old to next: what old has and next has
// not is removed (rules, then routes, then addresses), then what next has
// and old has not is added (addresses, routes, rules: a route's gateway is
// reachable through a static address, a rule may look up a static route's
// table); with again, all of next is added (present counts as added: the
// retry after a failed apply). Errors are collected, not stopped at.
func applyStatic(ctx context.Context, k staticKernel, old, next staticSet, again bool) error {
	base := old
	if again {
		base = staticSet{}
	}
	var errs []error
	if gone := minus(old.rules, next.rules); len(gone) > 0 {
		errs = append(errs, k.DelRules(ctx, gone))
	}
	if gone := minus(old.routes, next.routes); len(gone) > 0 {
		errs = append(errs, k.DelRoutes(ctx, gone))
	}
	if gone := minus(old.addrs, next.addrs); len(gone) > 0 {
		errs = append(errs, k.DelVIPs(ctx, gone))
	}
	if add := minus(next.addrs, base.addrs); len(add) > 0 {
		errs = append(errs, k.AddVIPs(ctx, add))
	}
	if add := minus(next.routes, base.routes); len(add) > 0 {
		errs = append(errs, k.AddRoutes(ctx, add))
	}
	if add := minus(next.rules, base.rules); len(add) > 0 {
		errs = append(errs, k.AddRules(ctx, add))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("static network state: %w", err)
	}
	return nil
}

// staticPart is the daemon step that owns the static state.
type staticPart struct {
	d *daemon
	// open makes the kernel handle (vip.New; a fake in tests); k is nil
	// until there is static state.
	open  func() (staticKernel, func(), error)
	k     staticKernel
	close func()
	cur   staticSet // what was applied
	// failed: the last apply had errors; the next adds all of its set.
	failed bool
}

func newStaticPart(d *daemon) *staticPart {
	return &staticPart{d: d, open: func() (staticKernel, func(), error) {
		m, err := vip.NewWithOptions(vipOptions(d.cfg.Global))
		if err != nil {
			return nil, nil, err
		}
		return m, func() { m.Close() }, nil
	}}
}

func (s *staticPart) start(ctx context.Context) error {
	return s.set(ctx, s.d.cfg)
}

// set brings the kernel to c's static state.
func (s *staticPart) set(ctx context.Context, c *config.Config) error {
	next, err := staticFromConfig(c)
	if err != nil {
		return err
	}
	if s.k == nil {
		if next.empty() {
			return nil
		}
		k, closeFn, err := s.open()
		if err != nil {
			return fmt.Errorf("static network state: %w", err)
		}
		s.k, s.close = k, closeFn
	}
	err = applyStatic(ctx, s.k, s.cur, next, s.failed)
	s.cur, s.failed = next, err != nil
	if err == nil && !next.empty() {
		s.d.log.Info("static network state installed", "addresses", len(next.addrs), "routes", len(next.routes), "rules", len(next.rules))
	}
	return err
}

// reload applies the difference between the running and the new static
// state.
func (s *staticPart) reload(c *config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return s.set(ctx, c)
}

// stop removes the static state, except when an upgrade hands over (the
// new process keeps it: its start finds it in place).
func (s *staticPart) stop(ctx context.Context) error {
	if s.k == nil {
		return nil
	}
	var err error
	if !s.d.handover {
		err = applyStatic(ctx, s.k, s.cur, staticSet{}, false)
	}
	s.cur = staticSet{}
	if s.close != nil {
		s.close()
	}
	s.k, s.close = nil, nil
	return err
}
