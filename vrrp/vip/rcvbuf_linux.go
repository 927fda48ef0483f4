package vip

// RcvBuf is the receive buffer of a netlink socket (SO_RCVBUF, or
// SO_RCVBUFFORCE with Force: past net.core.rmem_max, root only). Size 0
// leaves the kernel's default.
type RcvBuf struct {
	Size  int
	Force bool
}

func (b RcvBuf) opt() string {
	if b.Force {
		return "SO_RCVBUFFORCE"
	}
	return "SO_RCVBUF"
}

// Options are a Manager's socket options.
type Options struct {
	Cmd     RcvBuf // the request socket (addresses, routes, rules)
	Monitor RcvBuf // the link and address subscriptions
}
