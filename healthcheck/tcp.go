package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lvsd/lvsd/healthcheck/genhash"
)

// TCPSpec is a tcp_check: a TCP connect (then close).
type TCPSpec struct {
	Target  netip.AddrPort
	Bind    netip.AddrPort
	BindIf  string // bind_if: SO_BINDTODEVICE ("" = none)
	Fwmark  uint32
	Timeout time.Duration // connect_timeout
}

// TCPChecker is a tcp_check checker.
type TCPChecker struct {
	spec TCPSpec
	key  string
}

var _ Checker = (*TCPChecker)(nil)

// NewTCPChecker returns a tcp_check checker.
func NewTCPChecker(spec TCPSpec) (*TCPChecker, error) {
	if !spec.Target.IsValid() {
		return nil, errors.New("healthcheck: tcp check: invalid target")
	}
	return &TCPChecker{spec: spec, key: fmt.Sprintf("tcp%+v", spec)}, nil
}

// Key implements Checker.
func (c *TCPChecker) Key() string { return c.key }

func (c *TCPChecker) String() string { return "tcp_check " + c.spec.Target.String() }

// Check connects and closes.
func (c *TCPChecker) Check(ctx context.Context) Result {
	start := time.Now()
	var deadline time.Time
	if c.spec.Timeout > 0 {
		deadline = start.Add(c.spec.Timeout)
	}
	// A raw socket (genhash.Socket): socket, connect, poll, getsockopt,
	// close, as keepalived; Go's poller only if the connect is not at once.
	sock, err := genhash.Connect(ctx, c.spec.Target, c.spec.Bind, c.spec.BindIf, c.spec.Fwmark, deadline)
	if err != nil {
		return failed(Classify(err), err, start)
	}
	sock.Close() // a plain close (FIN), as keepalived
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
}
