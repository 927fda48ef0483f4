package config

import (
	"net/netip"
	"strconv"
	"time"
)

// DefaultPath is where lvsd looks for its configuration when -f is not given.
const DefaultPath = "/etc/lvsd/lvsd.toml"

// Config is a whole lvsd configuration after Load: every default filled in,
// every reference checked. Blocks keep the order of the file.
type Config struct {
	// File is the path (or name) the configuration was loaded from.
	File string
	// Included is the files the main file's `include` read, in the order
	// read (include.go).
	Included []string

	Global              Global
	Scripts             []VRRPScript         // [[vrrp_script]]
	TrackProcesses      []TrackProcess       // [[vrrp_track_process]]
	TrackFiles          []TrackFile          // [[track_file]]
	SyncGroups          []SyncGroup          // [[vrrp_sync_group]]
	Instances           []VRRPInstance       // [[vrrp_instance]]
	VirtualServerGroups []VirtualServerGroup // [[virtual_server_group]]
	VirtualServers      []VirtualServer      // [[virtual_server]]
	CARPInstances       []CARPInstance       // [[carp_instance]] (carp.go)
	BGP                 *BGP                 // [bgp]; nil: no BGP (bgp.go)
	BFDInstances        []BFDInstance        // [[bfd_instance]] (bfd.go)
	GARPGroups          []GARPGroup          // [[garp_group]] (vrrpextra.go)

	// Static network state (keepalived's static_ipaddress, static_routes,
	// static_rules): installed at start whatever the VRRP state, removed
	// at stop.
	StaticAddresses []VIP   // static_ipaddress (dev required)
	StaticRoutes    []Route // static_routes
	StaticRules     []Rule  // static_rules
}

// Command is a command line run by lvsd (a notify script, a check script),
// optionally as another user. Line is split on white space like keepalived
// does (double quotes group words); the first word is the program.
type Command struct {
	Line  string
	User  string // empty: global script_user
	Group string // empty: the user's primary group
}

// IsZero reports whether no command is configured.
func (c Command) IsZero() bool { return c.Line == "" }

// RunAs is the user and group the command runs as, as keepalived decides:
// its own user (and group), else the global script_user and script_group.
// user is "" only when neither is set (run as lvsd's own user).
func (c Command) RunAs(g Global) (user, group string) {
	if c.User != "" {
		return c.User, c.Group
	}
	return g.ScriptUser, g.ScriptGroup
}

// Global is the [global] table (keepalived's global_defs).
type Global struct {
	RouterID             string  // router_id; default: the host name
	ScriptUser           string  // script_user; default "root" (keepalived: keepalived_script if it exists)
	ScriptGroup          string  // script_user's group, or script_group
	EnableScriptSecurity bool    // enable_script_security
	VRRPVersion          int     // vrrp_version, 2 or 3; default 2 (IPv6 instances always use 3)
	NotifyFIFO           string  // notify_fifo: path of a FIFO receiving every event line
	NotifyFIFOScript     Command // notify_fifo_script: program reading NotifyFIFO
	VRRPNotifyFIFO       string  // vrrp_notify_fifo
	VRRPNotifyFIFOScript Command // vrrp_notify_fifo_script
	LVSNotifyFIFO        string  // lvs_notify_fifo: real server and virtual server events only
	// FIFOWriteVRRPStatesOnReload: fifo_write_vrrp_states_on_reload, every
	// instance's state to the notify FIFOs after each reload.
	FIFOWriteVRRPStatesOnReload bool
	RSInitNotifies              bool           // rs_init_notifies: notify_up of real servers that start up
	LVSNotifyFIFOScript         Command        // lvs_notify_fifo_script
	LVSSyncDaemon               *LVSSyncDaemon // lvs_sync_daemon; nil: off
	LVSTimeouts                 LVSTimeouts    // lvs_timeouts; zero fields: leave the kernel's value
	LVSFlush                    bool           // lvs_flush: flush the IPVS table at start
	LVSFlushOnStop              bool           // lvs_flush_on_stop: remove lvsd's services at stop
	MetricsListen               string         // metrics_listen host:port; empty: no metrics endpoint
	VRRPRTPriority              int            // vrrp_rt_priority 1..99: SCHED_RR priority of the daemon; 0: off
	VRRPNoSwap                  bool           // vrrp_no_swap: lock the daemon's memory (mlockall)
	VRRPLateTimer               time.Duration  // vrrp_late_timer: log a VRRP timer firing later than this; default 100ms, 0: off

	// Gratuitous ARP / NA defaults for every instance (vrrp_garp_*).
	GARPMasterDelay         time.Duration // vrrp_garp_master_delay, default 5s
	GARPMasterRepeat        int           // vrrp_garp_master_repeat, default 5
	GARPMasterRefresh       time.Duration // vrrp_garp_master_refresh, default 0 (off)
	GARPMasterRefreshRepeat int           // vrrp_garp_master_refresh_repeat, default 1
	GARPLowerPrioDelay      time.Duration // vrrp_garp_lower_prio_delay, default = GARPMasterDelay
	GARPLowerPrioRepeat     int           // vrrp_garp_lower_prio_repeat, default = GARPMasterRepeat
	GARPInterval            time.Duration // vrrp_garp_interval: gap between ARPs of a burst, default 0
	GNAInterval             time.Duration // vrrp_gna_interval: gap between NAs of a burst, default 0

	VRRPMcastGroup4       netip.Addr    // vrrp_mcast_group4, default 224.0.0.18
	VRRPMcastGroup6       netip.Addr    // vrrp_mcast_group6, default ff02::12
	VRRPStartupDelay      time.Duration // vrrp_startup_delay, default 0
	VRRPSkipCheckAdvAddr  bool          // vrrp_skip_check_adv_addr
	VRRPCheckUnicastSrc   *bool         // vrrp_check_unicast_src; nil: true (unicastsrc.go)
	DisableLocalIGMP      bool          // disable_local_igmp: net.ipv4.igmp_link_local_mcast_reports = 0 while lvsd runs
	VRRPLowerPrioNoAdvert bool          // vrrp_lower_prio_no_advert: default of lower_prio_no_advert
	VRRPStrict            bool          // vrrp_strict: every instance's strict_mode default (see VRRPInstance.Strict)
	NFTables              string        // nftables: the inet table of accept-off drop rules, default "lvsd"
	NFTablesPriority      int           // nftables_priority: its chains' priority, default -1
	NFTablesCounters      bool          // nftables_counters: a counter on every rule
	NetNamespace          string        // net_namespace: the named network namespace (/run/netns/NAME) lvsd run enters at start

	// TLS client material for ssl_get checkers (keepalived's SSL block).
	SSLCA          string // ssl_ca: CA file; when set, server certificates are verified
	SSLCertificate string // ssl_certificate: client certificate file
	SSLKey         string // ssl_key: client key file

	SMTP SMTP // e-mail alerts: notification_email, smtp_server, smtp_alert, ... (smtp.go)
	SNMP SNMP // AgentX subagent: enable_snmp_*, enable_traps, snmp_socket (snmp.go)

	VRRPGlobalExtra // vrrp_down_timer_adverts, vrrp_min_garp, ... (vrrpextra.go)

	Netlink NetlinkBufs // *_rcv_bufs(_force): netlink receive buffers (netlink.go)
	Process Process     // process_name, process_priority, cpu_affinity, startup_script, umask, ... (process.go)
}

// LVSSyncDaemon is global lvs_sync_daemon: the kernel's IPVS connection
// synchronisation, master on the VRRP master of VRRPInstance, or master
// and backup at once without one (N active directors behind ECMP).
type LVSSyncDaemon struct {
	Interface    string     // interface (required)
	VRRPInstance string     // vrrp_instance (must name an instance); "": master and backup both run
	SyncID       int        // sync_id 0..255, default: the instance's VRID (0 without one)
	MaxLen       int        // maxlen: max sync message size, 0 = kernel default
	Port         uint16     // port, default 8848
	TTL          int        // ttl 1..255, default 1
	Group        netip.Addr // group: multicast group, default 224.0.0.81
}

// LVSTimeouts is global lvs_timeouts. Zero means "do not change".
type LVSTimeouts struct {
	TCP    time.Duration // tcp
	TCPFin time.Duration // tcpfin
	UDP    time.Duration // udp
}

// VRRPScript is a [[vrrp_script]]: a command run every Interval whose exit
// status (0 = OK) moves the priority of the instances that track it.
type VRRPScript struct {
	Name     string
	Script   Command       // script (+ user)
	Interval time.Duration // interval, default 1s
	Timeout  time.Duration // timeout, default = Interval
	Rise     int           // rise, default 1
	Fall     int           // fall, default 1
	Weight   int           // weight -253..253, default 0
	// WeightReverse: weight "reverse" - the sense of the weight is inverted.
	WeightReverse bool
	InitFail      bool // init_fail: start in the failed state
}

// TrackProcess is a [[vrrp_track_process]].
type TrackProcess struct {
	Name           string
	Process        string        // process: the process name (comm), or full command line with param_match
	Params         string        // parameters to match (the words after the name in process)
	ParamMatch     string        // param_match: "" (exact), "initial" or "partial"
	Weight         int           // weight -254..254, default 0
	WeightReverse  bool          // weight reverse
	Quorum         int           // quorum, default 1
	QuorumMax      int           // quorum_max, default 0 (no maximum)
	ForkDelay      time.Duration // fork_delay, default 0
	TerminateDelay time.Duration // terminate_delay, default 0
	FullCommand    bool          // full_command: Process is argv[0] exactly, not the comm
}

// TrackFile is a [[track_file]]: a file holding an integer, multiplied by
// Weight and added to the priority.
type TrackFile struct {
	Name          string
	File          string // file
	Weight        int    // weight -254..254, default 1
	WeightReverse bool   // weight reverse
	// InitFile: init_file - create the file at start with InitValue
	// (overwrite an existing one when InitOverwrite).
	InitFile      bool
	InitValue     int
	InitOverwrite bool
}

// TrackRef is one entry of track_script / track_process / track_file /
// track_interface in an instance or sync group. WeightSet tells whether the
// reference overrides the tracked object's weight; when it does not, the
// object's own weight applies (an interface has none: 0, FAULT while down).
type TrackRef struct {
	Name          string
	Weight        int
	WeightSet     bool
	WeightReverse bool
}

// SyncGroup is a [[vrrp_sync_group]].
type SyncGroup struct {
	Name   string
	Group  []string // group: instance names (each in at most one group)
	Notify NotifySet
	// Trackers applied to every member.
	TrackScripts    []TrackRef // track_script
	TrackProcesses  []TrackRef // track_process
	TrackFiles      []TrackRef // track_file
	TrackInterfaces []TrackRef // track_interface
	TrackBFDs       []TrackRef // track_bfd
	// SyncGroupTrackingWeight: sync_group_tracking_weight - member
	// trackers may have a non-zero weight.
	SyncGroupTrackingWeight bool
	SMTPAlert               *bool // smtp_alert; nil: the global default (SMTP.AlertVRRP)
}

// NotifySet is the notify scripts of an instance or sync group.
type NotifySet struct {
	Notify           Command // notify: gets INSTANCE|GROUP NAME STATE PRIORITY appended
	Master           Command // notify_master
	Backup           Command // notify_backup
	Fault            Command // notify_fault
	Stop             Command // notify_stop
	Deleted          Command // notify_deleted
	MasterRxLowerPri Command // notify_master_rx_lower_pri
	PriorityChanges  bool    // notify_priority_changes
}

// VRRPInstance is a [[vrrp_instance]].
type VRRPInstance struct {
	Name            string
	State           string        // state: initial state "MASTER" or "BACKUP", default "BACKUP"
	Interface       string        // interface (required)
	VirtualRouterID int           // virtual_router_id 1..255 (required)
	Priority        int           // priority 1..255, default 100 (255 = address owner)
	AdvertInt       time.Duration // advert_int, default 1s
	// Version: 2 or 3. Default: global vrrp_version for IPv4, always 3 for IPv6.
	Version int
	// Family: 4 or 6, from the virtual addresses (all of one family).
	Family       int
	Preempt      bool          // true unless nopreempt
	NoPreempt    bool          // nopreempt (= !Preempt)
	PreemptDelay time.Duration // preempt_delay 0..1000s, default 0
	Auth         Auth          // authentication

	UnicastSrcIP netip.Addr    // unicast_src_ip; invalid: the interface's primary address
	UnicastPeers []UnicastPeer // unicast_peer; empty: multicast
	UnicastTTL   int           // unicast_ttl: TTL / hop limit of unicast adverts, 0: 255
	MCastSrcIP   netip.Addr    // mcast_src_ip; invalid: the interface's primary address

	VIPs         []VIP   // virtual_ipaddress
	ExcludedVIPs []VIP   // virtual_ipaddress_excluded
	Routes       []Route // virtual_routes
	Rules        []Rule  // virtual_rules: ip rules installed with the VIPs

	TrackScripts     []TrackRef // track_script
	TrackProcesses   []TrackRef // track_process
	TrackFiles       []TrackRef // track_file
	TrackInterfaces  []TrackRef // track_interface
	TrackBFDs        []TrackRef // track_bfd
	DontTrackPrimary bool       // dont_track_primary

	// Gratuitous ARP / unsolicited NA. Defaults come from [global].
	GARPMasterDelay         time.Duration // garp_master_delay, default 5s
	GARPMasterRepeat        int           // garp_master_repeat, default 5
	GARPMasterRefresh       time.Duration // garp_master_refresh, default 0 (off)
	GARPMasterRefreshRepeat int           // garp_master_refresh_repeat, default 1
	GARPLowerPrioDelay      time.Duration // garp_lower_prio_delay
	GARPLowerPrioRepeat     int           // garp_lower_prio_repeat

	Notify NotifySet // notify, notify_master, ...

	UseVMAC           bool   // use_vmac
	VMACName          string // use_vmac's interface name, default "vrrp.VRID"
	VMACXmitBase      bool   // vmac_xmit_base: send adverts from the base interface
	V3ChecksumAsV2    bool   // v3_checksum_as_v2: VRRPv3/IPv4 checksum without pseudo-header
	Accept            *bool  // accept (true) / no_accept (false); nil: AcceptMode's default
	StrictMode        *bool  // strict_mode; nil: global.vrrp_strict
	SkipCheckAdvAddr  bool   // skip_check_adv_addr
	CheckUnicastSrc   *bool  // check_unicast_src; nil: global.vrrp_check_unicast_src (unicastsrc.go)
	LowerPrioNoAdvert *bool  // lower_prio_no_advert; nil: global.vrrp_lower_prio_no_advert
	SMTPAlert         *bool  // smtp_alert; nil: the global default (SMTP.AlertVRRP)

	VRRPInstanceExtra // down_timer_adverts, higher_prio_send_advert, ... (vrrpextra.go)
}

// Auth is a VRRPv2 instance's authentication.
type Auth struct {
	Type string // auth_type: "" (none), "PASS" or "AH" (keepalived's IPsec AH, HMAC-MD5-96 keyed with auth_pass)
	Pass string // auth_pass, at most 8 characters
}

// UnicastPeer is one unicast_peer entry.
type UnicastPeer struct {
	IP     netip.Addr
	MinTTL int // min_ttl 0..255, default 0
	MaxTTL int // max_ttl 0..255, default 255
}

// VIP is one virtual_ipaddress entry:
// "ADDR[/LEN] [brd ADDR] [dev IF] [scope SCOPE] [label LABEL] [noprefixroute] [nodad]".
type VIP struct {
	Prefix        netip.Prefix // /32 or /128 when no length is given
	Brd           netip.Addr   // brd
	Dev           string       // dev; default: the instance's interface
	Scope         string       // scope: global, site, link, host or nowhere; default "global"
	Label         string       // label
	NoPrefixRoute bool         // noprefixroute
	NoDAD         bool         // nodad (IPv6)
}

// Route is one virtual_routes entry:
// "DST [src ADDR] [via GW] [dev IF] [metric N] [table N] [scope S] [proto P] [blackhole]".
type Route struct {
	Dst       netip.Prefix
	Src       netip.Addr // src
	Via       netip.Addr // via (or gw)
	Dev       string     // dev
	Metric    int        // metric
	Table     int        // table, 0 = main
	Scope     string     // scope
	Protocol  string     // proto
	Blackhole bool       // blackhole (type)
	// Nexthops: a multipath route ("nexthop via GW dev IF weight N ...");
	// Via and Dev are then empty.
	Nexthops []Nexthop
}

// Nexthop is one "nexthop [via GW] [dev IF] [weight N]" of a multipath route.
type Nexthop struct {
	Via    netip.Addr
	Dev    string
	Weight int // 1..256, default 1
}

// Rule is one virtual_rules or static_rules entry, in ip-rule's syntax:
// "[not] [from P] [to P] [priority N] [tos T] [fwmark M[/MASK]] [iif IF]
// [oif IF] [uidrange A-B] [ipproto P] [sport A[-B]] [dport A[-B]]
// [suppress_prefixlength N] [protocol P] (table N | goto N | blackhole |
// unreachable | prohibit | nop)". Exactly one action is required.
type Rule struct {
	Family      int          // 4 or 6: from from/to, else inet6 given, else 4
	Not         bool         // not: invert the selector
	From        netip.Prefix // from; invalid: all
	To          netip.Prefix // to; invalid: all
	Priority    uint32       // priority (preference, pref); 0: the kernel picks
	TOS         uint8        // tos (dsfield)
	FWMark      uint32       // fwmark
	FWMask      uint32       // fwmark's /MASK; 0: none
	IIF         string       // iif (iifname)
	OIF         string       // oif (oifname)
	HasUIDRange bool         // uidrange given
	UIDFirst    uint32       // uidrange
	UIDLast     uint32       // uidrange
	IPProto     uint8        // ipproto; 0: any
	SPortFirst  uint16       // sport; 0: any
	SPortLast   uint16       // sport
	DPortFirst  uint16       // dport; 0: any
	DPortLast   uint16       // dport
	HasSuppress bool         // suppress_prefixlength given
	SuppressLen int          // suppress_prefixlength 0..128
	Table       uint32       // table (lookup); 0 with no other action: main
	Goto        uint32       // goto: the priority to continue at; 0: none
	Action      string       // "" (table or goto), "blackhole", "unreachable", "prohibit" or "nop"
	Protocol    string       // protocol: as a route's proto; "": none
}

// VirtualServerGroup is a [[virtual_server_group]]: the addresses a
// virtual_server with group = NAME stands for.
type VirtualServerGroup struct {
	Name    string
	Entries []VSGEntry // vip
}

// VSGEntry is one vip of a group: an address range with a port, or a fwmark.
type VSGEntry struct {
	IP     netip.Addr // first address; invalid for a fwmark entry
	IPLast netip.Addr // last address of a range ("10.0.0.10-20"); equal to IP for one address
	Port   uint16
	FWMark uint32
}

// VirtualServer is a [[virtual_server]]: exactly one of IP+Port, FWMark or
// Group identifies it.
type VirtualServer struct {
	IP     netip.Addr // ip
	Port   uint16     // port (0 = all ports, with persistence)
	FWMark uint32     // fwmark
	Group  string     // group: a virtual_server_group name
	// Family: 4 or 6 (from IP, or family for fwmark services, default 4).
	Family int

	Protocol string // protocol: TCP (default), UDP or SCTP
	LBAlgo   string // lb_algo: rr wrr lc wlc (default) lblc lblcr dh sh sed nq fo ovf mh twos
	LBKind   string // lb_kind: NAT (default), DR or TUN

	PersistenceTimeout     time.Duration // persistence_timeout, 0 = none (true = 360s)
	PersistenceGranularity int           // persistence_granularity as a prefix length; default 32 (IPv4) / 128 (IPv6)
	PersistenceEngine      string        // persistence_engine (e.g. "sip")
	OPS                    bool          // ops: one-packet scheduling (UDP)
	SchedFlags             SchedFlags    // sh-port, sh-fallback, mh-port, mh-fallback

	DelayLoop   time.Duration // delay_loop, default 60s: default for every checker
	Quorum      int           // quorum, default 1
	Hysteresis  int           // hysteresis, default 0
	QuorumUp    Command       // quorum_up
	QuorumDown  Command       // quorum_down
	Alpha       bool          // alpha: real servers start as failed
	Omega       bool          // omega: run quorum_down / notify_down on shutdown
	HASuspend   bool          // ha_suspend: only while VRRPInstance (or the VIP owner) is master
	Virtualhost string        // virtualhost: default for http_get/ssl_get

	SorryServer          *SorryServer // sorry_server "IP PORT"; nil: none
	SorryServerInhibit   bool         // sorry_server_inhibit
	SorryServerLVSMethod string       // sorry_server_lvs_method, default = LBKind

	VRRPInstance string // vrrp_instance: the instance ha_suspend follows
	SMTPAlert    *bool  // smtp_alert; nil: the global default (SMTP.AlertChecker)
	SNMPName     string // snmp_name: virtualServerName in KEEPALIVED-MIB

	// CheckDefaults: retry, delay_before_retry, warmup, connect_timeout
	// for every checker below (keepalived 2.x); delay_loop is DelayLoop.
	CheckDefaults CheckDefaults

	RealServers []RealServer // real_server
}

// CheckDefaults are checker options set on a virtual_server or
// real_server for the checkers below it; a checker's own value wins, a
// real server's wins over its virtual server's.
type CheckDefaults struct {
	Retry               int           // retry
	DelayBeforeRetry    time.Duration // delay_before_retry
	Warmup              time.Duration // warmup
	ConnectTimeout      time.Duration // connect_timeout
	DelayLoop           time.Duration // delay_loop (real_server only)
	RetrySet            bool          // (the flags together: 48 bytes, not 80)
	DelayBeforeRetrySet bool          //
	WarmupSet           bool          //
	ConnectTimeoutSet   bool          //
	DelayLoopSet        bool          //
}

// Name is the name every part of lvsd gives the virtual server — in the
// health checker's and the IPVS part's keys, logs and lvsd status:
// "IP:PORT" ("[IPv6]:PORT"), "fwmark N" or "group NAME".
func (vs VirtualServer) Name() string {
	switch {
	case vs.Group != "":
		return "group " + vs.Group
	case vs.FWMark != 0:
		return "fwmark " + strconv.FormatUint(uint64(vs.FWMark), 10)
	}
	return netip.AddrPortFrom(vs.IP, vs.Port).String()
}

// SchedFlags are the IPVS scheduler flags of a virtual server.
type SchedFlags struct {
	SHPort, SHFallback, MHPort, MHFallback bool
}

// SorryServer is the destination used when no real server is up.
type SorryServer struct {
	IP   netip.Addr
	Port uint16
}

// RealServer is one [[virtual_server.real_server]].
//
// A daemon keeps one per destination, so the fields are ordered to pack
// (small ones together) and the checkers sit behind a pointer that is nil
// when there are none.
type RealServer struct {
	IP               netip.Addr // ip
	Weight           int        // weight 0..65535, default 1
	UThreshold       int        // uthreshold, 0 = none
	LThreshold       int        // lthreshold, 0 = none
	Port             uint16     // port; default the virtual server's port
	TunnelPort       uint16     // tunnel_port (gue)
	InhibitOnFailure bool       // inhibit_on_failure: weight 0 instead of removal
	TunnelNoCsum     bool       // tunnel_nocsum
	TunnelCsum       bool       // tunnel_csum
	TunnelRemCsum    bool       // tunnel_remcsum
	Alpha            bool       // alpha (inherits the virtual server's)
	LBKind           string     // lvs_method: override of the virtual server's lb_kind; "" = inherit
	TunnelType       string     // tunnel_type: ipip (default), gue, gre (lb_kind TUN)
	SMTPAlert        *bool      // smtp_alert; nil: the global default (SMTP.AlertChecker)
	SNMPName         string     // snmp_name: realServerName in KEEPALIVED-MIB
	Virtualhost      string     // virtualhost: default for its http_get/ssl_get, "" = the virtual server's
	NotifyUp         Command    // notify_up
	NotifyDown       Command    // notify_down

	// CheckDefaults: retry, delay_before_retry, warmup, connect_timeout,
	// delay_loop for its checkers (over the virtual server's).
	CheckDefaults CheckDefaults

	// Checkers: nil when the real server has none (Checks reads either way).
	Checkers *Checkers
}

// noCheckers is what Checks returns for a real server without checkers.
var noCheckers Checkers

// Checks returns the real server's checkers, empty ones when it has none,
// so callers can range over any kind without a nil check. The result
// shares the checkers' slices: read it, do not modify it.
func (rs *RealServer) Checks() *Checkers {
	if rs.Checkers == nil {
		return &noCheckers
	}
	return rs.Checkers
}

// addCheckers returns the real server's checkers for the decoder to
// append to, allocating them on the first checker.
func (rs *RealServer) addCheckers() *Checkers {
	if rs.Checkers == nil {
		rs.Checkers = new(Checkers)
	}
	return rs.Checkers
}

// Checkers are the health checks of a real server; all must pass.
type Checkers struct {
	HTTPGet   []HTTPCheck // http_get
	SSLGet    []HTTPCheck // ssl_get
	TCPCheck  []TCPCheck  // tcp_check
	PingCheck []PingCheck // ping_check
	MiscCheck []MiscCheck // misc_check
	SMTPCheck []SMTPCheck // smtp_check (one per legacy host block)
	DNSCheck  []DNSCheck  // dns_check
	UDPCheck  []UDPCheck  // udp_check
	FileCheck []FileCheck // file_check
	BFDCheck  []BFDCheck  // bfd_check
}

// Len is the number of checkers (0 for nil).
func (c *Checkers) Len() int {
	if c == nil {
		return 0
	}
	return len(c.HTTPGet) + len(c.SSLGet) + len(c.TCPCheck) + len(c.PingCheck) + len(c.MiscCheck) +
		len(c.SMTPCheck) + len(c.DNSCheck) + len(c.UDPCheck) + len(c.FileCheck) + len(c.BFDCheck)
}

// CheckCommon holds the keys every network checker has. After Load
// ConnectIP/ConnectPort hold the effective target (the real server unless
// overridden) and the timings are filled in.
type CheckCommon struct {
	ConnectIP        netip.Addr    // connect_ip, default the real server's IP
	BindTo           netip.Addr    // bindto: source address
	BindIf           string        // bind_if: source interface (IPv6 link-local)
	ConnectTimeout   time.Duration // connect_timeout, default 5s
	Warmup           time.Duration // warmup: random delay up to this before the first check
	Retry            int           // retry, default 1
	DelayBeforeRetry time.Duration // delay_before_retry, default 3s for HTTP/SSL, 1s otherwise
	DelayLoop        time.Duration // delay_loop, default the virtual server's
	FWMark           uint32        // fwmark: SO_MARK of the check socket
	ConnectPort      uint16        // connect_port, default the real server's port
	BindPort         uint16        // bind_port: source port
	LogAllFailures   bool          // log_all_failures (small fields last: they pack)
}

// HTTPCheck is an http_get or ssl_get checker.
type HTTPCheck struct {
	CheckCommon
	URLs         []URL  // url (at least one)
	Virtualhost  string // virtualhost; default the virtual server's
	HTTPProtocol string // http_protocol: "1.0" (default), "1.0C", "1.1"
	EnableSNI    bool   // enable_sni (ssl_get; set too by sni_name)
	SNIName      string // sni_name (ssl_get): the SNI sent, "" = the virtual host
	TLSCompliant bool   // tls_compliant (ssl_get): end with a TLS close_notify
	FastRecovery bool   // fast_recovery: lvsd checks every url in one round anyway
}

// URL is one url of an HTTP checker.
type URL struct {
	Path        string        // path (required)
	Digest      string        // digest: 32 lower-case hex digits of the body's MD5, "" = not checked
	StatusCodes []StatusRange // status_code, default [{200, 299}]
	Virtualhost string        // virtualhost; default the checker's

	Regex          string   // regex: a pattern (Go RE2 syntax) the body must match, "" = none
	RegexOptions   []string // regex_options: keepalived's PCRE2 option names RE2 can express
	RegexMinOffset int      // regex_min_offset: a match starts at or after this body offset
	RegexMaxOffset int      // regex_max_offset: ... and at or before this one (when RegexMaxSet)
	RegexStack     [2]int   // regex_stack START MAX: PCRE2 JIT stack; RE2 needs none (no effect)
	RegexNoMatch   bool     // regex_no_match: up when the body does not match
	RegexMaxSet    bool     // regex_max_offset is set
	TLSCompliant   bool     // tls_compliant (ssl_get): this url ends with a TLS close_notify
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Min, Max int }

// Contains reports whether code is within the range.
func (r StatusRange) Contains(code int) bool { return code >= r.Min && code <= r.Max }

// TCPCheck is a tcp_check checker.
type TCPCheck struct {
	CheckCommon
}

// PingCheck is a ping_check checker (ICMP echo to ConnectIP).
type PingCheck struct {
	CheckCommon
}

// SMTPCheck is an smtp_check checker: the 220 banner, HELO HeloName, a 250
// reply, QUIT. Each legacy host block is one more target checked with the
// same helo_name and timings (keepalived 2.x makes a checker of each).
type SMTPCheck struct {
	CheckCommon
	HeloName string        // helo_name, default DefaultSMTPHelo
	Hosts    []CheckCommon // host: only the connection keys are set, the rest is the checker's
	// HostsOnly: there are hosts and the checker sets no connection key of
	// its own, so its own target (the real server) is not checked.
	HostsOnly bool
}

// Targets returns the connection settings of every target the checker
// checks (its own unless HostsOnly, then each host's), each with the
// checker's timings.
func (c SMTPCheck) Targets() []CheckCommon {
	var out []CheckCommon
	if !c.HostsOnly {
		out = append(out, c.CheckCommon)
	}
	for _, h := range c.Hosts {
		t := c.CheckCommon
		t.ConnectIP, t.ConnectPort, t.BindTo, t.BindPort, t.BindIf, t.ConnectTimeout, t.FWMark =
			h.ConnectIP, h.ConnectPort, h.BindTo, h.BindPort, h.BindIf, h.ConnectTimeout, h.FWMark
		out = append(out, t)
	}
	return out
}

// DNSCheck is a dns_check checker: one query over UDP; a reply with the
// query's id and rcode NOERROR is up.
type DNSCheck struct {
	CheckCommon
	Type string // type: A, NS, CNAME, SOA (default), MX, TXT or AAAA
	Name string // name: the name queried, default "" (the root, ".")
}

// UDPCheck is a udp_check checker: one datagram sent; an ICMP unreachable
// is down; with RequireReply a reply within connect_timeout must come and
// match.
type UDPCheck struct {
	CheckCommon
	Payload        []byte // payload (hex), nil = keepalived's 32-byte default
	RequireReply   bool   // require_reply (set too by reply)
	Reply          []byte // reply (hex, x = any nibble): the reply's first bytes
	ReplyMask      []byte // bits of Reply that are wildcards (nil: none)
	MinReplyLength int    // min_reply_length, default 0
	MaxReplyLength int    // max_reply_length, default 255
}

// FileCheck is a file_check checker: a [[track_file]]'s number drives the
// real server's weight (keepalived's FILE_CHECK).
type FileCheck struct {
	TrackFile     string // track_file: the name of a [[track_file]] (required)
	File          string // that track_file's file (filled in by Load)
	Weight        int    // weight -65535..65535, default the track_file's weight
	WeightReverse bool   // weight "N reverse" / reverse, default the track_file's
}

// MiscCheck is a misc_check checker: a script whose exit status decides.
type MiscCheck struct {
	Path             Command       // misc_path (+ user)
	Timeout          time.Duration // misc_timeout, default = the delay_loop
	Dynamic          bool          // misc_dynamic: exit 2..255 sets weight = code-2
	Warmup           time.Duration // warmup
	DelayLoop        time.Duration // delay_loop, default the virtual server's
	Retry            int           // retry, default 1
	DelayBeforeRetry time.Duration // delay_before_retry, default 1s
	LogAllFailures   bool          // log_all_failures
}
