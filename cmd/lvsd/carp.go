package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
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
// started after the VRRP part and stopped before it; a reload leaves it
// alone.
type carpPart struct {
	d      *daemon
	m      *vip.Manager
	cancel context.CancelFunc
	wg     sync.WaitGroup
	insts  []*carpInstance
}

// carpInstance is one running virtual host and its script queue.
type carpInstance struct {
	cfg     config.CARPInstance
	inst    *carp.Instance
	conn    carp.Conn // closed by inst.Run, or by closeUnstarted
	scripts chan scriptJob
	done    chan struct{} // closed when the script worker ended
	log     *slog.Logger
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
	cfgs := p.d.cfg.CARPInstances
	if len(cfgs) == 0 {
		return nil
	}
	needVIP := false
	for _, c := range cfgs {
		needVIP = needVIP || len(c.VIPs) > 0
	}
	if needVIP {
		m, err := vip.New()
		if err != nil {
			return fmt.Errorf("carp: %w", err)
		}
		p.m = m
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for i := range cfgs {
		ci, err := p.build(&cfgs[i])
		if err != nil {
			p.closeUnstarted()
			p.stop(ctx)
			return fmt.Errorf("carp_instance %s: %w", cfgs[i].Name, err)
		}
		p.insts = append(p.insts, ci)
	}
	for _, ci := range p.insts {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if err := ci.inst.Run(runCtx); err != nil {
				ci.log.Error("carp instance stopped", "err", err)
				p.d.failed(err)
			}
			close(ci.scripts)
			<-ci.done
		}()
	}
	return nil
}

// build resolves the instance's host side (addresses, MAC, password,
// scripts) and opens its socket.
func (p *carpPart) build(c *config.CARPInstance) (*carpInstance, error) {
	ifi, err := net.InterfaceByName(c.Interface)
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
	up, upCred, err := healthcheck.ResolveScript(c.UpScript, g)
	if err != nil {
		return nil, fmt.Errorf("upscript: %w", err)
	}
	down, downCred, err := healthcheck.ResolveScript(c.DownScript, g)
	if err != nil {
		return nil, fmt.Errorf("downscript: %w", err)
	}
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
	conn, err := carp.Listen(c.Interface, src, c.MCastIP, c.NoMcast)
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
