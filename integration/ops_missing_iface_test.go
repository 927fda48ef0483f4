package integration

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsMissingInterface (issue 15, defect 8): `lvsd run` with an instance
// on an interface that does not exist yet (made later: a VLAN or bond in
// real life, a veth pair here) starts, as keepalived does, holding the
// instance in FAULT with no VIP, while the instance on eth0 runs; once the
// interface appears the instance starts on it and, alone on its segment,
// becomes MASTER with its VIP, and the instance on eth0 does not move. In a
// sync group the whole VRRP part is handed over (the group is rebuilt with
// it). With use_vmac the VMAC is made on the interface once it exists.
func TestOpsMissingInterface(t *testing.T) {
	t.Parallel()
	t.Run("alone", func(t *testing.T) { t.Parallel(); testMissingInterface(t, false, false) })
	t.Run("sync_group", func(t *testing.T) { t.Parallel(); testMissingInterface(t, true, false) })
	t.Run("use_vmac", func(t *testing.T) { t.Parallel(); testMissingInterface(t, false, true) })
}

func testMissingInterface(t *testing.T, grouped, vmac bool) {
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	dir := t.TempDir()
	sock := filepath.Join(dir, "n1.sock")
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}) +
		"[[vrrp_instance]]\nname = \"VI_VLAN\"\ninterface = \"vl5\"\nvirtual_router_id = 55\npriority = 200\n" +
		"advert_int = " + fast + "\nversion = 3\nvirtual_ipaddress = [\"10.98.5.100/24 dev vl5\"]\n"
	if vmac {
		conf += "use_vmac = true\n"
	}
	if grouped {
		conf += "\n[[vrrp_sync_group]]\nname = \"VG_VLAN\"\ngroup = [\"VI_VLAN\"]\n"
	}
	cfgPath := filepath.Join(dir, "n1.toml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	vip := netip.MustParseAddr("10.98.5.100")
	var s map[string]opsInstance
	if !netlab.WaitFor(15*time.Second, func() bool {
		select {
		case <-p1.Done():
			t.Fatalf("lvsd exited with the interface missing:\n%s", p1.Out.String())
		default:
		}
		_, _, code := lvsdCmd(t, "status", "--socket", sock)
		if code != 0 {
			return false
		}
		s = statusJSON(t, sock)
		return s["VI_1"].State == "MASTER" && s["VI_VLAN"].State == "FAULT"
	}) {
		t.Fatalf("want VI_1 MASTER and VI_VLAN FAULT, status %+v", s)
	}
	before := s["VI_1"]
	if n1.HasAddr(vip) {
		t.Fatal("the VIP of the instance without its interface is on n1")
	}
	if !strings.Contains(p1.Out.String(), "instance held in FAULT until it is ready") {
		t.Error("no log line about the missing interface")
	}
	// no VLAN or dummy links on this kernel: a veth pair inside n1
	// the interface comes up first, its address a moment later: until
	// then the instance has nothing to send from and stays in FAULT
	n1.MustExec("ip", "link", "add", "vl5", "type", "veth", "peer", "name", "vl5p")
	n1.MustExec("ip", "link", "set", "vl5p", "up")
	n1.MustExec("ip", "link", "set", "vl5", "up")
	if s = statusJSON(t, sock); s["VI_VLAN"].State != "FAULT" {
		t.Errorf("VI_VLAN on an interface without an address: %+v", s["VI_VLAN"])
	}
	n1.MustExec("ip", "addr", "add", "10.98.5.1/24", "dev", "vl5")
	if !netlab.WaitFor(20*time.Second, func() bool {
		s = statusJSON(t, sock)
		return s["VI_VLAN"].State == "MASTER" && n1.HasAddr(vip)
	}) {
		t.Fatalf("VI_VLAN never became MASTER with its VIP on vl5: %+v", s)
	}
	if !strings.Contains(p1.Out.String(), "interface appeared: starting the instance on it") {
		t.Error("no log line about the interface appearing")
	}
	if s["VI_1"].State != "MASTER" || s["VI_1"].Transitions != before.Transitions {
		t.Errorf("VI_1 moved while VI_VLAN started: %+v -> %+v", before, s["VI_1"])
	}
}
