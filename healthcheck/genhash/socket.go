package genhash

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Socket is a connected TCP socket opened by Connect. It is raw on
// purpose: a check's whole life is a handful of system calls, and Go's
// net.Conn adds epoll_ctl ADD and DEL, getpeername, getsockname and
// TCP_NODELAY to each (keepalived does socket, connect, poll, getsockopt,
// close). The socket joins Go's poller (os.NewFile) only when a call would
// block; on a local or quick network most checks never do, so the checking
// goroutine never parks.
//
// A Socket is used by one goroutine; it is not safe for concurrent use.
type Socket struct {
	fd       int
	f        *os.File // not nil once the socket waits in Go's poller
	deadline time.Time
	// ctx is Connect's: a Socket lives for one exchange, and its Read and
	// Write keep io.Reader's shape so that Fetch reads it like a net.Conn.
	ctx  context.Context
	stop func() bool // stops the ctx hook installed with f
}

// Connect opens a non-blocking TCP socket to server from bind (zero: any;
// a zero port binds the address only), with SO_MARK fwmark and
// SO_BINDTODEVICE bindIf when set, and waits for the connection until
// deadline (zero: none) or until ctx ends. An IPv6 link-local server
// without a zone gets bindIf as its zone. Errors keep the errno, and
// os.ErrDeadlineExceeded or ctx's error, reachable with errors.Is.
func Connect(ctx context.Context, server, bind netip.AddrPort, bindIf string, fwmark uint32, deadline time.Time) (*Socket, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dial tcp %s: %w", server, err)
	}
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return nil, fmt.Errorf("dial tcp %s: %w", server, os.ErrDeadlineExceeded)
	}
	if bindIf != "" && server.Addr().Is6() && server.Addr().IsLinkLocalUnicast() && server.Addr().Zone() == "" {
		server = netip.AddrPortFrom(server.Addr().WithZone(bindIf), server.Port())
	}
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	family := unix.AF_INET
	if server.Addr().Is6() {
		family = unix.AF_INET6
	}
	sa, err := sockaddr(server)
	if err != nil {
		return nil, fmt.Errorf("dial tcp %s: %w", server, err)
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dial tcp %s: %w", server, os.NewSyscallError("socket", err))
	}
	s := &Socket{fd: fd, deadline: deadline, ctx: ctx}
	if err := s.setup(bind, bindIf, fwmark); err != nil {
		s.Close()
		return nil, fmt.Errorf("dial tcp %s: %w", server, err)
	}
	err = unix.Connect(fd, sa)
	if err == unix.EINPROGRESS || err == unix.EINTR {
		err = s.waitConnect()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("dial tcp %s: %w", server, err)
	}
	return s, nil
}

// setup sets the socket options and the local address before connect.
func (s *Socket) setup(bind netip.AddrPort, bindIf string, fwmark uint32) error {
	if fwmark != 0 {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_MARK, int(fwmark)); err != nil {
			return fmt.Errorf("setsockopt SO_MARK %d: %w", fwmark, err)
		}
	}
	if bindIf != "" {
		if err := unix.BindToDevice(s.fd, bindIf); err != nil {
			return fmt.Errorf("setsockopt SO_BINDTODEVICE %s: %w", bindIf, err)
		}
	}
	if bind.IsValid() {
		bind = netip.AddrPortFrom(bind.Addr().Unmap(), bind.Port())
		sa, err := sockaddr(bind)
		if err != nil {
			return err
		}
		if err := unix.Bind(s.fd, sa); err != nil {
			return os.NewSyscallError("bind", err)
		}
	}
	return nil
}

// waitConnect waits for a connect in progress to finish: a ppoll that
// only looks first (a local peer has often answered before connect
// returned), then Go's poller.
func (s *Socket) waitConnect() error {
	ready, err := s.waitShort(unix.POLLOUT, shortWait)
	if err != nil {
		return err
	}
	if !ready {
		rc, err := s.poller().SyscallConn()
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		first := true
		if err := rc.Write(func(uintptr) bool {
			// The first call comes before any wait: ask for one.
			w := !first
			first = false
			return w
		}); err != nil {
			return s.waitErr("connect", err)
		}
	}
	soerr, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	if soerr != 0 {
		return os.NewSyscallError("connect", unix.Errno(soerr))
	}
	return nil
}

// shortWait bounds the wait in ppoll before a socket joins Go's poller.
// It is 0, a look: a blocking ppoll holds the thread's P until sysmon
// takes it (20 us to 10 ms), which in bench-director's VM made http_get
// slower (5.09 -> 6.34 ms of CPU per check with a 1 ms wait) though it
// looked cheaper on the host.
var shortWait time.Duration

// waitShort waits at most d (and not past the deadline) for events on the
// socket in ppoll, on this thread. It returns false, nil when the socket
// is not ready: the caller then waits in the poller, which reports the
// deadline or the context's end.
func (s *Socket) waitShort(events int16, d time.Duration) (bool, error) {
	if s.ctx.Err() != nil {
		return false, nil
	}
	if !s.deadline.IsZero() {
		d = min(d, time.Until(s.deadline))
		if d < 0 {
			d = 0
		}
	}
	pfd := [1]unix.PollFd{{Fd: int32(s.fd), Events: events}}
	ts := unix.NsecToTimespec(d.Nanoseconds())
	n, err := unix.Ppoll(pfd[:], &ts, nil)
	if err != nil && err != unix.EINTR {
		return false, os.NewSyscallError("ppoll", err)
	}
	return n > 0, nil
}

// poller hands the socket to Go's poller, with the deadline and with the
// context ending any wait.
func (s *Socket) poller() *os.File {
	if s.f != nil {
		return s.f
	}
	// A non-blocking descriptor: os.NewFile registers it with the poller.
	s.f = os.NewFile(uintptr(s.fd), "tcp")
	if !s.deadline.IsZero() {
		s.f.SetDeadline(s.deadline)
	}
	if s.ctx.Done() != nil {
		f := s.f
		s.stop = context.AfterFunc(s.ctx, func() { f.SetDeadline(time.Unix(1, 0)) })
	}
	return s.f
}

// waitErr names the operation of an error from the poller, the context's
// error first when ctx ended the wait.
func (s *Socket) waitErr(op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := s.ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w (%w)", op, cerr, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return os.NewSyscallError(op, errno)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Write writes b whole, waiting in the poller only if the socket buffer is
// full.
func (s *Socket) Write(b []byte) (int, error) {
	done := 0
	if s.f == nil {
		if err := s.expired("write"); err != nil {
			return 0, err
		}
		for done < len(b) {
			n, err := unix.Write(s.fd, b[done:])
			if n > 0 {
				done += n
			}
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				return done, os.NewSyscallError("write", err)
			}
		}
		if done == len(b) {
			return done, nil
		}
	}
	n, err := s.poller().Write(b[done:])
	done += n
	if err != nil {
		return done, s.waitErr("write", err)
	}
	return done, nil
}

// Read reads into b, waiting in the poller when nothing has arrived yet.
// It returns io.EOF at the end of the stream.
func (s *Socket) Read(b []byte) (int, error) {
	if s.f == nil {
		// Reads that never wait still end at the deadline or with ctx:
		// a server that streams without pause is not checked forever.
		if err := s.expired("read"); err != nil {
			return 0, err
		}
		for {
			n, err := unix.Read(s.fd, b)
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				return 0, os.NewSyscallError("read", err)
			}
			if n == 0 && len(b) > 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	n, err := s.poller().Read(b)
	if err != nil && err != io.EOF {
		return n, s.waitErr("read", err)
	}
	return n, err
}

// expired returns the error of a Read or Write that starts after the
// deadline or after ctx ended (nil before), as the poller would report it.
func (s *Socket) expired(op string) error {
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
		return fmt.Errorf("%s: %w", op, os.ErrDeadlineExceeded)
	}
	return nil
}

// ResetOnClose makes Close send a RST (SO_LINGER 0): no TIME_WAIT socket.
func (s *Socket) ResetOnClose() {
	unix.SetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
}

// Close closes the socket (a plain close, as keepalived's checks).
func (s *Socket) Close() error {
	if s.stop != nil {
		s.stop()
	}
	if s.f != nil {
		return s.f.Close()
	}
	return unix.Close(s.fd)
}

// sockaddr converts an address (with its zone for IPv6) for the kernel.
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, error) {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if i, err := strconv.Atoi(z); err == nil {
			sa.ZoneId = uint32(i)
		} else {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return nil, fmt.Errorf("zone %s: %w", z, err)
			}
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa, nil
}
