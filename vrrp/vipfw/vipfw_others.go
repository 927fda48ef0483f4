//go:build !linux

package vipfw

import (
	"errors"
	"net/netip"
)

// DefaultTable is the name of lvsd's table.
const DefaultTable = "lvsd"

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("vipfw: firewall closed")

var errNotLinux = errors.New("vipfw: nftables needs Linux")

// Firewall is not available outside Linux.
type Firewall struct{}

// Priority is keepalived's default chain priority.
const Priority = -1

// Options are keepalived's nftables keywords (see the Linux version).
type Options struct {
	Table    string
	Priority int32
	Counters bool
}

// Open fails outside Linux.
func Open(string) (*Firewall, error) { return nil, errNotLinux }

// OpenWith fails outside Linux.
func OpenWith(Options) (*Firewall, error) { return nil, errNotLinux }

// Drop fails outside Linux.
func (*Firewall) Drop([]netip.Addr) error { return errNotLinux }

// Accept fails outside Linux.
func (*Firewall) Accept([]netip.Addr) error { return errNotLinux }

// Dropped returns nothing outside Linux.
func (*Firewall) Dropped() []netip.Addr { return nil }

// Close does nothing outside Linux.
func (*Firewall) Close() error { return nil }
