package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestVRRPStrictFirewall runs two lvsd nodes with vrrp_strict: the master
// without Accept_Mode (strict's default) has its VIP in nftables table
// inet lvsd and a client's ping to the VIP is dropped, while the node's own
// address answers; the backup's set is empty. After a graceful stop the
// table is gone, and the backup that takes over with accept = true answers.
func TestVRRPStrictFirewall(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "nft")
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	strict := "[global]\nvrrp_strict = true\n\n"
	d1 := startLvsd(t, n1, strict+lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}))
	conf2 := strings.Replace(lvsdConf(instance{Priority: 100, Version: 3, Advert: fast}), "virtual_ipaddress", "accept = true\nvirtual_ipaddress", 1)
	startLvsd(t, n2, strict+conf2)
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)

	set := func(n *netlab.Node) string {
		out, err := n.Exec(t.Context(), "nft", "list", "set", "inet", "lvsd", "vips4")
		if err != nil {
			return "error: " + err.Error() + ": " + string(out)
		}
		return string(out)
	}
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(set(n1), "elements = { 10.99.0.100 }") }) {
		t.Fatalf("master n1: VIP not in the drop set:\n%s", set(n1))
	}
	if out := set(n2); !strings.Contains(out, "error") {
		t.Errorf("backup n2 with accept = true has a table:\n%s", out)
	}
	ping := func(dst string) error {
		_, err := cl.Exec(t.Context(), "ping", "-c1", "-W1", dst)
		return err
	}
	if err := ping(n1.IP.String()); err != nil {
		t.Fatalf("ping n1's own address: %v", err)
	}
	if err := ping(vip4.String()); err == nil {
		t.Errorf("ping to the VIP of a master without Accept_Mode answered")
	}
	// ARP is not filtered: the client learnt the VIP's MAC
	if out := cl.MustExec("ip", "neigh", "show", vip4.String()); !strings.Contains(out, n1.MAC) {
		t.Errorf("client has no neighbour entry for the VIP at n1's MAC: %q", out)
	}

	if err := d1.stop(t); err != nil {
		t.Fatalf("lvsd on n1 after SIGTERM: %v", err)
	}
	if out := n1.MustExec("nft", "list", "tables"); strings.Contains(out, "lvsd") {
		t.Errorf("table left on n1 after stop:\n%s", out)
	}
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool { return ping(vip4.String()) == nil }) {
		t.Errorf("ping to the VIP of master n2 with accept = true: no answer")
	}
}
