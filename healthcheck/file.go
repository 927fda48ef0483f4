package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lvsd/lvsd/config/trackfile"
)

// FileCheckInterval is how often a file_check reads its file.
const FileCheckInterval = time.Second

// FileSpec is a file_check: a track_file's number drives the weight.
type FileSpec struct {
	Path       string
	Weight     int  // 0: a non-zero number is a fault; else weight += number x Weight
	Reverse    bool // the number counts negatively (with Weight 0: zero is a fault)
	Configured int  // the real server's configured weight
}

// FileChecker is a file_check checker. It keeps the last number read: a
// number out of range keeps it, as keepalived.
type FileChecker struct {
	spec FileSpec
	key  string
	last atomic.Int64
}

var _ Checker = (*FileChecker)(nil)

// NewFileChecker returns a file_check checker.
func NewFileChecker(spec FileSpec) (*FileChecker, error) {
	if spec.Path == "" {
		return nil, errors.New("healthcheck: file check: no file")
	}
	return &FileChecker{spec: spec, key: fmt.Sprintf("file%+v", spec)}, nil
}

// Key implements Checker.
func (c *FileChecker) Key() string { return c.key }

func (c *FileChecker) String() string { return "file_check " + c.spec.Path }

// Check reads the file and maps its number to a weight or a fault.
func (c *FileChecker) Check(context.Context) Result {
	start := time.Now()
	v, err := trackfile.Read(c.spec.Path)
	switch {
	case err == nil, errors.Is(err, trackfile.ErrMissing):
		c.last.Store(v)
	default:
		v = c.last.Load() // unreadable or out of range: keep the last number
	}
	r := FileOutcome(v, c.spec)
	r.Duration = time.Since(start)
	if err != nil && r.Err == nil {
		r.Err = err
	}
	return r
}

// FileOutcome applies keepalived's track_file rule to a number read.
func FileOutcome(v int64, spec FileSpec) Result {
	delta, fault := trackfile.Weight(v, spec.Weight, spec.Reverse)
	if fault {
		return Result{Reason: ReasonFileFault, ExitCode: -1, Weight: -1, Err: fmt.Errorf("%s holds %d", spec.Path, v)}
	}
	w := int64(spec.Configured) + delta
	w = max(0, min(w, 65535))
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: int(w)}
}
