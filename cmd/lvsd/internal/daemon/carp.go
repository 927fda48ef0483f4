package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/vrrp/carp"
	"github.com/lvsd/lvsd/vrrp/script"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// carpPart runs every [[carp_instance]] (ucarp's CARP, vrrp/carp). It is
// started after the VRRP part and stopped before it; a reload stops the
// removed and changed instances and starts the added and changed ones,
// leaving the others untouched (reload). Its fields are used by the
// daemon's start/stop and by reload and status, all under ops.mu or before
// the control socket serves.
type carpPart struct {
	d      *daemon
	m      *vip.Manager
	runCtx context.Context // parent of every instance's context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	insts  []*carpInstance
	// cur is the configuration insts were last reconciled with (start,
	// reload): the next reload's starting point, whatever other parts did
	// with the daemon's configuration meanwhile.
	cur *config.Config
	// inherit holds the states an upgrade's predecessor handed over, by
	// instance name (seedCARP), until start builds the instances.
	inherit map[string]upgradeCARP

	// iface and listen are net.InterfaceByName and carp.Listen; tests fake
	// them (nil: the real ones).
	iface  func(name string) (*net.Interface, error)
	listen func(ifname string, src, group netip.Addr, noMcast bool) (carp.Conn, error)
}

// carpInstance is one running virtual host and its script queue.
type carpInstance struct {
	cfg     config.CARPInstance
	inst    *carp.Instance
	conn    carp.Conn // closed by inst.Run, or by closeUnstarted
	scripts chan scriptJob
	done    chan struct{} // closed when the script worker ended
	log     *slog.Logger
	cancel  context.CancelFunc // stops this instance alone (launch)
	stopped chan struct{}      // closed when Run returned and the scripts ran
}

type scriptJob struct {
	what string
	spec script.Spec
}

func newCARPStep(d *daemon) step {
	p := &carpPart{d: d}
	d.carp = p
	return step{name: "carp", start: p.start, stop: p.stop}
}

func (p *carpPart) start(ctx context.Context) error {
	p.cur = p.d.cfg
	cfgs := p.d.cfg.CARPInstances
	if len(cfgs) == 0 {
		return nil
	}
	if err := p.ensureVIP(cfgs); err != nil {
		return err
	}
	p.ensureRun()
	for i := range cfgs {
		ci, err := p.build(&cfgs[i])
		if err != nil {
			p.closeUnstarted()
			p.stop(ctx)
			return fmt.Errorf("carp_instance %s: %w", cfgs[i].Name, err)
		}
		p.insts = append(p.insts, ci)
	}
	p.inherit = nil
	for _, ci := range p.insts {
		p.launch(ci)
	}
	return nil
}

// ensureVIP opens the address manager if one of cfgs installs addresses.
func (p *carpPart) ensureVIP(cfgs []config.CARPInstance) error {
	if p.m != nil {
		return nil
	}
	for _, c := range cfgs {
		if len(c.VIPs) > 0 {
			m, err := vip.NewWithOptions(vipOptions(p.d.cfg.Global))
			if err != nil {
				return fmt.Errorf("carp: %w", err)
			}
			p.m = m
			return nil
		}
	}
	return nil
}

// ensureRun creates the context the instances run under.
func (p *carpPart) ensureRun() {
	if p.cancel == nil {
		p.runCtx, p.cancel = context.WithCancel(context.Background())
	}
}

// launch runs one built instance under a context of its own (a child of
// the part's), so that a reload can stop it alone (halt).
func (p *carpPart) launch(ci *carpInstance) {
	ctx, cancel := context.WithCancel(p.runCtx)
	ci.cancel, ci.stopped = cancel, make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(ci.stopped)
		if err := ci.inst.Run(ctx); err != nil {
			ci.log.Error("carp instance stopped", "err", err)
			p.d.failed(err)
		}
		close(ci.scripts)
		<-ci.done
	}()
}

// halt stops one launched instance as on a graceful stop (an advert
// 255/255 if master, its addresses removed, the down script with
// shutdown) and waits until it and its scripts ended.
func (ci *carpInstance) halt(ctx context.Context) error {
	ci.cancel()
	select {
	case <-ci.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("carp_instance %s did not stop: %w", ci.cfg.Name, ctx.Err())
	}
}

// build resolves the instance's host side (addresses, MAC, password,
// scripts) and opens its socket.
func (p *carpPart) build(c *config.CARPInstance) (*carpInstance, error) {
	iface, listen := p.iface, p.listen
	if iface == nil {
		iface = net.InterfaceByName
	}
	if listen == nil {
		listen = func(ifname string, src, group netip.Addr, noMcast bool) (carp.Conn, error) {
			return carp.Listen(ifname, src, group, noMcast)
		}
	}
	ifi, err := iface(c.Interface)
	if err != nil {
		return nil, err
	}
	src := c.SrcIP
	if !src.IsValid() {
		if src, err = firstIPv4(ifi); err != nil {
			return nil, err
		}
	}
	pass := c.Pass
	if c.PassFile != "" {
		if pass, err = readPassFile(c.PassFile); err != nil {
			return nil, err
		}
	}
	g := p.d.cfg.Global
	up, upHC, err := healthcheck.ResolveScript(c.UpScript, g, checkerScripts{})
	if err != nil {
		return nil, fmt.Errorf("upscript: %w", err)
	}
	down, downHC, err := healthcheck.ResolveScript(c.DownScript, g, checkerScripts{})
	if err != nil {
		return nil, fmt.Errorf("downscript: %w", err)
	}
	upCred, downCred := toScriptCred(upHC), toScriptCred(downHC)
	// ucarp: execl(script, script, interface, vaddr, xparam).
	extra := []string{c.Interface, c.Addr.String()}
	if c.XParam != "" {
		extra = append(extra, c.XParam)
	}
	vips := make([]vip.Address, len(c.VIPs))
	for i, v := range c.VIPs {
		scope, err := vip.ParseScope(v.Scope)
		if err != nil {
			return nil, err
		}
		vips[i] = vip.Address{Prefix: v.Prefix, Dev: v.Dev, Brd: v.Brd, Scope: scope, Label: v.Label, NoPrefixRoute: v.NoPrefixRoute}
	}
	log := p.d.log.With("carp_instance", c.Name)
	ci := &carpInstance{cfg: *c, scripts: make(chan scriptJob, 16), done: make(chan struct{}), log: log}
	queue := func(what string, argv []string, cred *script.Credential) {
		if argv == nil {
			return
		}
		args := append(append([]string(nil), argv...), extra...)
		select {
		case ci.scripts <- scriptJob{what, script.Spec{Args: args, Cred: cred}}:
		default:
			log.Warn("carp script queue full, script not run", "script", what)
		}
	}
	addVIPs := func(ctx context.Context) {
		if len(vips) > 0 {
			if err := p.m.AddVIPs(ctx, vips); err != nil {
				log.Error("carp: add virtual addresses", "err", err)
			}
		}
	}
	delVIPs := func(ctx context.Context) {
		if len(vips) > 0 {
			if err := p.m.DelVIPs(ctx, vips); err != nil {
				log.Error("carp: remove virtual addresses", "err", err)
			}
		}
	}
	opts := carp.Options{
		Up:   func(ctx context.Context) { addVIPs(ctx); queue("upscript", up, upCred) },
		Down: func(ctx context.Context) { delVIPs(ctx); queue("downscript", down, downCred) },
		Leave: func(ctx context.Context, wasMaster bool) {
			if wasMaster {
				delVIPs(ctx)
				if c.Shutdown {
					queue("downscript", down, downCred)
				}
			}
		},
		Link: func() bool {
			i, err := net.InterfaceByName(c.Interface)
			return err == nil && i.Flags&net.FlagRunning != 0
		},
		Log: p.d.log,
	}
	if rec, ok := p.takeInherit(c); ok {
		opts.Inherit, opts.InheritCounter = rec.State, rec.Counter
	}
	conn, err := listen(c.Interface, src, c.MCastIP, c.NoMcast)
	if err != nil {
		return nil, err
	}
	inst, err := carp.New(carp.Config{
		Name: c.Name, VHID: uint8(c.VHID), AdvBase: uint8(c.AdvBase), AdvSkew: uint8(c.AdvSkew),
		DeadRatio: uint(c.DeadRatio), Pass: pass, Src: src, VIP: c.Addr, Group: c.MCastIP,
		NoMcast: c.NoMcast, Preempt: c.Preempt, Neutral: c.Neutral, IgnoreIfState: c.IgnoreIfState,
		MAC: ifi.HardwareAddr,
	}, conn, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	ci.inst, ci.conn = inst, conn
	go ci.runScripts()
	log.Info("carp instance ready", "interface", c.Interface, "vhid", c.VHID, "srcip", src, "addr", c.Addr)
	return ci, nil
}

// runScripts runs the queued scripts one after the other, as ucarp does
// (it waits for each), without holding up the advertisements.
func (ci *carpInstance) runScripts() {
	defer close(ci.done)
	for j := range ci.scripts {
		ci.log.Info("carp: spawning", "script", j.what, "args", strings.Join(j.spec.Args, " "))
		if res := script.Run(context.Background(), j.spec); !res.OK() {
			ci.log.Warn("carp script failed", "script", j.what, "result", res.String())
		}
	}
}

// closeUnstarted releases the instances built before one failed to build.
func (p *carpPart) closeUnstarted() {
	for _, ci := range p.insts {
		ci.conn.Close()
		close(ci.scripts)
		<-ci.done
	}
	p.insts = nil
}

func (p *carpPart) stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("carp instances did not stop: %w", ctx.Err())
	}
	if p.m != nil {
		p.m.Close()
	}
	p.cancel = nil
	return err
}

// firstIPv4 is the interface's first IPv4 address (ucarp needs --srcip;
// lvsd defaults it).
func firstIPv4(ifi *net.Interface) (netip.Addr, error) {
	as, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap(), nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("no IPv4 address on %s (set srcip)", ifi.Name)
}

// readPassFile returns the first line of a ucarp --passfile.
func readPassFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("passfile: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line == "" {
		return "", errors.New("passfile: empty first line")
	}
	return line, nil
}

// status is the CARP instances in the status (nil when there are none).
func (p *carpPart) status() []control.CARPInstance {
	if p == nil {
		return nil
	}
	var out []control.CARPInstance
	for _, ci := range p.insts {
		st := ci.inst.Stats()
		c := control.CARPInstance{
			Name: ci.cfg.Name, Interface: ci.cfg.Interface, VHID: ci.cfg.VHID, Addr: ci.cfg.Addr.String(),
			State: st.State.String(), AdvBase: ci.cfg.AdvBase, AdvSkew: ci.cfg.AdvSkew,
			LastTransition: st.LastTransition, Sent: st.Sent, Received: st.Received,
		}
		for r, n := range st.Drops {
			if n > 0 && carp.DropReason(r) != carp.DropLoopedBack {
				if c.Drops == nil {
					c.Drops = map[string]uint64{}
				}
				c.Drops[carp.DropReason(r).String()] = n
			}
		}
		out = append(out, c)
	}
	return out
}

// carpPlan is a reload of the carp_instance tables, by name: instances to
// stop, to stop and start again, and to start.
type carpPlan struct {
	removed, changed, added []string
}

func (p carpPlan) empty() bool { return len(p.removed)+len(p.changed)+len(p.added) == 0 }

// planCARP compares the carp_instance tables of old and cfg. An instance
// changed when its table differs or when the global keys its scripts are
// resolved with (script_user, script_group, enable_script_security) do.
func planCARP(old, cfg *config.Config) carpPlan {
	var p carpPlan
	next := map[string]*config.CARPInstance{}
	for k := range cfg.CARPInstances {
		next[cfg.CARPInstances[k].Name] = &cfg.CARPInstances[k]
	}
	prev := map[string]bool{}
	for k := range old.CARPInstances {
		o := &old.CARPInstances[k]
		prev[o.Name] = true
		n, ok := next[o.Name]
		switch {
		case !ok:
			p.removed = append(p.removed, o.Name)
		case !reflect.DeepEqual(o, n) || !sameCARPScripts(o, n, old.Global, cfg.Global):
			p.changed = append(p.changed, o.Name)
		}
	}
	for _, n := range cfg.CARPInstances {
		if !prev[n.Name] {
			p.added = append(p.added, n.Name)
		}
	}
	return p
}

// sameCARPScripts reports whether the scripts of o under og run as those of
// n under ng do.
func sameCARPScripts(o, n *config.CARPInstance, og, ng config.Global) bool {
	if og.EnableScriptSecurity != ng.EnableScriptSecurity {
		return false
	}
	for _, c := range [][2]config.Command{{o.UpScript, n.UpScript}, {o.DownScript, n.DownScript}} {
		if c[0].IsZero() {
			continue
		}
		ou, og2 := c[0].RunAs(og)
		nu, ng2 := c[1].RunAs(ng)
		if ou != nu || og2 != ng2 {
			return false
		}
	}
	return true
}

// reload applies the carp_instance side of a reload to p.d.cfg as planned
// from old (planReload's carp, plan); when the running instances were built
// from another configuration than old (p.cur), the plan is made again from
// that one:
// a removed instance stops as on a graceful stop, a changed one is stopped
// and then started from its new table, an added one starts; every other
// instance runs on untouched (no state change, no script). An instance that
// cannot be built is left out (the error says which); the others run.
func (p *carpPart) reload(old *config.Config, plan carpPlan) error {
	cfg := p.d.cfg
	if p.cur != nil && p.cur != old {
		plan = planCARP(p.cur, cfg)
	}
	p.cur = cfg
	if plan.empty() {
		if len(cfg.CARPInstances) > 0 {
			p.d.log.Info("reload: carp_instance configuration unchanged, instances untouched")
		}
		return nil
	}
	p.d.log.Info("reload: carp instances changed", "removed", plan.removed, "restarted", plan.changed, "added", plan.added)
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	var errs []error
	stopping := map[string]bool{}
	for _, name := range append(append([]string(nil), plan.removed...), plan.changed...) {
		stopping[name] = true
	}
	running := map[string]*carpInstance{}
	for _, ci := range p.insts {
		if !stopping[ci.cfg.Name] {
			running[ci.cfg.Name] = ci
			continue
		}
		if err := ci.halt(ctx); err != nil {
			errs = append(errs, fmt.Errorf("reload: %w", err))
		}
	}
	if len(plan.changed)+len(plan.added) > 0 {
		if err := p.ensureVIP(cfg.CARPInstances); err != nil {
			errs = append(errs, fmt.Errorf("reload: %w", err))
		}
	}
	p.ensureRun()
	// The new list follows the file's order. Every configured instance that
	// does not run starts: the changed and added ones, and one that could
	// not be built by an earlier reload.
	var insts []*carpInstance
	for k := range cfg.CARPInstances {
		c := &cfg.CARPInstances[k]
		if ci, ok := running[c.Name]; ok {
			insts = append(insts, ci)
			continue
		}
		if len(c.VIPs) > 0 && p.m == nil {
			continue // ensureVIP failed: already reported
		}
		ci, err := p.build(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("reload: carp_instance %s: %w", c.Name, err))
			continue
		}
		p.launch(ci)
		insts = append(insts, ci)
	}
	p.insts = insts
	return errors.Join(errs...)
}
