package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/lvsd/lvsd/healthcheck/genhash"
	"golang.org/x/sys/unix"
)

// dial connects a check socket ("tcp" or "udp") from bind (zero: any) to
// target, with SO_MARK fwmark and SO_BINDTODEVICE bindIf when set. An IPv6
// link-local target without a zone gets bindIf as its zone.
func dial(ctx context.Context, network string, target, bind netip.AddrPort, bindIf string, fwmark uint32, deadline time.Time) (net.Conn, error) {
	if network == "tcp" {
		return genhash.DialIf(ctx, target, bind, bindIf, fwmark, deadline)
	}
	if bindIf != "" && target.Addr().Is6() && target.Addr().IsLinkLocalUnicast() && target.Addr().Zone() == "" {
		target = netip.AddrPortFrom(target.Addr().WithZone(bindIf), target.Port())
	}
	d := net.Dialer{Deadline: deadline, Control: sockControl(bindIf, fwmark)}
	if bind.IsValid() {
		d.LocalAddr = net.UDPAddrFromAddrPort(bind)
	}
	c, err := d.DialContext(ctx, network, target.String())
	if err != nil {
		return nil, err
	}
	return c, nil
}

// sockControl sets SO_MARK and SO_BINDTODEVICE before connect (nil when
// neither is wanted).
func sockControl(bindIf string, fwmark uint32) func(string, string, syscall.RawConn) error {
	if bindIf == "" && fwmark == 0 {
		return nil
	}
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			if fwmark != 0 {
				if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(fwmark)); err != nil {
					serr = fmt.Errorf("setsockopt SO_MARK %d: %w", fwmark, err)
					return
				}
			}
			if bindIf != "" {
				if err := unix.BindToDevice(int(fd), bindIf); err != nil {
					serr = fmt.Errorf("setsockopt SO_BINDTODEVICE %s: %w", bindIf, err)
				}
			}
		}); err != nil {
			return err
		}
		return serr
	}
}
