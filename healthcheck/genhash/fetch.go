package genhash

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Target is one GET exchange.
type Target struct {
	Server      netip.AddrPort // where to connect
	Path        string         // request path ("/", "/health?x=1")
	VirtualHost string         // Host header (and SNI with TLS.ServerName); empty: Server
	Protocol    Protocol
	// TLS, when not nil, wraps the connection in TLS with this config
	// (cloned per call). Callers set InsecureSkipVerify and ServerName.
	TLS *tls.Config
	// Bind is the local address (bindto, bind_port); zero for none. A zero
	// port with a valid address binds the address only.
	Bind netip.AddrPort
	// Fwmark sets SO_MARK on the socket when not zero.
	Fwmark uint32
	// BindIf binds the socket to an interface (SO_BINDTODEVICE) when not
	// empty; an IPv6 link-local Server without a zone gets it as zone.
	BindIf string
	// Timeout is a deadline for the whole exchange, connect included
	// (0: none beyond ctx).
	Timeout time.Duration
	// ResetOnClose closes the connection with a RST (SO_LINGER 0) once the
	// whole response has been read, as HAProxy's checks do: no TIME_WAIT
	// socket per check on either side, and less kernel work. genhash
	// leaves it off (an ordinary close, as keepalived).
	ResetOnClose bool
	// TLSCloseNotify sends a TLS close_notify alert once the response has
	// been read (keepalived's tls_compliant).
	TLSCloseNotify bool
}

// Response is what Fetch observed.
type Response struct {
	Status        int   // status code, 0 if the status line did not parse
	ContentLength int64 // -1 when absent
	BodyLen       int64 // body bytes hashed
	Digest        [md5.Size]byte
}

// Op names the phase of an exchange in which an error happened.
type Op uint8

// The phases of an exchange.
const (
	OpConnect Op = iota + 1
	OpTLS
	OpWrite
	OpRead
)

func (o Op) String() string {
	switch o {
	case OpConnect:
		return "connect"
	case OpTLS:
		return "tls handshake"
	case OpWrite:
		return "write request"
	case OpRead:
		return "read response"
	}
	return "unknown"
}

// Error is returned by Fetch: the phase and the cause. The cause stays
// reachable with errors.Is/As (syscall errnos, os.ErrDeadlineExceeded,
// ErrNoData, tls errors).
type Error struct {
	Op  Op
	Err error
}

func (e *Error) Error() string { return "genhash: " + e.Op.String() + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoData means the server closed the connection before a complete
// response header arrived.
var ErrNoData = errors.New("no data received from remote webserver")

// OnRead, when given to Fetch, is called after each read with the parser
// state before the read and what the read contributed (for genhash -v).
type OnRead func(headerWasDone bool, c Chunk)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}
var parserPool = sync.Pool{New: func() any { return NewParser() }}

// Fetch performs the exchange: connect, optional TLS handshake, request,
// read until EOF or until Content-Length body bytes arrived. On success the
// response carries the digest; on failure the *Error says where it failed.
func Fetch(ctx context.Context, t *Target, onRead OnRead) (Response, error) {
	var deadline time.Time
	if t.Timeout > 0 {
		deadline = time.Now().Add(t.Timeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	var (
		conn io.ReadWriter
		raw  net.Conn
		tc   *tls.Conn
		sock *Socket
	)
	if t.TLS == nil {
		// Plain HTTP on a raw socket: no poller unless a call would block.
		s, err := Connect(ctx, t.Server, t.Bind, t.BindIf, t.Fwmark, deadline)
		if err != nil {
			return Response{}, &Error{Op: OpConnect, Err: err}
		}
		defer s.Close()
		sock, conn = s, s
	} else {
		c, err := DialIf(ctx, t.Server, t.Bind, t.BindIf, t.Fwmark, deadline)
		if err != nil {
			return Response{}, &Error{Op: OpConnect, Err: err}
		}
		raw = c
		defer raw.Close()
		if !deadline.IsZero() {
			raw.SetDeadline(deadline)
		}
		// Cancelling ctx interrupts blocked reads and writes.
		stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		tc = tls.Client(raw, t.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return Response{}, &Error{Op: OpTLS, Err: err}
		}
		conn = tc
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	req := AppendRequest(buf[:0], t.Path, t.Server, t.VirtualHost, t.Protocol)
	if _, err := conn.Write(req); err != nil {
		return Response{}, &Error{Op: OpWrite, Err: ctxErr(ctx, err)}
	}

	p := parserPool.Get().(*Parser)
	defer parserPool.Put(p)
	p.Reset()
	// Reads of at most 4095 bytes, as keepalived (its buffer keeps a byte
	// for a NUL): genhash -v then dumps the same chunks.
	rbuf := buf[:4095]
	for !p.Done() {
		n, rerr := conn.Read(rbuf)
		if n > 0 {
			was := p.HeaderComplete()
			c, perr := p.Feed(rbuf[:n])
			if perr != nil {
				return Response{}, &Error{Op: OpRead, Err: perr}
			}
			if onRead != nil {
				onRead(was, c)
			}
		}
		if rerr != nil {
			// The end of the stream ends the body. A TLS peer that closes
			// without close_notify (io.ErrUnexpectedEOF) is accepted as
			// keepalived accepts it.
			if errors.Is(rerr, io.EOF) || (t.TLS != nil && errors.Is(rerr, io.ErrUnexpectedEOF)) {
				break
			}
			return Response{}, &Error{Op: OpRead, Err: ctxErr(ctx, rerr)}
		}
	}
	if !p.HeaderComplete() {
		return Response{}, &Error{Op: OpRead, Err: ErrNoData}
	}
	if tc != nil && t.TLSCloseNotify {
		tc.CloseWrite() // the alert; a failure to send it changes nothing
	}
	if t.ResetOnClose {
		if sock != nil {
			sock.ResetOnClose()
		} else if tcp, ok := raw.(*net.TCPConn); ok {
			tcp.SetLinger(0)
		}
	}
	return Response{Status: p.Status(), ContentLength: p.ContentLength(), BodyLen: p.BodyLen(), Digest: p.Sum()}, nil
}

// Dial opens a TCP connection to server from bind (zero: any), with SO_MARK
// fwmark when not zero, giving up at deadline (zero: none) or when ctx ends.
// ssl_get (Fetch with TLS) and smtp_check use it; tcp_check and plain
// HTTP use Connect.
func Dial(ctx context.Context, server, bind netip.AddrPort, fwmark uint32, deadline time.Time) (net.Conn, error) {
	return DialIf(ctx, server, bind, "", fwmark, deadline)
}

// DialIf is Dial with bind_if: the socket bound to interface bindIf
// (SO_BINDTODEVICE) when not empty, which is also the zone of an IPv6
// link-local server given without one.
func DialIf(ctx context.Context, server, bind netip.AddrPort, bindIf string, fwmark uint32, deadline time.Time) (net.Conn, error) {
	// No TCP keepalive: a check lives for one exchange (saves setsockopt calls).
	d := net.Dialer{Deadline: deadline, KeepAlive: -1}
	if bindIf != "" && server.Addr().Is6() && server.Addr().IsLinkLocalUnicast() && server.Addr().Zone() == "" {
		server = netip.AddrPortFrom(server.Addr().WithZone(bindIf), server.Port())
	}
	if fwmark != 0 || bindIf != "" {
		mark := int(fwmark)
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				if mark != 0 {
					if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, mark); err != nil {
						serr = fmt.Errorf("setsockopt SO_MARK %d: %w", mark, err)
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
	// DialTCP takes the addresses as values: no resolver, no parsing.
	c, err := d.DialTCP(ctx, "tcp", bind, server)
	if err != nil {
		return nil, err // not a nil *TCPConn in a non-nil net.Conn
	}
	return c, nil
}

// ctxErr prefers the context's error when the context ended the exchange.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}
