//go:build !linux

package ipvs

// New fails: IPVS exists only on Linux.
func New() (Client, error) { return nil, ErrNoIPVS }
