package smtpalert

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"time"
)

// Reason is why a message was not delivered.
type Reason string

// The reasons a message is dropped, counted in Stats.Failed.
const (
	ReasonQueueFull Reason = "queue_full" // the queue was full at Enqueue
	ReasonConnect   Reason = "connect"    // the server could not be reached
	ReasonTimeout   Reason = "timeout"    // connect or a reply took longer than the timeout
	ReasonRejected  Reason = "rejected"   // the server answered a command with an unexpected code
	ReasonIO        Reason = "io"         // the connection broke (closed, reset, bad reply)
	ReasonShutdown  Reason = "shutdown"   // still queued when lvsd stopped
)

// Reasons lists every Reason, for metrics that export zeros too.
var Reasons = []Reason{ReasonQueueFull, ReasonConnect, ReasonTimeout, ReasonRejected, ReasonIO, ReasonShutdown}

// sendError is a failed delivery with its reason.
type sendError struct {
	reason Reason
	err    error
}

func (e *sendError) Error() string { return fmt.Sprintf("smtp: %s: %v", e.reason, e.err) }
func (e *sendError) Unwrap() error { return e.err }

// reasonOf classifies err.
func reasonOf(err error) Reason {
	var se *sendError
	if errors.As(err, &se) {
		return se.reason
	}
	return ReasonIO
}

func ioErr(stage string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &sendError{ReasonTimeout, fmt.Errorf("%s: %w", stage, err)}
	}
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return &sendError{ReasonRejected, fmt.Errorf("%s: %w", stage, err)}
	}
	return &sendError{ReasonIO, fmt.Errorf("%s: %w", stage, err)}
}

// deliver sends m over one SMTP session with keepalived's dialogue:
// greeting 220, HELO 250, MAIL FROM 250, RCPT TO 250 (251) for each
// recipient, DATA 354, the message 250, QUIT 221. Every step is bounded
// by cfg.Timeout.
func deliver(ctx context.Context, dial DialFunc, cfg Config, m Message) error {
	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	nc, err := dial(dctx, "tcp", cfg.Server)
	if err != nil {
		if dctx.Err() != nil && ctx.Err() == nil {
			return &sendError{ReasonTimeout, fmt.Errorf("connect %s: %w", cfg.Server, err)}
		}
		return &sendError{ReasonConnect, fmt.Errorf("connect %s: %w", cfg.Server, err)}
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	c := textproto.NewConn(nc)
	step := func(stage string, code int, format string, args ...any) error {
		if err := nc.SetDeadline(time.Now().Add(cfg.Timeout)); err != nil {
			return ioErr(stage, err)
		}
		if format != "" {
			if err := c.PrintfLine(format, args...); err != nil {
				return ioErr(stage, err)
			}
		}
		if _, _, err := c.ReadResponse(code); err != nil {
			return ioErr(stage, err)
		}
		return nil
	}
	if err := step("greeting", 220, ""); err != nil {
		return err
	}
	if err := step("HELO", 250, "HELO %s", cfg.Helo); err != nil {
		return err
	}
	if err := step("MAIL", 250, "MAIL FROM:<%s>", cfg.From); err != nil {
		return err
	}
	for _, to := range cfg.To {
		// ReadResponse(25) accepts 250 and 251 (user not local, will forward).
		if err := step("RCPT "+to, 25, "RCPT TO:<%s>", to); err != nil {
			return err
		}
	}
	if err := step("DATA", 354, "DATA"); err != nil {
		return err
	}
	if err := nc.SetDeadline(time.Now().Add(cfg.Timeout)); err != nil {
		return ioErr("message", err)
	}
	if _, err := c.W.WriteString(data(m, cfg.From, cfg.To) + ".\r\n"); err != nil {
		return ioErr("message", err)
	}
	if err := c.W.Flush(); err != nil {
		return ioErr("message", err)
	}
	if err := step("message", 250, ""); err != nil {
		return err
	}
	// The message is accepted: a failed QUIT does not matter.
	_ = step("QUIT", 221, "QUIT")
	return nil
}
