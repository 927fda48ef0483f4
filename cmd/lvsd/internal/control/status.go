package control

import "time"

// Status is what `lvsd status` shows: every VRRP instance and every virtual
// server with its real servers. The daemon fills it from its running state;
// `--json` prints it as is.
type Status struct {
	Version      string    `json:"version"`
	PID          int       `json:"pid"`
	Started      time.Time `json:"started"`
	ConfigFile   string    `json:"config_file"`
	ConfigLoaded time.Time `json:"config_loaded"`
	// Reloads counts the reloads since start, ReloadsFailed those refused
	// (the running configuration stayed); LastReloadFailed is the latest's.
	Reloads          uint64            `json:"reloads"`
	ReloadsFailed    uint64            `json:"reloads_failed"`
	LastReloadFailed bool              `json:"last_reload_failed"`
	Instances        []Instance        `json:"vrrp_instances"`
	SyncGroups       []SyncGroup       `json:"vrrp_sync_groups,omitempty"`
	VRRPSockets      []VRRPSocket      `json:"vrrp_sockets,omitempty"`
	VirtualServers   []VirtualServer   `json:"virtual_servers"`
	Mail             *Mail             `json:"mail,omitempty"`
	SNMP             *SNMP             `json:"snmp,omitempty"`           // snmp.go
	CARPInstances    []CARPInstance    `json:"carp_instances,omitempty"` // carp.go
	BFDSessions      []BFDSession      `json:"bfd_sessions,omitempty"`   // bfd.go
	BFDDrops         map[string]uint64 `json:"bfd_drops,omitempty"`      // by reason, non-zero only
	// IPVSRequests counts the mutating IPVS netlink requests sent since
	// start (a reload changing one weight adds exactly one).
	IPVSRequests uint64 `json:"ipvs_requests"`
	BGP          *BGP   `json:"bgp,omitempty"` // nil: no [bgp]
}

// Instance is one VRRP instance.
type Instance struct {
	Name              string            `json:"name"`
	Interface         string            `json:"interface"`
	VRID              int               `json:"virtual_router_id"`
	Version           int               `json:"version"`
	State             string            `json:"state"`
	BasePriority      int               `json:"base_priority"`
	EffectivePriority int               `json:"effective_priority"`
	Master            string            `json:"master,omitempty"` // address of the current master, if known
	LastTransition    time.Time         `json:"last_transition"`
	LastCause         string            `json:"last_cause,omitempty"`
	VIPs              []string          `json:"virtual_ipaddress,omitempty"`
	Trackers          []Tracker         `json:"trackers,omitempty"`
	AdvertsSent       uint64            `json:"adverts_sent"`
	AdvertsReceived   uint64            `json:"adverts_received"`
	Drops             map[string]uint64 `json:"drops,omitempty"` // by reason
	Transitions       uint64            `json:"transitions"`
	// LateTimers counts advert / master-down timers handled later than
	// vrrp_late_timer after their deadline.
	LateTimers uint64 `json:"late_timers"`
}

// Tracker is one tracked object of an instance.
type Tracker struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`  // script, process, file, interface
	State  string `json:"state"` // OK, FAILED, or a value for track_file
	Weight int    `json:"weight"`
	Detail string `json:"detail,omitempty"`
}

// VRRPSocket is the socket the VRRP instances of one interface and address
// family share. It receives every advert on the interface and counts those
// for a VRID none of its instances has: another VRRP group on the segment,
// or a peer configured with a wrong virtual_router_id.
type VRRPSocket struct {
	Interface string   `json:"interface"`
	Family    string   `json:"family"` // inet or inet6
	VRIDs     []int    `json:"virtual_router_ids"`
	Instances []string `json:"instances,omitempty"`
	// UnknownVRID counts the adverts for other VRIDs since the socket was
	// opened (at start, or by a reload that rebuilt the instances).
	UnknownVRID uint64 `json:"unknown_vrid_adverts"`
}

// SyncGroup is one vrrp_sync_group.
type SyncGroup struct {
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Members []string `json:"members"`
}

// VirtualServer is one IPVS service and its destinations.
type VirtualServer struct {
	Protocol    string       `json:"protocol"` // TCP, UDP, SCTP, FWM
	Address     string       `json:"address"`  // ip:port, or the fwmark
	Scheduler   string       `json:"scheduler"`
	Persistence int          `json:"persistence_timeout,omitempty"` // seconds
	Quorum      string       `json:"quorum,omitempty"`              // "up" or "down"
	SorryServer string       `json:"sorry_server,omitempty"`        // set while the sorry server is in use
	InKernel    bool         `json:"in_kernel"`
	RealServers []RealServer `json:"real_servers"`
	Counters
}

// Counters are the kernel's 64-bit totals and rates of a service or destination.
type Counters struct {
	Conns    uint64 `json:"conns"`
	InPkts   uint64 `json:"in_packets"`
	OutPkts  uint64 `json:"out_packets"`
	InBytes  uint64 `json:"in_bytes"`
	OutBytes uint64 `json:"out_bytes"`
	CPS      uint64 `json:"cps"`
	InPPS    uint64 `json:"in_pps"`
	OutPPS   uint64 `json:"out_pps"`
	InBPS    uint64 `json:"in_bps"`
	OutBPS   uint64 `json:"out_bps"`
}

// RealServer is one destination with its health.
type RealServer struct {
	Address          string    `json:"address"`
	Forward          string    `json:"forward"` // Masq, Route, Tunnel
	Health           string    `json:"health"`  // UP, DOWN
	LastCheck        time.Time `json:"last_check,omitempty"`
	LastResult       string    `json:"last_result,omitempty"` // the reason of the last result
	ConfiguredWeight int       `json:"configured_weight"`
	Weight           int       `json:"weight"` // in the kernel now; -1 when absent
	ActiveConns      uint64    `json:"active_conns"`
	InactiveConns    uint64    `json:"inactive_conns"`
	// Checks counts check results by reason ("ok", "timeout", "status 503", ...).
	Checks map[string]uint64 `json:"checks,omitempty"`
	Counters
}

// Mail is the e-mail alerts' state (smtp_alert).
type Mail struct {
	Enabled   bool              `json:"enabled"` // smtp_server and notification_email set
	Server    string            `json:"smtp_server,omitempty"`
	Sent      uint64            `json:"sent"`
	Failed    map[string]uint64 `json:"failed"` // by reason
	Queued    int               `json:"queued"`
	LastError string            `json:"last_error,omitempty"`
}
