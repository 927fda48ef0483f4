//go:build !linux

package ipvs

// New fails: IPVS exists only on Linux.
func New() (Client, error) { return nil, ErrNoIPVS }

// Options are the IPVS client's socket options (Linux only).
type Options struct {
	RcvBuf      int
	RcvBufForce bool
}

// NewWithOptions fails: IPVS exists only on Linux.
func NewWithOptions(Options) (Client, error) { return nil, ErrNoIPVS }
