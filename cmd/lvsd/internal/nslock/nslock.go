package nslock

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrHeld is returned (wrapped) by Acquire when another process holds the
// lock in this network namespace.
var ErrHeld = errors.New("held by another process in this network namespace")

// Lock is a held lock; Close releases it.
type Lock struct {
	l *net.UnixListener
}

// Acquire takes the lock called name in the calling thread's network
// namespace. When another process holds it, the error wraps ErrHeld and
// names that process's pid when it can be learned.
func Acquire(name string) (*Lock, error) {
	addr := &net.UnixAddr{Name: "@" + name, Net: "unix"}
	l, err := net.ListenUnix("unix", addr)
	if err == nil {
		return &Lock{l: l}, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if pid := holder(addr); pid > 0 {
		return nil, fmt.Errorf("lock %s: %w (pid %d)", name, ErrHeld, pid)
	}
	return nil, fmt.Errorf("lock %s: %w", name, ErrHeld)
}

// holder returns the pid of the process listening on addr, 0 if unknown.
func holder(addr *net.UnixAddr) int {
	c, err := net.DialUnix("unix", nil, addr)
	if err != nil {
		return 0
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	var pid int
	_ = rc.Control(func(fd uintptr) {
		if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
			pid = int(cred.Pid)
		}
	})
	return pid
}

// File returns a duplicate of the lock's socket: a successor process that
// inherits it holds the lock (FromFile) once this one exits.
func (l *Lock) File() (*os.File, error) {
	f, err := l.l.File()
	if err != nil {
		return nil, fmt.Errorf("lock: duplicate: %w", err)
	}
	return f, nil
}

// FromFile is the lock held through a socket inherited from the process
// this one replaced (File). The pid that Acquire's error names stays that
// process's (the socket's credentials are its listener's).
func FromFile(f *os.File) (*Lock, error) {
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("lock: inherited: %w", err)
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("lock: inherited socket is not a unix listener")
	}
	return &Lock{l: ul}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	return l.l.Close()
}
