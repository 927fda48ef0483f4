package ipvs

import (
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Options are the IPVS client's socket options.
type Options struct {
	// RcvBuf is SO_RCVBUF of the generic netlink socket lvsd reads the
	// table with (lvs_netlink_cmd_rcv_bufs); 0: the kernel's default.
	RcvBuf int
	// RcvBufForce sets it with SO_RCVBUFFORCE, past net.core.rmem_max (root).
	RcvBufForce bool
}

func (o Options) apply(nl *netlink.Conn) error {
	if o.RcvBuf <= 0 {
		return nil
	}
	opt, name := unix.SO_RCVBUF, "SO_RCVBUF"
	if o.RcvBufForce {
		opt, name = unix.SO_RCVBUFFORCE, "SO_RCVBUFFORCE"
	}
	rc, err := nl.SyscallConn()
	if err != nil {
		return fmt.Errorf("ipvs: %s: %w", name, err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, o.RcvBuf) }); err != nil {
		return fmt.Errorf("ipvs: %s: %w", name, err)
	}
	if serr != nil {
		return fmt.Errorf("ipvs: %s %d: %w", name, o.RcvBuf, serr)
	}
	return nil
}
