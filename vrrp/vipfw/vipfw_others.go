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

// Open fails outside Linux.
func Open(string) (*Firewall, error) { return nil, errNotLinux }

// Drop fails outside Linux.
func (*Firewall) Drop([]netip.Addr) error { return errNotLinux }

// Accept fails outside Linux.
func (*Firewall) Accept([]netip.Addr) error { return errNotLinux }

// Dropped returns nothing outside Linux.
func (*Firewall) Dropped() []netip.Addr { return nil }

// Close does nothing outside Linux.
func (*Firewall) Close() error { return nil }
