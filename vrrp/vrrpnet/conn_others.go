//go:build !linux

package vrrpnet

import (
	"errors"
	"net/netip"
)

// Config describes one VRRP transport endpoint (Linux only).
type Config struct {
	Interface, SendInterface string
	IPv6, Unicast, AH        bool
	TTL                      int
	Src, Group               netip.Addr
	RcvBuf                   int
}

// Meta is what arrived with a packet.
type Meta struct {
	Src, Dst netip.Addr
	TTL      int
	IfIndex  int
}

// Conn is unavailable outside Linux.
type Conn struct{}

// Dial fails outside Linux.
func Dial(Config) (*Conn, error) { return nil, errors.New("vrrpnet: raw VRRP sockets need Linux") }

// LocalAddr is the zero address.
func (*Conn) LocalAddr() netip.Addr { return netip.Addr{} }

// WriteTo fails outside Linux.
func (*Conn) WriteTo([]byte, netip.Addr) error { return errors.New("vrrpnet: unsupported") }

// ReadFrom fails outside Linux.
func (*Conn) ReadFrom([]byte) (int, Meta, error) {
	return 0, Meta{}, errors.New("vrrpnet: unsupported")
}

// Close does nothing.
func (*Conn) Close() error { return nil }
