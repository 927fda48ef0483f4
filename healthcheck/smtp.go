package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// SMTPSpec is an smtp_check: connect, read the 220 greeting, send
// "HELO name", read a 250 reply, send QUIT and read its reply (any).
type SMTPSpec struct {
	Target  netip.AddrPort
	Bind    netip.AddrPort
	BindIf  string // bind_if: SO_BINDTODEVICE ("" = none)
	Fwmark  uint32
	Timeout time.Duration // connect_timeout: of the connect and of each read and write
	Helo    string        // helo_name
}

// SMTPChecker is an smtp_check checker.
type SMTPChecker struct {
	spec SMTPSpec
	key  string
	helo []byte
}

var _ Checker = (*SMTPChecker)(nil)

// NewSMTPChecker returns an smtp_check checker.
func NewSMTPChecker(spec SMTPSpec) (*SMTPChecker, error) {
	if !spec.Target.IsValid() {
		return nil, errors.New("healthcheck: smtp check: invalid target")
	}
	if spec.Helo == "" {
		return nil, errors.New("healthcheck: smtp check: empty helo_name")
	}
	return &SMTPChecker{spec: spec, key: fmt.Sprintf("smtp%+v", spec), helo: []byte("HELO " + spec.Helo + "\r\n")}, nil
}

// Key implements Checker.
func (c *SMTPChecker) Key() string { return c.key }

func (c *SMTPChecker) String() string { return "smtp_check " + c.spec.Target.String() }

// Check runs one SMTP exchange.
func (c *SMTPChecker) Check(ctx context.Context) Result {
	start := time.Now()
	var deadline time.Time
	if c.spec.Timeout > 0 {
		deadline = start.Add(c.spec.Timeout)
	}
	conn, err := dial(ctx, "tcp", c.spec.Target, c.spec.Bind, c.spec.BindIf, c.spec.Fwmark, deadline)
	if err != nil {
		return failed(Classify(err), err, start)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	r := smtpExchange(conn, c.helo, c.spec.Timeout)
	if ctx.Err() != nil && r.Reason != ReasonOK {
		r.Reason = ReasonCanceled
	}
	r.Duration = time.Since(start)
	return r
}

// smtpMaxLine bounds one reply line (keepalived reads up to 512 octets).
const smtpMaxLine = 512

// smtpExchange talks SMTP on conn; every read and write has its own
// timeout (keepalived: connect_timeout per step).
func smtpExchange(conn net.Conn, helo []byte, timeout time.Duration) Result {
	rd := smtpReader{conn: conn, timeout: timeout}
	code, err := rd.reply()
	if err != nil {
		return smtpIOError(err, ReasonRead)
	}
	if code != 220 {
		return Result{Reason: ReasonSMTPBanner, Status: code, ExitCode: -1, Weight: -1, Err: errors.New("greeting not 220")}
	}
	if err := smtpWrite(conn, helo, timeout); err != nil {
		return smtpIOError(err, ReasonWrite)
	}
	if code, err = rd.reply(); err != nil {
		return smtpIOError(err, ReasonRead)
	}
	if code != 250 {
		return Result{Reason: ReasonSMTPHelo, Status: code, ExitCode: -1, Weight: -1, Err: errors.New("HELO reply not 250")}
	}
	if err := smtpWrite(conn, []byte("QUIT\r\n"), timeout); err != nil {
		return smtpIOError(err, ReasonWrite)
	}
	// keepalived waits for one more line (the 221) and ignores its code.
	if _, err = rd.reply(); err != nil {
		return smtpIOError(err, ReasonRead)
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1}
}

func smtpIOError(err error, other Reason) Result {
	reason := Classify(err)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason = ReasonNoData
	case reason == ReasonConnect:
		reason = other
	}
	return Result{Reason: reason, Err: err, ExitCode: -1, Weight: -1}
}

func smtpWrite(conn net.Conn, b []byte, timeout time.Duration) error {
	if timeout > 0 {
		conn.SetWriteDeadline(time.Now().Add(timeout))
	}
	_, err := conn.Write(b)
	return err
}

// smtpReader reads SMTP replies: lines ending in LF; "ddd-" lines continue
// a reply, the line without the dash ends it. (keepalived looks only at the
// first line it reads; lvsd also accepts multi-line greetings.)
type smtpReader struct {
	conn    net.Conn
	timeout time.Duration
	buf     [smtpMaxLine]byte
	n       int // octets in buf
}

// reply returns the code of the next reply: its last line's first three
// digits, -1 when they are not three digits.
func (r *smtpReader) reply() (int, error) {
	for {
		line, err := r.line()
		if err != nil {
			return 0, err
		}
		if len(line) >= 4 && line[3] == '-' && smtpCode(line) >= 0 {
			continue
		}
		return smtpCode(line), nil
	}
}

// smtpCode is the reply code of a line, -1 if it does not start with three
// digits.
func smtpCode(line []byte) int {
	if len(line) < 3 {
		return -1
	}
	code := 0
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return -1
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// line returns the next line (without its LF). A line longer than the
// buffer is cut: its first octets are returned, the rest skipped.
func (r *smtpReader) line() ([]byte, error) {
	var out []byte
	cut := false
	for {
		for i := 0; i < r.n; i++ {
			if r.buf[i] == '\n' {
				if !cut {
					out = append(out[:0], r.buf[:i]...)
				}
				r.n = copy(r.buf[:], r.buf[i+1:r.n])
				return out, nil
			}
		}
		if r.n == len(r.buf) {
			if !cut {
				out = append(out[:0], r.buf[:]...)
				cut = true
			}
			r.n = 0
		}
		if r.timeout > 0 {
			r.conn.SetReadDeadline(time.Now().Add(r.timeout))
		}
		m, err := r.conn.Read(r.buf[r.n:])
		r.n += m
		if err != nil && m == 0 {
			return nil, err
		}
	}
}
