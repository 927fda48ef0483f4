package daemon

import (
	"net/netip"

	"github.com/lvsd/lvsd/vrrp"
)

// extraIfAddrs picks what garp_extra_if announces, as keepalived 2.2.7's
// vrrp_send_vmac_update: the first address (VIPs, then excluded ones) on
// each interface other than own, the interface the instance runs on (its
// VMAC with use_vmac). Without all only the VMAC (vmac) qualifies; own
// qualifies only when the adverts leave from elsewhere (xmitBase:
// vmac_xmit_base). devOf places a VIP's dev (the base interface moves to
// the VMAC).
func extraIfAddrs(vips []vrrp.VIP, devOf func(string) string, own, vmac string, xmitBase, all bool) []netip.Addr {
	var out []netip.Addr
	seen := map[string]bool{}
	for _, excluded := range []bool{false, true} {
		for _, v := range vips {
			if v.Excluded != excluded {
				continue
			}
			d := devOf(v.Dev)
			if seen[d] {
				continue
			}
			if d != vmac || vmac == "" {
				if !all {
					continue
				}
			}
			if d == own && !xmitBase {
				continue
			}
			seen[d] = true
			out = append(out, v.Prefix.Addr())
		}
	}
	return out
}
