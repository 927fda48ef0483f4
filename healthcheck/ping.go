package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// PingSpec is a ping_check: ICMP echo requests (up to 3, spread over
// Timeout), success at the first reply.
type PingSpec struct {
	Target  netip.Addr
	Bind    netip.Addr
	BindIf  string // bind_if: the interface the echo requests leave by
	Fwmark  uint32
	Timeout time.Duration // connect_timeout
	Mode    PingMode
}

// PingMode chooses the ICMP socket kind.
type PingMode uint8

const (
	// PingAuto uses datagram sockets when ping_group_range allows, else raw.
	PingAuto PingMode = iota
	// PingRaw forces raw sockets (needs CAP_NET_RAW).
	PingRaw
	// PingDatagram forces unprivileged ICMP datagram sockets.
	PingDatagram
)

// PingChecker is a ping_check checker. It uses unprivileged ICMP datagram
// sockets when net.ipv4.ping_group_range admits our group (the kernel then
// picks the identifier per socket), raw sockets otherwise, with identifiers
// handed out from a process-wide counter so concurrent pings never share
// one (pro-bing additionally matches a per-pinger UUID in the payload).
type PingChecker struct {
	spec PingSpec
	key  string
}

var _ Checker = (*PingChecker)(nil)

// NewPingChecker returns a ping_check checker.
func NewPingChecker(spec PingSpec) (*PingChecker, error) {
	if !spec.Target.IsValid() {
		return nil, errors.New("healthcheck: ping_check: invalid target")
	}
	if spec.Timeout <= 0 {
		spec.Timeout = 5 * time.Second
	}
	return &PingChecker{spec: spec, key: fmt.Sprintf("ping%+v", spec)}, nil
}

// Key implements Checker.
func (c *PingChecker) Key() string { return c.key }

func (c *PingChecker) String() string { return "ping_check " + c.spec.Target.String() }

// pingAttempts is the number of echo requests a check may send.
const pingAttempts = 3

var pingID atomic.Uint32

// nextPingID returns identifiers 1..65535 in turn.
func nextPingID() int { return int(pingID.Add(1)%65535) + 1 }

var (
	unprivOnce sync.Once
	unprivOK   bool
)

// unprivilegedPing reports whether ICMP datagram sockets are allowed for
// our group (net.ipv4.ping_group_range, which also governs IPv6).
func unprivilegedPing() bool {
	unprivOnce.Do(func() {
		b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
		if err != nil {
			return
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return
		}
		lo, err1 := strconv.ParseUint(f[0], 10, 32)
		hi, err2 := strconv.ParseUint(f[1], 10, 32)
		gid := uint64(os.Getegid())
		unprivOK = err1 == nil && err2 == nil && lo <= gid && gid <= hi
	})
	return unprivOK
}

// Check sends one echo request and waits for the reply.
func (c *PingChecker) Check(ctx context.Context) Result {
	start := time.Now()
	p := probing.New("")
	p.SetIPAddr(&net.IPAddr{IP: c.spec.Target.AsSlice(), Zone: c.spec.Target.Zone()})
	if c.spec.Target.Unmap().Is4() {
		p.SetNetwork("ip4")
	} else {
		p.SetNetwork("ip6")
	}
	switch c.spec.Mode {
	case PingRaw:
		p.SetPrivileged(true)
	case PingDatagram:
		p.SetPrivileged(false)
	default:
		p.SetPrivileged(!unprivilegedPing())
	}
	p.SetID(nextPingID())
	p.SetLogger(probing.NoopLogger{})
	if c.spec.Bind.IsValid() {
		p.Source = c.spec.Bind.String()
	}
	if c.spec.BindIf != "" {
		p.InterfaceName = c.spec.BindIf
	}
	if c.spec.Fwmark != 0 {
		p.SetMark(uint(c.spec.Fwmark))
	}
	// Up to pingAttempts echo requests spread over the timeout; the first
	// reply ends the check. (keepalived sends one: a single lost packet,
	// e.g. a raw socket's queue overflowing under hundreds of concurrent
	// pings, would fail the check.)
	p.Count = pingAttempts
	p.Interval = max(c.spec.Timeout/pingAttempts, 10*time.Millisecond)
	p.Timeout = c.spec.Timeout
	p.OnRecv = func(*probing.Packet) { p.Stop() }
	p.RecordRtts = false
	p.RecordTTLs = false
	err := p.RunWithContext(ctx)
	if ctx.Err() != nil {
		return failed(ReasonCanceled, ctx.Err(), start)
	}
	if err != nil {
		return failed(ReasonPingError, fmt.Errorf("healthcheck: ping %s: %w", c.spec.Target, err), start)
	}
	if p.Statistics().PacketsRecv == 0 {
		return failed(ReasonNoReply, fmt.Errorf("healthcheck: no echo reply from %s within %v", c.spec.Target, c.spec.Timeout), start)
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
}
