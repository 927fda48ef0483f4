package track

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/lvsd/lvsd/config/trackfile"
	"golang.org/x/sys/unix"
)

// FileConfig is one track_file.
type FileConfig struct {
	Name string
	Path string
	// InitFile creates the file with InitValue when it does not exist
	// (keepalived's `init_file [VALUE] [overwrite]`); InitOverwrite
	// writes InitValue even when it does.
	InitFile      bool
	InitValue     int64
	InitOverwrite bool
}

// ParseFileValue reads a tracked file's content as keepalived does; it is
// trackfile.Parse, shared with the checkers' file_check.
func ParseFileValue(b []byte) (int64, error) { return trackfile.Parse(b) }

// FileTracker watches a track_file with inotify on its directory, so a
// write (close after writing), a rename into place or a removal applies
// within milliseconds. It reports the file's number in Update.Value; weight
// and reverse are the instance's (see Effective). A missing or unreadable
// file reads as 0, as in keepalived.
type FileTracker struct {
	cfg      FileConfig
	log      *slog.Logger
	Counters Counters
}

// NewFile returns the tracker for cfg; a nil logger means slog.Default.
func NewFile(cfg FileConfig, log *slog.Logger) (*FileTracker, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("track: track_file %s: no file", cfg.Name)
	}
	return &FileTracker{cfg: cfg, log: orDefault(log).With("track_file", cfg.Name, "file", cfg.Path)}, nil
}

var _ Tracker = (*FileTracker)(nil)

// initFile implements init_file.
func (t *FileTracker) initFile() error {
	if !t.cfg.InitFile {
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if t.cfg.InitOverwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(t.cfg.Path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("track: init_file %s: %w", t.cfg.Path, err)
	}
	_, err = fmt.Fprintf(f, "%d\n", t.cfg.InitValue)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("track: init_file %s: %w", t.cfg.Path, err)
	}
	return nil
}

// read returns the file's value, or the reason it reads as 0 / keeps prev.
func (t *FileTracker) read(prev int64) (int64, Reason, string) {
	b, err := os.ReadFile(t.cfg.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, ReasonFileMissing, "file does not exist"
	case err != nil:
		return 0, ReasonFileRead, err.Error()
	}
	v, err := ParseFileValue(b)
	if err != nil {
		return prev, ReasonFileInvalid, err.Error()
	}
	return v, ReasonNone, ""
}

// Run implements Tracker.
func (t *FileTracker) Run(ctx context.Context, emit Emit) error {
	if err := t.initFile(); err != nil {
		return err
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("track: inotify_init1: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	dir, base := filepath.Split(filepath.Clean(t.cfg.Path))
	if dir == "" {
		dir = "."
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO); err != nil {
		return fmt.Errorf("track: track_file %s: watch directory %s: %w", t.cfg.Name, dir, err)
	}
	var lim limiter
	value, reason, detail := t.read(0)
	cur := t.update(value, reason, detail, time.Now(), &lim)
	emit(cur)

	events := make(chan struct{}, 1)
	readErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				readErr <- err
				return
			}
			hit := false
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if i := indexByte(name, 0); i >= 0 {
					name = name[:i]
				}
				if string(name) == base || ev.Mask&unix.IN_Q_OVERFLOW != 0 {
					hit = true
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
			if hit {
				select {
				case events <- struct{}{}:
				default:
				}
			}
		}
	}()
	defer func() { f.Close(); <-readErr }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			readErr <- err // for the deferred receive
			return fmt.Errorf("track: track_file %s: read inotify: %w", t.cfg.Name, err)
		case <-events:
		}
		value, reason, detail := t.read(cur.Value)
		u := t.update(value, reason, detail, time.Now(), &lim)
		if u.Value != cur.Value || u.Status != cur.Status {
			t.log.Info("track_file value changed", "from", cur.Value, "to", u.Value)
			emit(u)
			cur = u
		}
	}
}

func (t *FileTracker) update(v int64, r Reason, detail string, now time.Time, lim *limiter) Update {
	u := Update{Name: t.cfg.Name, Kind: KindFile, Status: StatusOK, Value: v, Time: now}
	if r != ReasonNone {
		t.Counters.Add(r)
		lim.log(t.log, now, r, "track_file unreadable", "detail", detail, "value", v)
		u.Reason, u.Detail = r, detail
	}
	return u
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
