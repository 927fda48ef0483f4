package vip

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestPromoteSecondaries: with promote_secondaries a VIP (a secondary
// address) survives the removal of its subnet's primary address; without
// it the kernel removes it too. The setting is counted and put back.
func TestPromoteSecondaries(t *testing.T) {
	for _, promote := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[promote], func(t *testing.T) {
			lab := netlab.New(t, "n1")
			n := lab.Node("n1")
			m := manager(t, n)
			sysctl := func() string {
				return strings.TrimSpace(n.MustExec("cat", "/proc/sys/net/ipv4/conf/eth0/promote_secondaries"))
			}
			n.MustExec("sh", "-c", "echo 0 > /proc/sys/net/ipv4/conf/eth0/promote_secondaries")
			if promote {
				for range 2 { // two instances on eth0
					if err := m.PromoteSecondaries("eth0"); err != nil {
						t.Fatal(err)
					}
				}
				if got := sysctl(); got != "1" {
					t.Fatalf("promote_secondaries %s after PromoteSecondaries", got)
				}
			}
			primary := n.MustExec("ip", "-o", "-4", "addr", "show", "dev", "eth0")
			f := strings.Fields(primary)
			var pfx string
			for k := range f {
				if f[k] == "inet" {
					pfx = f[k+1]
					break
				}
			}
			p, err := netip.ParsePrefix(pfx)
			if err != nil {
				t.Fatalf("primary address of eth0: %q", primary)
			}
			vip := Address{Prefix: netip.PrefixFrom(p.Masked().Addr().Next().Next().Next(), p.Bits()), Dev: "eth0"}
			if vip.Prefix.Addr() == p.Addr() {
				vip.Prefix = netip.PrefixFrom(vip.Prefix.Addr().Next(), p.Bits())
			}
			if err := m.AddVIPs(context.Background(), []Address{vip}); err != nil {
				t.Fatal(err)
			}
			n.MustExec("ip", "addr", "del", pfx, "dev", "eth0")
			out := n.MustExec("ip", "-o", "-4", "addr", "show", "dev", "eth0")
			if kept := strings.Contains(out, vip.Prefix.String()); kept != promote {
				t.Errorf("VIP %s kept after the primary %s was removed: %v, want %v (%s)", vip.Prefix, pfx, kept, promote, out)
			}
			if !promote {
				return
			}
			if err := m.UnpromoteSecondaries("eth0"); err != nil {
				t.Fatal(err)
			}
			if got := sysctl(); got != "1" {
				t.Errorf("promote_secondaries %s while one user is left", got)
			}
			if err := m.UnpromoteSecondaries("eth0"); err != nil {
				t.Fatal(err)
			}
			if got := sysctl(); got != "0" {
				t.Errorf("promote_secondaries %s after the last user, want 0 (put back)", got)
			}
		})
	}
}
