package main

import (
	"context"
	"log/slog"

	"github.com/lvsd/lvsd/vrrp"
)

// vrrpRunner is what the daemon needs of a running VRRP instance.
type vrrpRunner interface {
	Run(ctx context.Context) error
}

// newVRRPRunner builds the instance over its kernel pieces.
func newVRRPRunner(c vrrp.Config, k *vrrpKernel, log *slog.Logger) (*vrrp.Instance, error) {
	return vrrp.New(c, vrrpConn{k.conn}, k.addrs, k.announce, vrrp.Options{Logger: log})
}
