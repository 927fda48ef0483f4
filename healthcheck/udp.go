package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// UDPConn is where a UDP-based check sends from: the connection keys.
type UDPConn struct {
	Target  netip.AddrPort
	Bind    netip.AddrPort
	BindIf  string
	Fwmark  uint32
	Timeout time.Duration // connect_timeout: how long replies are waited for
}

// DefaultUDPPayload is what udp_check sends without payload: keepalived's
// 32 octets.
var DefaultUDPPayload = []byte("keepalived check - keepalived ch")

// UDPSpec is a udp_check: one datagram; an ICMP destination unreachable
// is down; with RequireReply a reply must come within the timeout and
// match (length within MinReply..MaxReply, first octets equal to Reply
// except the bits set in ReplyMask). Without RequireReply silence is up.
type UDPSpec struct {
	UDPConn
	Payload      []byte // nil: DefaultUDPPayload
	RequireReply bool
	Reply        []byte
	ReplyMask    []byte // nil: every bit of Reply counts
	MinReply     int
	MaxReply     int // 0: 255
}

// UDPChecker is a udp_check checker.
type UDPChecker struct {
	spec UDPSpec
	key  string
}

var _ Checker = (*UDPChecker)(nil)

// NewUDPChecker returns a udp_check checker.
func NewUDPChecker(spec UDPSpec) (*UDPChecker, error) {
	if !spec.Target.IsValid() {
		return nil, errors.New("healthcheck: udp check: invalid target")
	}
	if spec.Payload == nil {
		spec.Payload = DefaultUDPPayload
	}
	if spec.MaxReply == 0 {
		spec.MaxReply = 255
	}
	if spec.ReplyMask != nil && len(spec.ReplyMask) != len(spec.Reply) {
		return nil, errors.New("healthcheck: udp check: reply mask length differs from reply")
	}
	if len(spec.Reply) > 0 {
		spec.RequireReply = true
	}
	return &UDPChecker{spec: spec, key: fmt.Sprintf("udp%+v", spec)}, nil
}

// Key implements Checker.
func (c *UDPChecker) Key() string { return c.key }

func (c *UDPChecker) String() string { return "udp_check " + c.spec.Target.String() }

// Check sends the payload and judges what comes back.
func (c *UDPChecker) Check(ctx context.Context) Result {
	buf := make([]byte, c.spec.MaxReply+1)
	return udpExchange(ctx, c.spec.UDPConn, c.spec.Payload, buf, !c.spec.RequireReply, func(b []byte) (Result, bool) {
		return UDPReply(b, c.spec), true
	})
}

// UDPReply judges one udp_check reply (keepalived's rule: the length
// within min..max, then the first min(len, len(Reply)) octets equal to
// Reply outside the mask).
func UDPReply(b []byte, spec UDPSpec) Result {
	maxLen := spec.MaxReply
	if maxLen == 0 {
		maxLen = 255
	}
	if len(b) < spec.MinReply || len(b) > maxLen {
		return Result{Reason: ReasonReplyLength, Status: len(b), ExitCode: -1, Weight: -1,
			Err: fmt.Errorf("reply of %d octets, want %d..%d", len(b), spec.MinReply, maxLen)}
	}
	for i := 0; i < len(b) && i < len(spec.Reply); i++ {
		care := byte(0xff)
		if spec.ReplyMask != nil {
			care = ^spec.ReplyMask[i]
		}
		if (b[i]^spec.Reply[i])&care != 0 {
			return Result{Reason: ReasonReplyMismatch, ExitCode: -1, Weight: -1,
				Err: fmt.Errorf("reply octet %d is %#02x, want %#02x", i, b[i], spec.Reply[i])}
		}
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1}
}

// udpExchange sends payload on a connected UDP socket and reads replies
// into buf until judge says one is final, the timeout expires (up when
// silenceOK, else no_reply) or an ICMP error arrives (port_unreachable,
// unreachable).
func udpExchange(ctx context.Context, uc UDPConn, payload, buf []byte, silenceOK bool, judge func([]byte) (Result, bool)) Result {
	start := time.Now()
	var deadline time.Time
	if uc.Timeout > 0 {
		deadline = start.Add(uc.Timeout)
	}
	conn, err := dial(ctx, "udp", uc.Target, uc.Bind, uc.BindIf, uc.Fwmark, deadline)
	if err != nil {
		return failed(udpClassify(err), err, start)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if !deadline.IsZero() {
		conn.SetDeadline(deadline)
	}
	if _, err := conn.Write(payload); err != nil {
		return udpDone(ctx, failed(udpClassify(err), err, start))
	}
	for {
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
				if silenceOK {
					return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
				}
				return failed(ReasonNoReply, fmt.Errorf("no reply within %v", uc.Timeout), start)
			}
			return udpDone(ctx, failed(udpClassify(err), err, start))
		}
		if r, final := judge(buf[:n]); final {
			r.Duration = time.Since(start)
			return r
		}
	}
}

func udpDone(ctx context.Context, r Result) Result {
	if ctx.Err() != nil {
		r.Reason = ReasonCanceled
	}
	return r
}

// udpClassify maps a UDP socket error: ECONNREFUSED is an ICMP port
// unreachable.
func udpClassify(err error) Reason {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return ReasonPortUnreachable
	}
	return Classify(err)
}
