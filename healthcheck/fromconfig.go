package healthcheck

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck/genhash"
	"github.com/lvsd/lvsd/vrrp/script"
)

// FromConfig builds the scheduler's real servers from a loaded
// configuration (every default already filled in by package config).
func FromConfig(c *config.Config) ([]RealServerSpec, error) {
	var out []RealServerSpec
	var errs []error
	g := c.Global
	for _, vs := range c.VirtualServers {
		name := vs.Name()
		for _, rs := range vs.RealServers {
			spec := RealServerSpec{
				Key:        RealServerKey{VirtualServer: name, Addr: rs.IP, Port: rs.Port},
				Weight:     rs.Weight,
				Alpha:      rs.Alpha || vs.Alpha,
				ScriptUser: g.ScriptUser,
			}
			var err error
			if spec.NotifyUp, err = argv(rs.NotifyUp); err != nil {
				errs = append(errs, fmt.Errorf("%s: notify_up: %w", spec.Key, err))
			}
			if spec.NotifyDown, err = argv(rs.NotifyDown); err != nil {
				errs = append(errs, fmt.Errorf("%s: notify_down: %w", spec.Key, err))
			}
			if rs.NotifyUp.User != "" {
				spec.ScriptUser = rs.NotifyUp.User
			}
			logAll := false
			add := func(kind string, ch Checker, p Policy, err error) {
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", spec.Key, kind, err))
					return
				}
				spec.Checks = append(spec.Checks, CheckConfig{Name: fmt.Sprintf("%v", ch), Checker: ch, Policy: p, LogAllFailures: logAll})
			}
			for _, h := range rs.Checkers.HTTPGet {
				logAll = h.LogAllFailures
				ch, err := NewHTTPChecker(httpSpec(h, false, vs, g))
				add("http_get", ch, policy(h.CheckCommon), err)
			}
			for _, h := range rs.Checkers.SSLGet {
				logAll = h.LogAllFailures
				ch, err := NewHTTPChecker(httpSpec(h, true, vs, g))
				add("ssl_get", ch, policy(h.CheckCommon), err)
			}
			for _, tc := range rs.Checkers.TCPCheck {
				logAll = tc.LogAllFailures
				ch, err := NewTCPChecker(TCPSpec{Target: target(tc.CheckCommon), Bind: bind(tc.CheckCommon), Fwmark: tc.FWMark, Timeout: tc.ConnectTimeout})
				add("tcp_check", ch, policy(tc.CheckCommon), err)
			}
			for _, pc := range rs.Checkers.PingCheck {
				logAll = pc.LogAllFailures
				ch, err := NewPingChecker(PingSpec{Target: pc.ConnectIP, Bind: pc.BindTo, Fwmark: pc.FWMark, Timeout: pc.ConnectTimeout})
				add("ping_check", ch, policy(pc.CheckCommon), err)
			}
			for _, mc := range rs.Checkers.MiscCheck {
				logAll = false
				words, err := script.Parse(mc.Path.Line)
				if err != nil {
					add("misc_check", nil, Policy{}, err)
					continue
				}
				user, group := mc.Path.RunAs(g)
				ch, err := NewMiscChecker(MiscSpec{Argv: words, Timeout: mc.Timeout, Dynamic: mc.Dynamic, User: user, Group: group})
				add("misc_check", ch, Policy{DelayLoop: mc.DelayLoop, Retry: mc.Retry, DelayBeforeRetry: mc.DelayBeforeRetry, Warmup: mc.Warmup}, err)
			}
			out = append(out, spec)
		}
	}
	return out, errors.Join(errs...)
}

func argv(c config.Command) ([]string, error) {
	if c.IsZero() {
		return nil, nil
	}
	return script.Parse(c.Line)
}

func target(c config.CheckCommon) netip.AddrPort {
	return netip.AddrPortFrom(c.ConnectIP, c.ConnectPort)
}

func bind(c config.CheckCommon) netip.AddrPort {
	if !c.BindTo.IsValid() {
		if c.BindPort != 0 {
			any := netip.IPv6Unspecified()
			if c.ConnectIP.Unmap().Is4() {
				any = netip.IPv4Unspecified()
			}
			return netip.AddrPortFrom(any, c.BindPort)
		}
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(c.BindTo, c.BindPort)
}

func policy(c config.CheckCommon) Policy {
	return Policy{DelayLoop: c.DelayLoop, Retry: c.Retry, DelayBeforeRetry: c.DelayBeforeRetry, Warmup: c.Warmup}
}

func httpSpec(h config.HTTPCheck, ssl bool, vs config.VirtualServer, g config.Global) HTTPSpec {
	proto, err := genhash.ParseProtocol(h.HTTPProtocol)
	if err != nil {
		proto = genhash.HTTP10
	}
	vhost := h.Virtualhost
	if vhost == "" {
		vhost = vs.Virtualhost
	}
	s := HTTPSpec{
		Target: target(h.CheckCommon), Bind: bind(h.CheckCommon), Fwmark: h.FWMark,
		Timeout: h.ConnectTimeout, Protocol: proto, VirtualHost: vhost,
		TLS: ssl, SNI: h.EnableSNI,
	}
	if ssl {
		s.CAFile, s.Cert, s.Key = g.SSLCA, g.SSLCertificate, g.SSLKey
	}
	for _, u := range h.URLs {
		us := URLSpec{Path: u.Path, Digest: u.Digest, VirtualHost: u.Virtualhost}
		us.Status = append(us.Status, u.StatusCodes...)
		s.URLs = append(s.URLs, us)
	}
	return s
}
