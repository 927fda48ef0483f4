package ipvs

import (
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// TestOptionsRcvBuf: lvs_netlink_cmd_rcv_bufs reaches a generic netlink
// socket (getsockopt SO_RCVBUF: the kernel doubles the size); forced past
// net.core.rmem_max when root. New applies the same to its socket (a kernel
// with IPVS is needed for New itself: the VM lab).
func TestOptionsRcvBuf(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want int
	}{{Options{RcvBuf: 65536}, 2 * 65536}, {Options{RcvBuf: 3 << 20, RcvBufForce: true}, 2 * (3 << 20)}} {
		if tc.o.RcvBufForce && unix.Geteuid() != 0 {
			t.Log("SO_RCVBUFFORCE needs root: skipped")
			continue
		}
		nl, err := netlink.Dial(unix.NETLINK_GENERIC, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.o.apply(nl); err != nil {
			t.Fatal(err)
		}
		rc, err := nl.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var gerr error
		_ = rc.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) })
		nl.Close()
		if gerr != nil || got != tc.want {
			t.Errorf("%+v: SO_RCVBUF %d (%v), want %d", tc.o, got, gerr, tc.want)
		}
	}
}
