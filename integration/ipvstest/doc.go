// Package ipvstest holds the end-to-end tests of package ipvs: a client
// namespace, a director namespace driven by ipvs.Manager, and real-server
// namespaces running HTTP servers, all inside the VM (integration/vm)
// because the build machines' kernel has no IPVS. Outside the VM the tests
// skip, or fail when LVSD_REQUIRE lists ipvs.
package ipvstest
