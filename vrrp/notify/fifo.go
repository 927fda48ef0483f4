package notify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrFIFOFull means the FIFO's pipe buffer is full: nobody reads it, or too
// slowly. The line is dropped; lvsd never waits for a reader.
var ErrFIFOFull = errors.New("notify fifo full")

// FIFO is a notify_fifo opened for non-blocking writes. As keepalived, lvsd
// opens it read-write, so writes never fail for want of a reader: up to a
// pipe buffer (64 KiB on Linux) of lines waits for the reader, and beyond
// that lines are dropped. Lines are shorter than PIPE_BUF, so each is
// written whole or not at all.
type FIFO struct {
	path string
	mu   sync.Mutex // guards f, serialises writes so lines stay in order
	f    *os.File
}

// OpenFIFO opens path, creating the FIFO (mode 0600) if it does not exist.
// An existing path that is not a FIFO is an error.
func OpenFIFO(path string) (*FIFO, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := unix.Mkfifo(path, 0o600); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("notify: create fifo %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("notify: fifo %s: %w", path, err)
	case st.Mode()&fs.ModeNamedPipe == 0:
		return nil, fmt.Errorf("notify: %s exists and is not a fifo: %w", path, syscall.EEXIST)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("notify: open fifo %s: %w", path, err)
	}
	return &FIFO{path: path, f: os.NewFile(uintptr(fd), path)}, nil
}

// Write writes one line without blocking.
func (f *FIFO) Write(line string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return fmt.Errorf("notify: fifo %s: %w", f.path, os.ErrClosed)
	}
	rc, err := f.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("notify: fifo %s: %w", f.path, err)
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		_, werr = unix.Write(int(fd), []byte(line))
		return true // never wait for room
	})
	if err == nil {
		err = werr
	}
	if errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("notify: fifo %s: %w", f.path, ErrFIFOFull)
	}
	if err != nil {
		return fmt.Errorf("notify: write fifo %s: %w", f.path, err)
	}
	return nil
}

// Close closes the FIFO (the file stays).
func (f *FIFO) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}
