package nslock

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrHeld is returned (wrapped) by Acquire when another process holds the
// lock in this network namespace.
var ErrHeld = errors.New("held by another process in this network namespace")

// Lock is a held lock; Close releases it. While held, it answers every
// connection with its holder's pid (serve), so that a second process
// learns the pid of the process holding it now, also after an upgrade
// handed the socket to another process (the socket's SO_PEERCRED names its
// creator).
type Lock struct {
	l    *net.UnixListener
	pid  int
	done chan struct{}
}

func newLock(l *net.UnixListener, pid int) *Lock {
	lk := &Lock{l: l, pid: pid, done: make(chan struct{})}
	go lk.serve()
	return lk
}

// serve writes the holder's pid to every connection until Close.
func (l *Lock) serve() {
	defer close(l.done)
	msg := []byte(strconv.Itoa(l.pid) + "\n")
	for {
		c, err := l.l.AcceptUnix()
		if err != nil {
			return
		}
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(msg)
		c.Close()
	}
}

// Acquire takes the lock called name in the calling thread's network
// namespace. When another process holds it, the error wraps ErrHeld and
// names that process's pid when it can be learned.
func Acquire(name string) (*Lock, error) {
	addr := &net.UnixAddr{Name: "@" + name, Net: "unix"}
	l, err := net.ListenUnix("unix", addr)
	if err == nil {
		return newLock(l, os.Getpid()), nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if pid := holder(addr); pid > 0 {
		return nil, fmt.Errorf("lock %s: %w (pid %d)", name, ErrHeld, pid)
	}
	return nil, fmt.Errorf("lock %s: %w", name, ErrHeld)
}

// holder returns the pid of the process holding the lock at addr: the pid
// it answers (serve), else the socket's creator (SO_PEERCRED, a holder
// that does not answer), 0 if unknown.
func holder(addr *net.UnixAddr) int {
	c, err := net.DialUnix("unix", nil, addr)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 0 {
			return pid
		}
	}
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
// this one replaced (File); Acquire's error names this process from then
// on.
func FromFile(f *os.File) (*Lock, error) {
	return fromFile(f, os.Getpid())
}

func fromFile(f *os.File, pid int) (*Lock, error) {
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("lock: inherited: %w", err)
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("lock: inherited socket is not a unix listener")
	}
	return newLock(ul, pid), nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	err := l.l.Close()
	<-l.done
	return err
}
