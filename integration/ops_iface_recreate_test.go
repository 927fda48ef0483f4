package integration

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsInterfaceRecreated (issue 15, defect 3): the interface of a
// running BACKUP is deleted and made again (a VLAN, bond or macvlan in real
// life; a macvlan on eth0 here: this kernel has no VLAN or dummy links), so
// it comes back with a new ifindex. As keepalived, the instance goes to
// FAULT while its interface is missing, and once the interface is back it
// is started on it again: it hears the master, stays BACKUP and never
// takes the VIP. Before the fix its socket stayed bound to the old ifindex
// and it became MASTER beside the real one. With dont_track_primary the
// FAULT comes from the rebuild alone (no tracker watches the interface);
// in a sync group the whole VRRP part is handed over. With use_vmac, the
// VMAC alone deleted is made again. Two instances on the interface (one
// socket shared) both hear the master again.
func TestOpsInterfaceRecreated(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"tracked", "dont_track_primary", "sync_group", "vmac_deleted", "two_instances"} {
		t.Run(v, func(t *testing.T) { t.Parallel(); testInterfaceRecreated(t, v) })
	}
}

func testInterfaceRecreated(t *testing.T, variant string) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	mkLink := func() {
		n2.MustExec("ip", "link", "add", "vl5", "link", "eth0", "type", "macvlan", "mode", "bridge")
		n2.MustExec("ip", "addr", "add", "10.97.5.2/24", "dev", "vl5")
		n2.MustExec("ip", "link", "set", "vl5", "up")
	}
	mkLink()
	run := func(n *netlab.Node, conf string) (string, *netlab.Process) {
		dir := t.TempDir()
		sock := filepath.Join(dir, n.Name+".sock")
		cfgPath := filepath.Join(dir, n.Name+".toml")
		if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		p := n.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
			"--state-file", filepath.Join(dir, n.Name+".state"), "--log-level", "debug")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("lvsd on %s:\n%s", n.Name, p.Out.String())
			}
		})
		return sock, p
	}
	conf1 := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast, Master: true})
	conf2 := strings.Replace(lvsdConf(instance{Priority: 100, Version: 3, Advert: fast,
		VIPs: []string{"10.99.0.100/24 dev vl5"}}), `interface = "eth0"`, `interface = "vl5"`, 1)
	vip2 := netip.MustParseAddr("10.99.0.101")
	if variant == "two_instances" {
		conf1 += lvsdConf(instance{Name: "VI_2", VRID: 52, Priority: 200, Version: 3, Advert: fast, Master: true,
			VIPs: []string{"10.99.0.101/24 dev eth0"}})
		conf2 += strings.Replace(lvsdConf(instance{Name: "VI_2", VRID: 52, Priority: 100, Version: 3, Advert: fast,
			VIPs: []string{"10.99.0.101/24 dev vl5"}}), `interface = "eth0"`, `interface = "vl5"`, 1)
	}
	sock1, _ := run(n1, conf1)
	switch variant {
	case "dont_track_primary":
		conf2 += "dont_track_primary = true\n"
	case "vmac_deleted":
		conf2 += "use_vmac = true\n"
	case "sync_group":
		conf2 += "\n[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\"]\n"
	}
	sock, p2 := run(n2, conf2)
	vip := netip.MustParseAddr("10.99.0.100")
	waitOwner(t, vip, n1, 15*time.Second, 2*time.Second, n1, n2)
	status := func() map[string]opsInstance {
		_, _, code := lvsdCmd(t, "status", "--socket", sock)
		if code != 0 {
			return nil
		}
		return statusJSON(t, sock)
	}
	var s map[string]opsInstance
	if !netlab.WaitFor(15*time.Second, func() bool { s = status(); return s["VI_1"].State == "BACKUP" }) {
		t.Fatalf("n2 never became BACKUP: %+v", s)
	}

	if variant == "vmac_deleted" {
		n2.MustExec("ip", "link", "del", "vrrp.51")
		if !netlab.WaitFor(15*time.Second, func() bool {
			_, err := n2.Exec(context.Background(), "ip", "link", "show", "vrrp.51")
			return err == nil && strings.Contains(p2.Out.String(), "rebuilding the instances on it")
		}) {
			t.Fatal("the VMAC deleted was not made again")
		}
	} else {
		n2.MustExec("ip", "link", "del", "vl5")
		if !netlab.WaitFor(15*time.Second, func() bool { s = status(); return s["VI_1"].State == "FAULT" }) {
			t.Fatalf("n2 not in FAULT with its interface deleted: %+v", s)
		}
		if n2.HasAddr(vip) {
			t.Fatal("the VIP is on n2 with its interface deleted")
		}
		mkLink()
	}
	if !netlab.WaitFor(15*time.Second, func() bool { s = status(); return s["VI_1"].State == "BACKUP" }) {
		t.Fatalf("n2 not BACKUP again once its interface is back: %+v", s)
	}
	// it stays BACKUP while the master sends 10 adverts (5 s, well past
	// master_down): it hears the master on the new interface
	sent := statusJSON(t, sock1)["VI_1"].AdvertsSent
	if !netlab.WaitFor(30*time.Second, func() bool { return statusJSON(t, sock1)["VI_1"].AdvertsSent >= sent+10 }) {
		t.Fatal("the master stopped sending adverts")
	}
	s = status()
	if s["VI_1"].State != "BACKUP" || n2.HasAddr(vip) || strings.Contains(p2.Out.String(), "entering MASTER state") {
		t.Errorf("n2 did not stay BACKUP on its new interface: %+v, VIP on n2 %v", s["VI_1"], n2.HasAddr(vip))
	}
	if variant == "two_instances" && (s["VI_2"].State != "BACKUP" || n2.HasAddr(vip2)) {
		t.Errorf("VI_2 on n2 did not stay BACKUP on its new interface: %+v", s["VI_2"])
	}
	if !strings.Contains(p2.Out.String(), "interface deleted or re-created: rebuilding the instances on it") {
		t.Error("no log line about the interface deleted")
	}
	if !n1.HasAddr(vip) {
		t.Error("the VIP left n1")
	}
}

// TestOpsInterfaceRecreatedMaster: the interface of a MASTER alone on its
// segment is deleted and made again at once (dont_track_primary: no
// tracker sees it go): the instance is rebuilt on the new interface and
// puts its VIP there again, alone or in a sync group.
func TestOpsInterfaceRecreatedMaster(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"alone", "sync_group"} {
		t.Run(v, func(t *testing.T) { t.Parallel(); testInterfaceRecreatedMaster(t, v == "sync_group") })
	}
}

func testInterfaceRecreatedMaster(t *testing.T, grouped bool) {
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	mkLink := func() {
		n1.MustExec("ip", "link", "add", "vl5", "link", "eth0", "type", "macvlan", "mode", "bridge")
		n1.MustExec("ip", "addr", "add", "10.97.5.1/24", "dev", "vl5")
		n1.MustExec("ip", "link", "set", "vl5", "up")
	}
	mkLink()
	dir := t.TempDir()
	sock := filepath.Join(dir, "n1.sock")
	conf := strings.Replace(lvsdConf(instance{Priority: 100, Version: 3, Advert: fast,
		VIPs: []string{"10.99.0.100/24 dev vl5"}}), `interface = "eth0"`, `interface = "vl5"`, 1)
	conf += "dont_track_primary = true\n"
	if grouped {
		conf += "\n[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\"]\n"
	}
	cfgPath := filepath.Join(dir, "n1.toml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock,
		"--state-file", filepath.Join(dir, "n1.state"), "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p.Out.String())
		}
	})
	vip := netip.MustParseAddr("10.99.0.100")
	var s map[string]opsInstance
	master := func() bool {
		if _, _, code := lvsdCmd(t, "status", "--socket", sock); code != 0 {
			return false
		}
		s = statusJSON(t, sock)
		return s["VI_1"].State == "MASTER" && n1.HasAddr(vip)
	}
	if !netlab.WaitFor(15*time.Second, master) {
		t.Fatalf("n1 never became MASTER with its VIP: %+v", s)
	}
	n1.MustExec("ip", "link", "del", "vl5")
	mkLink()
	if !netlab.WaitFor(15*time.Second, func() bool {
		return strings.Contains(p.Out.String(), "rebuilding the instances on it")
	}) {
		t.Fatal("the instance was not rebuilt on its new interface")
	}
	if !netlab.WaitFor(15*time.Second, master) {
		t.Fatalf("n1 not MASTER with its VIP on the new interface: %+v, VIP %v", s, n1.HasAddr(vip))
	}
}
