package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lvsd/lvsd/config"
)

// InterfaceConfig is one track_interface entry.
type InterfaceConfig struct {
	Interface string // link name
	// Netns, when not nil, is the network namespace the link lives in (the
	// tracker's netlink sockets are opened there); nil: the caller's.
	Netns *netns.NsHandle
	// Resubscribe is the pause before subscribing again after the
	// subscription failed (default 100 ms).
	Resubscribe time.Duration
	// RcvBuf is the subscription's receive buffer
	// (vrrp_netlink_monitor_rcv_bufs); zero: the kernel's default.
	RcvBuf config.RcvBuf
}

// InterfaceTracker follows a link's state through an rtnetlink (RTNLGRP_LINK)
// subscription: OK while the link is administratively up and running
// (IFF_UP and IFF_RUNNING, as keepalived), FAILED while it is down or
// missing. When the subscription breaks (a receive error closes it) it
// subscribes again with a full link dump, so no change is missed for long.
type InterfaceTracker struct {
	cfg      InterfaceConfig
	log      *slog.Logger
	Counters Counters
}

// NewInterface returns the tracker for cfg; a nil logger means slog.Default.
func NewInterface(cfg InterfaceConfig, log *slog.Logger) (*InterfaceTracker, error) {
	if cfg.Interface == "" {
		return nil, errors.New("track: track_interface: no interface name")
	}
	if cfg.Resubscribe <= 0 {
		cfg.Resubscribe = 100 * time.Millisecond
	}
	return &InterfaceTracker{cfg: cfg, log: orDefault(log).With("track_interface", cfg.Interface)}, nil
}

var _ Tracker = (*InterfaceTracker)(nil)

// linkStatus maps interface flags to a status.
func linkStatus(rawFlags uint32) (Status, Reason) {
	const want = unix.IFF_UP | unix.IFF_RUNNING
	if rawFlags&want == want {
		return StatusOK, ReasonNone
	}
	return StatusFailed, ReasonLinkDown
}

// current reads the link's state now.
func (t *InterfaceTracker) current() (Status, Reason, error) {
	h, err := t.handle()
	if err != nil {
		return StatusFailed, ReasonLinkMissing, err
	}
	defer h.Close()
	l, err := h.LinkByName(t.cfg.Interface)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return StatusFailed, ReasonLinkMissing, nil
		}
		return StatusFailed, ReasonLinkMissing, fmt.Errorf("track: link %s: %w", t.cfg.Interface, err)
	}
	s, r := linkStatus(l.Attrs().RawFlags)
	return s, r, nil
}

// handle opens an rtnetlink socket only: with no family given, netlink
// opens xfrm and netfilter sockets too, and fails with "protocol not
// supported" on a kernel without xfrm_user (the VM lab's), leaving the
// tracker blind to the link's state.
func (t *InterfaceTracker) handle() (*netlink.Handle, error) {
	if t.cfg.Netns != nil {
		return netlink.NewHandleAt(*t.cfg.Netns, unix.NETLINK_ROUTE)
	}
	return netlink.NewHandle(unix.NETLINK_ROUTE)
}

// Run implements Tracker.
func (t *InterfaceTracker) Run(ctx context.Context, emit Emit) error {
	var lim limiter
	cur := Update{Name: t.cfg.Interface, Kind: KindInterface, Status: StatusInit}
	set := func(s Status, r Reason, detail string) {
		if s == cur.Status && r == cur.Reason {
			return
		}
		now := time.Now()
		if r != ReasonNone {
			t.Counters.Add(r)
			lim.log(t.log, now, r, "tracked interface not up", "detail", detail)
		}
		if cur.Status != StatusInit {
			t.log.Info("tracked interface changed", "status", s.String(), "reason", r.String())
		}
		cur = Update{Name: t.cfg.Interface, Kind: KindInterface, Status: s, Reason: r, Detail: detail, Time: now}
		emit(cur)
	}
	for {
		ch := make(chan netlink.LinkUpdate, 64)
		done := make(chan struct{})
		errc := make(chan error, 1)
		opts := netlink.LinkSubscribeOptions{
			Namespace:              t.cfg.Netns,
			ListExisting:           true,
			ReceiveBufferSize:      t.cfg.RcvBuf.Size,
			ReceiveBufferForceSize: t.cfg.RcvBuf.Force,
			ErrorCallback: func(err error) {
				select {
				case errc <- err:
				default:
				}
			},
		}
		err := netlink.LinkSubscribeWithOptions(ch, done, opts)
		if err == nil {
			// The dump may not mention a missing link: ask directly.
			s, r, cerr := t.current()
			if cerr != nil {
				t.log.Warn("reading link state", "err", cerr)
			}
			set(s, r, "")
			err = t.follow(ctx, ch, set)
		}
		close(done)
		for range ch { // let the subscription goroutine finish
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case e := <-errc:
			err = e
		default:
		}
		t.log.Warn("link subscription failed, subscribing again", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.cfg.Resubscribe):
		}
	}
}

// follow applies link updates until ctx is done or the subscription closes.
func (t *InterfaceTracker) follow(ctx context.Context, ch <-chan netlink.LinkUpdate, set func(Status, Reason, string)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case u, ok := <-ch:
			if !ok {
				return errors.New("subscription closed")
			}
			if u.Link == nil || u.Link.Attrs().Name != t.cfg.Interface {
				continue
			}
			if u.Header.Type == unix.RTM_DELLINK {
				set(StatusFailed, ReasonLinkMissing, "link deleted")
				continue
			}
			s, r := linkStatus(u.IfInfomsg.Flags)
			set(s, r, "")
		}
	}
}
