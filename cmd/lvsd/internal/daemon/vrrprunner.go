package daemon

import (
	"context"
	"log/slog"

	"github.com/lvsd/lvsd/vrrp"
)

// vrrpRunner is what the daemon needs of a running VRRP instance.
type vrrpRunner interface {
	Run(ctx context.Context) error
}

// newVRRPRunner builds the instance over its kernel pieces; hooks carries
// the notification callbacks (vrrptrack.go).
func newVRRPRunner(c vrrp.Config, k *vrrpKernel, log *slog.Logger, hooks vrrp.Options) (*vrrp.Instance, error) {
	hooks.Logger = log
	return vrrp.New(c, vrrpConn{k.conn}, k.addrs, k.announce, hooks)
}
