package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestVRRPNFTablesOptions: keepalived's nftables keywords as lvsd keys —
// the master without Accept_Mode keeps its drop rules in the table named by
// global.nftables, with chains of global.nftables_priority and counters
// (global.nftables_counters) that count the client's pings dropped; the
// table is gone after a stop.
func TestVRRPNFTablesOptions(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "nft")
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ah"}, "n1", "cl")
	n1, cl := lab.Node("n1"), lab.Node("cl")
	glob := "[global]\nvrrp_strict = true\nnftables = \"keepalived\"\nnftables_priority = -7\nnftables_counters = true\n\n"
	d := startLvsd(t, n1, glob+lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	list := func() string {
		out, err := n1.Exec(t.Context(), "nft", "list", "table", "inet", "keepalived")
		if err != nil {
			return "error: " + err.Error() + ": " + string(out)
		}
		return string(out)
	}
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(list(), "elements = { 10.99.0.100 }") }) {
		t.Fatalf("VIP not in table inet keepalived:\n%s", list())
	}
	out := list()
	for _, want := range []string{
		"type filter hook input priority filter - 7; policy accept;",
		"type filter hook output priority filter - 7; policy accept;",
		"ip daddr @vips4 counter packets",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if o, _ := n1.Exec(t.Context(), "nft", "list", "tables"); strings.Contains(string(o), "inet lvsd") {
		t.Errorf("the default table exists too:\n%s", o)
	}
	if _, err := cl.Exec(t.Context(), "ping", "-c3", "-i0.2", "-W1", vip4.String()); err == nil {
		t.Error("ping to the VIP of a master without Accept_Mode answered")
	}
	if out := list(); !strings.Contains(out, "ip daddr @vips4 counter packets 3 bytes 252 drop") {
		t.Errorf("the counter did not count the 3 pings dropped:\n%s", out)
	}
	if err := d.stop(t); err != nil {
		t.Fatalf("lvsd after SIGTERM: %v", err)
	}
	if out := n1.MustExec("nft", "list", "tables"); strings.Contains(out, "keepalived") {
		t.Errorf("table left after stop:\n%s", out)
	}
}
