// Package health_vm holds the end-to-end proof of lvsd's health checks
// driving IPVS: `lvsd run` in a director namespace checks two real servers
// with http_get and keeps the kernel's IPVS table in step; a client reaches
// the service through the VIP. It needs IPVS, so it runs inside the VM lab
// (`make test-vm VM_PKGS=integration/health_vm`); elsewhere it skips, or
// fails when LVSD_REQUIRE lists ipvs.
package health_vm
