package journal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// EnvStream is the variable systemd sets to "DEV:INODE" of the stream it
// connected to stdout/stderr (systemd.exec(5)).
const EnvStream = "JOURNAL_STREAM"

// IsStream reports whether f is the journal stream that env (the value of
// JOURNAL_STREAM) names: a child whose stderr was redirected inherits the
// variable but not the stream, and must not get journal formatting.
func IsStream(env string, f *os.File) bool {
	if env == "" || f == nil {
		return false
	}
	dev, ino, ok := parseStream(env)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == dev && uint64(st.Ino) == ino
}

// parseStream splits "DEV:INODE" (both decimal).
func parseStream(env string) (dev, ino uint64, ok bool) {
	d, i, found := strings.Cut(env, ":")
	if !found {
		return 0, 0, false
	}
	dev, err1 := strconv.ParseUint(d, 10, 64)
	ino, err2 := strconv.ParseUint(i, 10, 64)
	return dev, ino, err1 == nil && err2 == nil
}

// Priority maps a slog level to a syslog priority (sd-daemon(3)
// SD_ERR..SD_DEBUG): error and above 3, warn 4, info 6, below info 7.
func Priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	default:
		return 7
	}
}

// DropTime is a slog.HandlerOptions.ReplaceAttr that removes the record's
// time; Handler's formats use it.
func DropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// shared is the state every Handler derived from one NewHandler shares: the
// formatter writes into buf under mu, then the line goes out whole.
type shared struct {
	mu  sync.Mutex
	buf bytes.Buffer
	out io.Writer
}

// Handler prefixes each record that its inner handler formats with the
// record's priority.
type Handler struct {
	s     *shared
	inner slog.Handler
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a handler that writes to out the records that
// newInner formats, each line prefixed with "<N>". newInner is given the
// writer to format into and should drop the time (opts.ReplaceAttr =
// DropTime): slog.NewTextHandler or slog.NewJSONHandler.
func NewHandler(out io.Writer, newInner func(io.Writer) slog.Handler) *Handler {
	s := &shared{out: out}
	return &Handler{s: s, inner: newInner(&s.buf)}
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.s.buf.Reset()
	fmt.Fprintf(&h.s.buf, "<%d>", Priority(r.Level))
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	_, err := h.s.out.Write(h.s.buf.Bytes())
	return err
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{s: h.s, inner: h.inner.WithAttrs(as)}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{s: h.s, inner: h.inner.WithGroup(name)}
}
