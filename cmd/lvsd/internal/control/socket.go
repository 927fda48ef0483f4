package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultSocket is where the daemon listens unless configured otherwise.
const DefaultSocket = "/run/lvsd/lvsd.sock"

// Commands understood by the server.
const (
	CmdStatus = "status"
	CmdReload = "reload"
	CmdStop   = "stop"
	// CmdUpgrade re-executes the daemon's binary in place (daemon/upgrade.go).
	CmdUpgrade = "upgrade"
)

// Handler is what the daemon provides to the control socket.
type Handler interface {
	Status(ctx context.Context) (*Status, error)
	// Reload loads the configuration file again and applies the difference;
	// an invalid file leaves the running configuration as it was and returns
	// the errors.
	Reload(ctx context.Context) error
	// Stop starts a graceful stop and returns without waiting for it.
	Stop(ctx context.Context) error
	// Upgrade starts the binary on disk in place of the running one and
	// returns once it runs (a message naming the new process), or why it
	// could not (the running daemon then runs on).
	Upgrade(ctx context.Context) (string, error)
}

// Request is one request line.
type Request struct {
	Command string `json:"command"`
}

// Response is one response line.
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Message is a successful command's result for the operator (upgrade).
	Message string  `json:"message,omitempty"`
	Status  *Status `json:"status,omitempty"`
}

// Server serves the control socket.
type Server struct {
	ln      net.Listener
	h       Handler
	log     *slog.Logger
	wg      sync.WaitGroup
	closeMu sync.Mutex // guards closed
	closed  bool
}

// RequestTimeout bounds one request, reload and upgrade included (the
// daemon's upgrade waits are sized to fit in it).
const RequestTimeout = 60 * time.Second

// Listen creates the socket at path (its directory 0700, the socket 0600, so
// only root can talk to the daemon), replacing a stale socket left by a
// crashed daemon, and serves h on it until Close.
func Listen(path string, h Handler, log *slog.Logger) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control: create socket directory: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control: %s: another lvsd is already listening", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control: remove stale socket: %w", err)
	}
	// The umask makes the socket 0600 from the first instant, not after a chmod.
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	return serve(ln, h, log), nil
}

// Serve serves h on ln, a socket inherited from the process this one
// replaced (a binary upgrade in place); Close removes its path.
func Serve(ln *net.UnixListener, h Handler, log *slog.Logger) *Server {
	ln.SetUnlinkOnClose(true)
	return serve(ln, h, log)
}

func serve(ln net.Listener, h Handler, log *slog.Logger) *Server {
	s := &Server{ln: ln, h: h, log: log}
	s.wg.Add(1)
	go s.accept()
	return s
}

// File returns a duplicate of the listening socket, for a successor
// process to inherit.
func (s *Server) File() (*os.File, error) {
	ul, ok := s.ln.(*net.UnixListener)
	if !ok {
		return nil, fmt.Errorf("control: socket is not a unix listener")
	}
	f, err := ul.File()
	if err != nil {
		return nil, fmt.Errorf("control: duplicate socket: %w", err)
	}
	return f, nil
}

// KeepSocket makes Close leave the socket's path in place: a successor
// process serves it now.
func (s *Server) KeepSocket() {
	if ul, ok := s.ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
}

// Addr is the socket path.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, waits for requests in flight and removes the socket.
func (s *Server) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("control: accept", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(RequestTimeout))
	var req Request
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err == nil || len(line) > 0 {
		err = json.Unmarshal(line, &req)
	}
	resp := Response{}
	if err != nil {
		resp.Error = fmt.Sprintf("bad request: %v", err)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), RequestTimeout)
		resp = s.do(ctx, req.Command)
		cancel()
	}
	s.log.Debug("control request", "command", req.Command, "ok", resp.OK, "error", resp.Error)
	b, _ := json.Marshal(resp)
	_, _ = c.Write(append(b, '\n'))
}

func (s *Server) do(ctx context.Context, cmd string) Response {
	var err error
	resp := Response{}
	switch cmd {
	case CmdStatus:
		resp.Status, err = s.h.Status(ctx)
	case CmdReload:
		err = s.h.Reload(ctx)
	case CmdStop:
		err = s.h.Stop(ctx)
	case CmdUpgrade:
		resp.Message, err = s.h.Upgrade(ctx)
	default:
		err = fmt.Errorf("unknown command %q (want status, reload, stop or upgrade)", cmd)
	}
	if err != nil {
		resp.Error = err.Error()
		resp.Status = nil
		return resp
	}
	resp.OK = true
	return resp
}

// Call sends one command to the daemon listening at path.
func Call(ctx context.Context, path, cmd string) (*Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: connect to %s (is lvsd running?): %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	b, _ := json.Marshal(Request{Command: cmd})
	if _, err := c.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("control: send %s: %w", cmd, err)
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("control: read reply to %s: %w", cmd, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("control: decode reply to %s: %w", cmd, err)
	}
	return &resp, nil
}
