package config

// notSupported lists the keys (schema paths: table names joined by dots,
// without indices, as Keys returns them) that lvsd parses but whose
// behaviour is not built. A file that sets one is rejected with "not
// supported yet", never accepted and ignored. The value, when not empty,
// says more. Lift a key by deleting its line once the behaviour exists.
//
// Everything in the contract file (config-sketch.toml) and everything the
// VRRP, tracking, IPVS and health-check work builds is supported; what is
// listed here is what nobody builds in this round.
var notSupported = map[string]string{
	// VRRP: keepalived extras outside RFC 3768/5798 core behaviour.
	"vrrp_instance.accept":                    "",
	"vrrp_instance.skip_check_adv_addr":       "",
	"vrrp_instance.vmac_xmit_base":            "",
	"vrrp_instance.notify_priority_changes":   "",
	"vrrp_sync_group.notify_priority_changes": "",
	"global.vrrp_skip_check_adv_addr":         "",
	"global.vrrp_strict":                      "",
	"global.vrrp_startup_delay":               "",
	"global.vrrp_mcast_group4":                "",
	"global.vrrp_mcast_group6":                "",
	"global.vrrp_garp_interval":               "",
	"global.vrrp_gna_interval":                "",

	// IPVS.
	"virtual_server.vrrp_instance":              "ha_suspend follows the instance that holds the virtual address",
	"virtual_server.real_server.tunnel_nocsum":  "",
	"virtual_server.real_server.tunnel_csum":    "",
	"virtual_server.real_server.tunnel_remcsum": "",

	// Health checks: only http_get, ssl_get, tcp_check, ping_check and
	// misc_check are built.
	"virtual_server.real_server.smtp_check":                  "",
	"virtual_server.real_server.dns_check":                   "",
	"virtual_server.real_server.udp_check":                   "",
	"virtual_server.real_server.bfd_check":                   "",
	"virtual_server.real_server.file_check":                  "",
	"virtual_server.real_server.http_get.url.regex":          "",
	"virtual_server.real_server.ssl_get.url.regex":           "",
	"virtual_server.real_server.http_get.log_all_failures":   "",
	"virtual_server.real_server.ssl_get.log_all_failures":    "",
	"virtual_server.real_server.tcp_check.log_all_failures":  "",
	"virtual_server.real_server.ping_check.log_all_failures": "",
}

// Supported reports whether a key (a schema path such as
// "vrrp_instance.use_vmac") is accepted and implemented. Unknown keys are
// not supported.
func Supported(schemaPath string) bool {
	_, no := notSupported[schemaPath]
	return !no && allKeys()[schemaPath]
}
