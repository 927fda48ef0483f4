package daemon

import (
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// The *_rcv_bufs keys (config.NetlinkBufs) onto the sockets lvsd opens;
// each is set when its socket is opened (the VRRP and static-address
// managers, the IPVS client, the link and process monitors of vrrp/track).

func vipOptions(g config.Global) vip.Options {
	b := g.Netlink
	return vip.Options{Cmd: vip.RcvBuf{Size: b.VRRPCmd.Size, Force: b.VRRPCmd.Force},
		Monitor: vip.RcvBuf{Size: b.VRRPMonitor.Size, Force: b.VRRPMonitor.Force}}
}

func ipvsOptions(g config.Global) ipvs.Options {
	return ipvs.Options{RcvBuf: g.Netlink.LVSCmd.Size, RcvBufForce: g.Netlink.LVSCmd.Force}
}

// vipOptionsOf is vipOptions of cfg's [global]; none without a cfg (tests).
func vipOptionsOf(cfg *config.Config) vip.Options {
	if cfg == nil {
		return vip.Options{}
	}
	return vipOptions(cfg.Global)
}
