// Package testenv decides whether a privileged test can run on this machine
// and turns a missing privilege into a failure when the run requires it.
//
// A test that needs root, network namespaces, the keepalived binary or a
// kernel with IPVS calls the matching Need function first. Outside CI the
// test is skipped with the reason. When LVSD_REQUIRE lists the capability
// (comma separated: root, netns, ipvs, frr (zebra, bgpd, vtysh), or the name
// of a binary such as keepalived, genhash, nginx, curl, busybox, ucarp,
// dnsmasq, socat; a Python module for NeedPythonModule, such as aiosmtpd;
// or "all"), the
// missing capability fails the test instead: `make test` sets it, so CI
// proves every privileged test ran.
package testenv
