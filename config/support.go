package config

// notSupported lists the keys (schema paths: table names joined by dots,
// without indices, as Keys returns them) that lvsd parses but whose
// behaviour is not built. A file that sets one is rejected with "not
// supported yet", never accepted and ignored. The value, when not empty,
// says more. Lift a key by deleting its line once the behaviour exists
// (REFERENCE.md's test then asks for its "not supported yet" mark to go).
//
// Everything in the contract file (config-sketch.toml) and everything the
// VRRP, tracking, IPVS and health-check packages consume is supported; what
// is listed here is what no package reads.
var notSupported = map[string]string{
	// IPVS.
	"virtual_server.real_server.tunnel_nocsum": "",
}

// Supported reports whether a key (a schema path such as
// "vrrp_instance.use_vmac") is accepted and implemented. Unknown keys are
// not supported.
func Supported(schemaPath string) bool {
	_, no := notSupported[schemaPath]
	return !no && allKeys()[schemaPath]
}
