package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// recStatic records what the static part asks of the kernel.
type recStatic struct {
	calls []string
	fail  error
}

func (r *recStatic) rec(op string, n int) error {
	r.calls = append(r.calls, fmt.Sprintf("%s %d", op, n))
	return r.fail
}
func (r *recStatic) AddVIPs(_ context.Context, a []vip.Address) error {
	return r.rec("add-addr", len(a))
}
func (r *recStatic) DelVIPs(_ context.Context, a []vip.Address) error {
	return r.rec("del-addr", len(a))
}
func (r *recStatic) AddRoutes(_ context.Context, a []vip.Route) error {
	return r.rec("add-route", len(a))
}
func (r *recStatic) DelRoutes(_ context.Context, a []vip.Route) error {
	return r.rec("del-route", len(a))
}
func (r *recStatic) AddRules(_ context.Context, a []vip.Rule) error { return r.rec("add-rule", len(a)) }
func (r *recStatic) DelRules(_ context.Context, a []vip.Rule) error { return r.rec("del-rule", len(a)) }

func parseStatic(t *testing.T, body string) *config.Config {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaticLifecycle: start installs everything in order, a reload applies
// only the difference, stop removes everything in reverse order; a failed
// apply is retried in full by the next one.
func TestStaticLifecycle(t *testing.T) {
	first := parseStatic(t, `static_ipaddress = ["192.0.2.1/24 dev eth1", "192.0.2.2/24 dev eth1"]
static_routes = ["198.51.100.0/24 via 192.0.2.254", "203.0.113.0/24 nexthop via 192.0.2.253 nexthop via 192.0.2.252"]
static_rules = ["from 192.0.2.0/24 priority 100 table 100"]
`)
	second := parseStatic(t, `static_ipaddress = ["192.0.2.1/24 dev eth1"]
static_routes = ["198.51.100.0/24 via 192.0.2.254", "203.0.113.0/24 nexthop via 192.0.2.253 weight 3 nexthop via 192.0.2.252"]
static_rules = ["from 192.0.2.0/24 priority 100 table 100", "to 10.0.0.0/8 priority 101 blackhole"]
`)
	d := &daemon{cfg: first, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k := &recStatic{}
	opened := 0
	s := &staticPart{d: d, open: func() (staticKernel, func(), error) { opened++; return k, func() {}, nil }}
	check := func(step, want string) {
		t.Helper()
		if got := strings.Join(k.calls, ", "); got != want {
			t.Errorf("%s: kernel calls %q, want %q", step, got, want)
		}
		k.calls = nil
	}
	if err := s.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("start", "add-addr 2, add-route 2, add-rule 1")
	if err := s.reload(second); err != nil {
		t.Fatal(err)
	}
	// One address gone, the multipath route's weight changed, one rule more.
	check("reload", "del-route 1, del-addr 1, add-route 1, add-rule 1")
	if err := s.reload(second); err != nil {
		t.Fatal(err)
	}
	check("unchanged reload", "")
	k.fail = errors.New("boom")
	if err := s.reload(first); err == nil {
		t.Error("a failing kernel is not reported")
	}
	k.fail = nil
	k.calls = nil
	if err := s.reload(first); err != nil {
		t.Fatal(err)
	}
	check("reload after a failure", "add-addr 2, add-route 2, add-rule 1")
	if err := s.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("stop", "del-rule 1, del-route 2, del-addr 2")
	if opened != 1 {
		t.Errorf("kernel handle opened %d times", opened)
	}
	// Without static state no handle is opened at all.
	d.cfg = parseStatic(t, "")
	s = &staticPart{d: d, open: func() (staticKernel, func(), error) { opened++; return k, func() {}, nil }}
	if err := s.start(context.Background()); err != nil || opened != 1 {
		t.Errorf("start without static state: %v, opened %d", err, opened)
	}
}
