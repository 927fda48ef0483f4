package config

// Netlink receive buffers: keepalived's *_rcv_bufs keys, on the netlink
// sockets lvsd opens in its one process.

// RcvBuf is the SO_RCVBUF of a netlink socket; Size 0 leaves the kernel's
// default. With Force, SO_RCVBUFFORCE (root) goes past net.core.rmem_max.
type RcvBuf struct {
	Size  int
	Force bool
}

// NetlinkBufs are the receive buffers of lvsd's netlink sockets.
type NetlinkBufs struct {
	VRRPCmd        RcvBuf // vrrp_netlink_cmd_rcv_bufs(_force): the address/route/rule requests (VIPs)
	VRRPMonitor    RcvBuf // vrrp_netlink_monitor_rcv_bufs(_force): the link and address monitors
	ProcessMonitor RcvBuf // process_monitor_rcv_bufs(_force): the process-event connector (vrrp_track_process); default 4 MiB forced
	LVSCmd         RcvBuf // lvs_netlink_cmd_rcv_bufs(_force): the IPVS generic netlink socket
}

// MaxRcvBuf bounds a *_rcv_bufs size (the kernel takes an int; it doubles it).
const MaxRcvBuf = 1<<30 - 1

func (d *decoder) decodeNetlink(n *node, b *NetlinkBufs) {
	for _, f := range []struct {
		key string
		dst *RcvBuf
	}{{"vrrp_netlink_cmd_rcv_bufs", &b.VRRPCmd}, {"vrrp_netlink_monitor_rcv_bufs", &b.VRRPMonitor},
		{"process_monitor_rcv_bufs", &b.ProcessMonitor}, {"lvs_netlink_cmd_rcv_bufs", &b.LVSCmd}} {
		n.integer(f.key, &f.dst.Size, 1, MaxRcvBuf)
		if n.boolean(f.key+"_force", &f.dst.Force) && f.dst.Force && f.dst.Size == 0 {
			d.errorf(n.keyPath(f.key+"_force"), "without %s (the size to force)", f.key)
		}
	}
}

func (w *tomlWriter) netlink(b NetlinkBufs) {
	for _, f := range []struct {
		key string
		v   RcvBuf
	}{{"vrrp_netlink_cmd_rcv_bufs", b.VRRPCmd}, {"vrrp_netlink_monitor_rcv_bufs", b.VRRPMonitor},
		{"process_monitor_rcv_bufs", b.ProcessMonitor}, {"lvs_netlink_cmd_rcv_bufs", b.LVSCmd}} {
		if f.v.Size != 0 {
			w.int(f.key, f.v.Size)
			w.boolean(f.key+"_force", f.v.Force)
		}
	}
}
