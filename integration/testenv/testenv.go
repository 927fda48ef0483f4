package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// EnvRequire names the environment variable that lists required capabilities.
const EnvRequire = "LVSD_REQUIRE"

// Required reports whether the run requires capability name.
func Required(name string) bool {
	for _, f := range strings.Split(os.Getenv(EnvRequire), ",") {
		f = strings.TrimSpace(f)
		if f == name || f == "all" {
			return true
		}
	}
	return false
}

// unavailable skips the test, or fails it when the capability is required.
func unavailable(t testing.TB, name, why string) {
	t.Helper()
	if Required(name) {
		t.Fatalf("%s required (%s=%s) but unavailable: %s", name, EnvRequire, os.Getenv(EnvRequire), why)
	}
	t.Skipf("skipping: %s unavailable: %s (set %s=%s to make this a failure)", name, why, EnvRequire, name)
}

// NeedRoot requires uid 0.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "root", "not running as root")
	}
}

// NeedNetns requires root and the ip(8) command with netns support.
func NeedNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "netns", "network namespaces need root")
		return
	}
	if _, err := exec.LookPath("ip"); err != nil {
		unavailable(t, "netns", "ip(8) from iproute2 not found")
		return
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		unavailable(t, "netns", "kernel has no network namespaces")
	}
}

// NeedBinary requires an executable on PATH and returns its path. The
// capability name is the binary's name (keepalived, genhash, nginx, ipvsadm).
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if _, serr := os.Stat(dir + "/" + name); serr == nil {
				return dir + "/" + name
			}
		}
		unavailable(t, name, name+" not found on PATH (apt-get install it)")
		return ""
	}
	return p
}

// NeedIPVS requires a kernel with IPVS loaded (/proc/net/ip_vs). On the
// build machines that is only true inside the VM lab.
func NeedIPVS(t testing.TB) {
	t.Helper()
	NeedRoot(t)
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		unavailable(t, "ipvs", "this kernel has no IPVS (/proc/net/ip_vs missing); `make test` runs these tests in the VM lab")
	}
}

// NeedPythonModule requires Debian's /usr/bin/python3 with module (the
// capability name, e.g. "aiosmtpd" from python3-aiosmtpd) and returns the
// interpreter's path.
func NeedPythonModule(t testing.TB, module string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import "+module).Run(); err != nil {
		unavailable(t, module, py+" cannot import "+module+" (apt-get install python3-"+module+")")
		return ""
	}
	return py
}

// FRRDir is where Debian's frr package puts its daemons (zebra, bgpd).
const FRRDir = "/usr/lib/frr"

// NeedFRR requires FRR's zebra and bgpd (Debian frr) and vtysh; the
// capability name is "frr".
func NeedFRR(t testing.TB) {
	t.Helper()
	for _, f := range []string{FRRDir + "/zebra", FRRDir + "/bgpd"} {
		if _, err := os.Stat(f); err != nil {
			unavailable(t, "frr", f+" not found (apt-get install frr)")
			return
		}
	}
	if _, err := exec.LookPath("vtysh"); err != nil {
		unavailable(t, "frr", "vtysh not found (apt-get install frr)")
	}
}

// NeedFRRBFD is NeedFRR and FRR's bfdd (Debian frr); the capability name
// is "frr".
func NeedFRRBFD(t testing.TB) {
	t.Helper()
	NeedFRR(t)
	if _, err := os.Stat(FRRDir + "/bfdd"); err != nil {
		unavailable(t, "frr", FRRDir+"/bfdd not found (apt-get install frr)")
	}
}
