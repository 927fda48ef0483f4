// Package config implements lvsd's configuration: a strict TOML file whose
// section and key names are keepalived's keywords (keepalived.conf(5)),
// decoded into plain Go values that the vrrp, ipvs and healthcheck packages
// consume.
//
// # Contract for consumers
//
// Load (or Parse) returns a *Config in which every default is filled in
// (defaults.go is the one place they live: keepalived's) and every reference
// is checked: a track_script names a [[vrrp_script]], a sync group's members
// exist, a virtual_server's group exists, no two instances share a VRID on
// one interface and family, no real server is listed twice. Consumers never
// guess a default and never re-validate. Durations are time.Duration,
// addresses net/netip values; an invalid netip.Addr means "not set".
// Blocks keep the order of the file. The model only grows: fields are added,
// never renamed.
//
// # API
//
//   - Load, Parse: file or bytes to *Config; DefaultPath is /etc/lvsd/lvsd.toml.
//   - Dump: a *Config back to TOML with every default spelled out (lvsd check --dump).
//   - CheckHost with a Host (OSHost, or a fake in tests): interfaces, scripts,
//     users and enable_script_security, checked against the machine.
//   - Keys, Supported: the schema paths the loader knows, and which of them
//     are implemented (support.go); REFERENCE.md documents each and a test
//     keeps the two in step.
//   - Command.Args: a command line split into words as keepalived does.
//
// Model types: Config{Global, Scripts []VRRPScript, TrackProcesses
// []TrackProcess, TrackFiles []TrackFile, SyncGroups []SyncGroup, Instances
// []VRRPInstance, VirtualServerGroups []VirtualServerGroup, VirtualServers
// []VirtualServer, BGP *BGP}; a VirtualServer holds RealServers, each with Checkers
// (HTTPGet/SSLGet []HTTPCheck, TCPCheck, PingCheck, MiscCheck, SMTPCheck,
// DNSCheck, UDPCheck, FileCheck). Package config/trackfile reads the
// files of track_file for both the VRRP and the checker side.
//
// # Errors
//
// Every problem of a file is reported, not only the first, as Errors (a list
// of *Error, usable with errors.As), each formatted
// FILE:LINE:COL: key.path: what is wrong (and what is allowed). Unknown keys,
// wrong types, out-of-range values, dangling references and duplicates are
// errors; an invalid value is never replaced by a default. Keys whose
// behaviour is not built yet (support.go) are rejected with "not supported
// yet". Host checks (interfaces, scripts) are not done here but by
// CheckHost, which lvsd check runs.
//
// # Reading
//
// A single-pass reader (fasttoml.go) reads the TOML subset lvsd files use
// and decodes each [[virtual_server]] as soon as it is complete; anything it
// is not sure of goes to BurntSushi/toml, so results and error messages are
// the same either way (TestFastTOMLAgrees, FuzzFastTOML). The model keeps no
// reference into the file's bytes.
//
// # Concurrency
//
// A *Config is a plain value: safe to read from many goroutines, never
// modified after Load returns. Reload loads a new value and compares.
package config
