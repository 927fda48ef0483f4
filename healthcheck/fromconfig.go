package healthcheck

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck/genhash"
)

// FromConfig builds the scheduler's real servers from a loaded
// configuration (every default already filled in by package config);
// scripts resolves the users of the scripts and runs misc_check.
func FromConfig(c *config.Config, scripts Scripts) ([]RealServerSpec, error) {
	return FromConfigBFD(c, scripts, nil)
}

// FromConfigBFD is FromConfig with the BFD session states bfd_check reads
// (nil: every bfd_check fails, for checking a configuration).
func FromConfigBFD(c *config.Config, scripts Scripts, bfd *BFDStates) ([]RealServerSpec, error) {
	n := 0
	for _, vs := range c.VirtualServers {
		n += len(vs.RealServers)
	}
	out := make([]RealServerSpec, 0, n)
	var errs []error
	g := c.Global
	for _, vs := range c.VirtualServers {
		name := vs.Name()
		for _, rs := range vs.RealServers {
			spec := RealServerSpec{
				Key:    RealServerKey{VirtualServer: name, Addr: rs.IP, Port: rs.Port},
				Weight: rs.Weight,
				Alpha:  rs.Alpha || vs.Alpha,
			}
			var err error
			if spec.NotifyUp, spec.NotifyUpCred, err = ResolveScript(rs.NotifyUp, g, scripts); err != nil {
				errs = append(errs, fmt.Errorf("%s: notify_up: %w", spec.Key, err))
			}
			if spec.NotifyDown, spec.NotifyDownCred, err = ResolveScript(rs.NotifyDown, g, scripts); err != nil {
				errs = append(errs, fmt.Errorf("%s: notify_down: %w", spec.Key, err))
			}
			logAll := false
			add := func(kind string, ch Checker, p Policy, err error) {
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", spec.Key, kind, err))
					return
				}
				spec.Checks = append(spec.Checks, CheckConfig{Name: fmt.Sprintf("%v", ch), Checker: ch, Policy: p, LogAllFailures: logAll})
			}
			for _, h := range rs.Checks().HTTPGet {
				logAll = h.LogAllFailures
				ch, err := NewHTTPChecker(httpSpec(h, false, vs, g))
				add("http_get", ch, policy(h.CheckCommon), err)
			}
			for _, h := range rs.Checks().SSLGet {
				logAll = h.LogAllFailures
				ch, err := NewHTTPChecker(httpSpec(h, true, vs, g))
				add("ssl_get", ch, policy(h.CheckCommon), err)
			}
			for _, tc := range rs.Checks().TCPCheck {
				logAll = tc.LogAllFailures
				ch, err := NewTCPChecker(TCPSpec{Target: target(tc.CheckCommon), Bind: bind(tc.CheckCommon), BindIf: tc.BindIf, Fwmark: tc.FWMark, Timeout: tc.ConnectTimeout})
				add("tcp_check", ch, policy(tc.CheckCommon), err)
			}
			for _, pc := range rs.Checks().PingCheck {
				logAll = pc.LogAllFailures
				ch, err := NewPingChecker(PingSpec{Target: pc.ConnectIP, Bind: pc.BindTo, BindIf: pc.BindIf, Fwmark: pc.FWMark, Timeout: pc.ConnectTimeout})
				add("ping_check", ch, policy(pc.CheckCommon), err)
			}
			for _, mc := range rs.Checks().MiscCheck {
				logAll = mc.LogAllFailures
				words, cred, err := ResolveScript(mc.Path, g, scripts)
				if err != nil {
					add("misc_check", nil, Policy{}, err)
					continue
				}
				ch, err := NewMiscChecker(MiscSpec{Argv: words, Timeout: mc.Timeout, Dynamic: mc.Dynamic, Cred: cred, Scripts: scripts})
				add("misc_check", ch, Policy{DelayLoop: mc.DelayLoop, Retry: mc.Retry, DelayBeforeRetry: mc.DelayBeforeRetry, Warmup: mc.Warmup}, err)
			}
			for _, sc := range rs.Checks().SMTPCheck {
				logAll = sc.LogAllFailures
				for _, tc := range sc.Targets() {
					ch, err := NewSMTPChecker(SMTPSpec{Target: target(tc), Bind: bind(tc), BindIf: tc.BindIf, Fwmark: tc.FWMark, Timeout: tc.ConnectTimeout, Helo: sc.HeloName})
					add("smtp_check", ch, policy(tc), err)
				}
			}
			for _, dc := range rs.Checks().DNSCheck {
				logAll = dc.LogAllFailures
				ch, err := NewDNSChecker(DNSSpec{UDPConn: udpConn(dc.CheckCommon), Type: dc.Type, Name: dc.Name})
				add("dns_check", ch, policy(dc.CheckCommon), err)
			}
			for _, uc := range rs.Checks().UDPCheck {
				logAll = uc.LogAllFailures
				ch, err := NewUDPChecker(UDPSpec{UDPConn: udpConn(uc.CheckCommon), Payload: uc.Payload, RequireReply: uc.RequireReply,
					Reply: uc.Reply, ReplyMask: uc.ReplyMask, MinReply: uc.MinReplyLength, MaxReply: uc.MaxReplyLength})
				add("udp_check", ch, policy(uc.CheckCommon), err)
			}
			for _, fc := range rs.Checks().FileCheck {
				logAll = false
				ch, err := NewFileChecker(FileSpec{Path: fc.File, Weight: fc.Weight, Reverse: fc.WeightReverse, Configured: rs.Weight})
				add("file_check", ch, Policy{DelayLoop: FileCheckInterval}, err)
			}
			for _, bc := range rs.Checks().BFDCheck {
				logAll = false
				add("bfd_check", NewBFDChecker(bc.Name, bfd), Policy{DelayLoop: time.Millisecond}, nil)
			}
			out = append(out, spec)
		}
	}
	return out, errors.Join(errs...)
}

// ResolveScript prepares a configured script of the checker side
// (misc_path, notify_up, notify_down, quorum_up, quorum_down) as the VRRP
// side does its own: the line split with config.SplitCommand, the user and
// group resolved with s.LookupUser (the command's own, else
// script_user/script_group; cred is nil when neither is set: run as lvsd),
// and with enable_script_security a program run as root that a non-root
// user could change refused by s.CheckCommand (a *config.InsecureScriptError).
// A zero command gives nil.
func ResolveScript(c config.Command, g config.Global, s Scripts) (argv []string, cred *Credential, err error) {
	if c.IsZero() {
		return nil, nil, nil
	}
	if argv, err = config.SplitCommand(c.Line); err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, errors.New("healthcheck: no script runner")
	}
	if user, group := c.RunAs(g); user != "" {
		if cred, err = s.LookupUser(user, group); err != nil {
			return nil, nil, err
		}
	}
	if g.EnableScriptSecurity {
		if err := s.CheckCommand(argv, cred); err != nil {
			return nil, nil, err
		}
	}
	return argv, cred, nil
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

func udpConn(c config.CheckCommon) UDPConn {
	return UDPConn{Target: target(c), Bind: bind(c), BindIf: c.BindIf, Fwmark: c.FWMark, Timeout: c.ConnectTimeout}
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
		Target: target(h.CheckCommon), Bind: bind(h.CheckCommon), BindIf: h.BindIf, Fwmark: h.FWMark,
		Timeout: h.ConnectTimeout, Protocol: proto, VirtualHost: vhost,
		TLS: ssl, SNI: h.EnableSNI, SNIName: h.SNIName, TLSCompliant: h.TLSCompliant,
	}
	if ssl {
		s.CAFile, s.Cert, s.Key = g.SSLCA, g.SSLCertificate, g.SSLKey
	}
	for _, u := range h.URLs {
		us := URLSpec{Path: u.Path, Digest: u.Digest, VirtualHost: u.Virtualhost,
			Regex: u.Regex, RegexOptions: u.RegexOptions, RegexNoMatch: u.RegexNoMatch,
			RegexMin: u.RegexMinOffset, RegexMax: u.RegexMaxOffset, RegexMaxSet: u.RegexMaxSet, TLSCompliant: u.TLSCompliant}
		us.Status = append(us.Status, u.StatusCodes...)
		s.URLs = append(s.URLs, us)
	}
	return s
}
