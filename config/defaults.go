package config

import (
	"cmp"
	"net/netip"
	"os"
	"time"
)

// This file is the one place where defaults live. They are keepalived's
// (keepalived 2.2.7), except where a comment says otherwise. The decoder
// starts every block from these values and overwrites what the file sets;
// derived defaults (timeout = interval, a check's target = its real server)
// are filled in by the fill* functions after decoding.

// Defaults that REFERENCE.md documents; the reference test compares them.
const (
	DefaultPriority          = 100
	DefaultAdvertInt         = time.Second
	DefaultVRRPVersion       = 2
	DefaultGARPMasterDelay   = 5 * time.Second
	DefaultGARPMasterRepeat  = 5
	DefaultGARPRefreshRepeat = 1
	// DefaultVRRPLateTimer is lvsd's own (keepalived has no such log).
	DefaultVRRPLateTimer      = 100 * time.Millisecond
	DefaultScriptInterval     = time.Second
	DefaultScriptRise         = 1
	DefaultScriptFall         = 1
	DefaultDelayLoop          = 60 * time.Second
	DefaultConnectTimeout     = 5 * time.Second
	DefaultRetry              = 1
	DefaultHTTPDelayRetry     = 3 * time.Second
	DefaultOtherDelayRetry    = time.Second
	DefaultLBAlgo             = "wlc"
	DefaultLBKind             = "NAT"
	DefaultProtocol           = "TCP"
	DefaultWeight             = 1
	DefaultQuorum             = 1
	DefaultPersistenceTimeout = 360 * time.Second // persistence_timeout = true
	DefaultScriptUser         = "root"
	DefaultSyncDaemonPort     = 8848
	DefaultHTTPProtocol       = "1.0"
	DefaultSMTPHelo           = "smtpchecker.keepalived.org"
	DefaultDNSType            = "SOA"
	DefaultDNSRetry           = 3 // dns_check; its delay_before_retry defaults to its delay_loop
	DefaultUDPMaxReply        = 255
)

var (
	DefaultMcastGroup4    = netip.MustParseAddr("224.0.0.18")
	DefaultMcastGroup6    = netip.MustParseAddr("ff02::12")
	DefaultSyncDaemonAddr = netip.MustParseAddr("224.0.0.81")
	DefaultStatusCodes    = []StatusRange{{200, 299}}
)

func defaultGlobal() Global {
	return Global{
		ScriptUser:              DefaultScriptUser,
		SMTP:                    SMTP{ConnectTimeout: DefaultSMTPConnectTimeout},
		SNMP:                    SNMP{Socket: DefaultSNMPSocket},
		VRRPVersion:             DefaultVRRPVersion,
		GARPMasterDelay:         DefaultGARPMasterDelay,
		GARPMasterRepeat:        DefaultGARPMasterRepeat,
		GARPMasterRefreshRepeat: DefaultGARPRefreshRepeat,
		VRRPMcastGroup4:         DefaultMcastGroup4,
		VRRPMcastGroup6:         DefaultMcastGroup6,
		VRRPLateTimer:           DefaultVRRPLateTimer,
		NFTables:                DefaultNFTables,
		NFTablesPriority:        DefaultNFTablesPriority,
		VRRPGlobalExtra:         defaultVRRPGlobalExtra(),
		Process:                 Process{StartupScriptTimeout: DefaultStartStopTimeout, ShutdownScriptTimeout: DefaultStartStopTimeout},
	}
}

// fillGlobal derives global defaults that depend on other keys.
func fillGlobal(g *Global, set func(string) bool) {
	if g.RouterID == "" {
		g.RouterID = hostname()
	}
	if !set("vrrp_garp_lower_prio_delay") {
		g.GARPLowerPrioDelay = g.GARPMasterDelay
	}
	if !set("vrrp_garp_lower_prio_repeat") {
		g.GARPLowerPrioRepeat = g.GARPMasterRepeat
	}
}

func defaultSyncDaemon() LVSSyncDaemon {
	return LVSSyncDaemon{Port: DefaultSyncDaemonPort, TTL: 1, Group: DefaultSyncDaemonAddr}
}

func defaultScript() VRRPScript {
	return VRRPScript{Interval: DefaultScriptInterval, Rise: DefaultScriptRise, Fall: DefaultScriptFall}
}

func fillScript(s *VRRPScript, set func(string) bool) {
	if !set("timeout") {
		s.Timeout = s.Interval
	}
}

func defaultTrackProcess() TrackProcess { return TrackProcess{Quorum: 1} }

func defaultTrackFile() TrackFile { return TrackFile{Weight: 1} }

func defaultInstance(g *Global) VRRPInstance {
	return VRRPInstance{
		State:                   "BACKUP",
		Priority:                DefaultPriority,
		AdvertInt:               DefaultAdvertInt,
		Preempt:                 true,
		GARPMasterDelay:         g.GARPMasterDelay,
		GARPMasterRepeat:        g.GARPMasterRepeat,
		GARPMasterRefresh:       g.GARPMasterRefresh,
		GARPMasterRefreshRepeat: g.GARPMasterRefreshRepeat,
		GARPLowerPrioDelay:      g.GARPLowerPrioDelay,
		GARPLowerPrioRepeat:     g.GARPLowerPrioRepeat,
		VRRPInstanceExtra:       defaultVRRPInstanceExtra(g),
	}
}

// fillInstance derives an instance's defaults once its keys are decoded.
func fillInstance(in *VRRPInstance, g *Global, set func(string) bool) {
	in.Preempt = !in.NoPreempt
	if in.Family == 0 {
		in.Family = 4
	}
	if !set("version") {
		in.Version = g.VRRPVersion
		if in.Family == 6 {
			in.Version = 3
		}
	}
	if in.UseVMAC && in.VMACName == "" {
		in.VMACName = "vrrp." + itoa(in.VirtualRouterID)
	}
	for i := range in.VIPs {
		fillVIP(&in.VIPs[i], in.Interface)
	}
	for i := range in.ExcludedVIPs {
		fillVIP(&in.ExcludedVIPs[i], in.Interface)
	}
	if !set("garp_lower_prio_delay") && set("garp_master_delay") {
		in.GARPLowerPrioDelay = in.GARPMasterDelay
	}
	if !set("garp_lower_prio_repeat") && set("garp_master_repeat") {
		in.GARPLowerPrioRepeat = in.GARPMasterRepeat
	}
	if in.Strict(g) {
		// keepalived 2.2.7 (vrrp_complete_instance): strict mode sends no
		// gratuitous ARP after a lower-priority advert unless asked.
		if !set("garp_lower_prio_delay") {
			in.GARPLowerPrioDelay = 0
		}
		if !set("garp_lower_prio_repeat") {
			in.GARPLowerPrioRepeat = 0
		}
	}
}

func fillVIP(v *VIP, iface string) {
	if v.Dev == "" {
		v.Dev = iface
	}
	if v.Scope == "" {
		v.Scope = "global"
	}
}

func defaultVirtualServer() VirtualServer {
	return VirtualServer{
		Protocol:  DefaultProtocol,
		LBAlgo:    DefaultLBAlgo,
		LBKind:    DefaultLBKind,
		DelayLoop: DefaultDelayLoop,
		Quorum:    DefaultQuorum,
	}
}

func fillVirtualServer(vs *VirtualServer) {
	if vs.Family == 0 {
		vs.Family = 4
		if vs.IP.Is6() {
			vs.Family = 6
		}
	}
	if vs.PersistenceGranularity == 0 {
		vs.PersistenceGranularity = 32
		if vs.Family == 6 {
			vs.PersistenceGranularity = 128
		}
	}
	if vs.SorryServerLVSMethod == "" {
		vs.SorryServerLVSMethod = vs.LBKind
	}
}

func defaultRealServer(vs *VirtualServer) RealServer {
	return RealServer{Port: vs.Port, Weight: DefaultWeight, Alpha: vs.Alpha}
}

func fillRealServer(rs *RealServer, vs *VirtualServer) {
	if rs.LBKind == "" {
		rs.LBKind = vs.LBKind
	}
	if rs.LBKind == "TUN" && rs.TunnelType == "" {
		rs.TunnelType = "ipip"
	}
}

func defaultCommon(rs *RealServer, vs *VirtualServer, delayBeforeRetry time.Duration) CheckCommon {
	c := CheckCommon{
		ConnectIP:        rs.IP,
		ConnectPort:      rs.Port,
		ConnectTimeout:   DefaultConnectTimeout,
		Retry:            DefaultRetry,
		DelayBeforeRetry: delayBeforeRetry,
		DelayLoop:        vs.DelayLoop,
	}
	for _, d := range []CheckDefaults{vs.CheckDefaults, rs.CheckDefaults} {
		if d.RetrySet {
			c.Retry = d.Retry
		}
		if d.DelayBeforeRetrySet {
			c.DelayBeforeRetry = d.DelayBeforeRetry
		}
		if d.WarmupSet {
			c.Warmup = d.Warmup
		}
		if d.ConnectTimeoutSet {
			c.ConnectTimeout = d.ConnectTimeout
		}
		if d.DelayLoopSet {
			c.DelayLoop = d.DelayLoop
		}
	}
	return c
}

// inherited reports whether the virtual server or real server sets a
// checker default (retry, delay_before_retry).
func inherited(rs *RealServer, vs *VirtualServer, pick func(CheckDefaults) bool) bool {
	return pick(vs.CheckDefaults) || pick(rs.CheckDefaults)
}

func defaultHTTPCheck(rs *RealServer, vs *VirtualServer) HTTPCheck {
	return HTTPCheck{
		CheckCommon:  defaultCommon(rs, vs, DefaultHTTPDelayRetry),
		Virtualhost:  cmp.Or(rs.Virtualhost, vs.Virtualhost),
		HTTPProtocol: DefaultHTTPProtocol,
	}
}

func fillURL(u *URL, c *HTTPCheck) {
	if len(u.StatusCodes) == 0 {
		u.StatusCodes = append([]StatusRange(nil), DefaultStatusCodes...)
	}
	if u.Virtualhost == "" {
		u.Virtualhost = c.Virtualhost
	}
}

func defaultMiscCheck(rs *RealServer, vs *VirtualServer) MiscCheck {
	c := defaultCommon(rs, vs, DefaultOtherDelayRetry)
	return MiscCheck{
		DelayLoop:        c.DelayLoop,
		Retry:            c.Retry,
		DelayBeforeRetry: c.DelayBeforeRetry,
		Warmup:           c.Warmup,
	}
}

func fillMiscCheck(m *MiscCheck, set func(string) bool) {
	if !set("misc_timeout") {
		m.Timeout = m.DelayLoop
	}
}

// hostname is keepalived's default router_id.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "lvsd"
	}
	return h
}
