package config

// notSupported lists the keys (schema paths: table names joined by dots,
// without indices) that lvsd parses but whose behaviour is not built yet.
// A file that sets one is rejected with "not supported yet", never accepted
// and ignored. The value, when not empty, says more. Lift a key by deleting
// its line once the behaviour exists.
var notSupported = map[string]string{
	"virtual_server.vrrp_instance":                  "",
	"virtual_server.persistence_engine":             "",
	"virtual_server.real_server.smtp_check":         "",
	"virtual_server.real_server.dns_check":          "",
	"virtual_server.real_server.udp_check":          "",
	"virtual_server.real_server.bfd_check":          "",
	"virtual_server.real_server.file_check":         "",
	"virtual_server.real_server.http_get.url.regex": "",
	"virtual_server.real_server.ssl_get.url.regex":  "",
	"virtual_server.real_server.uthreshold":         "",
	"virtual_server.real_server.lthreshold":         "",
	"global.vrrp_startup_delay":                     "",
	"global.vrrp_strict":                            "",
}

// Supported reports whether a key (schema path, e.g.
// "vrrp_instance.use_vmac") is implemented. Unknown keys are not supported.
func Supported(schemaPath string) bool {
	_, no := notSupported[schemaPath]
	return !no && allKeys()[schemaPath]
}
