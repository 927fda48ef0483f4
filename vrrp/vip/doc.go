// Package vip installs and removes the virtual addresses and routes of VRRP
// instances (RFC 3768 section 8, RFC 5798 section 6.4.3: the master owns the
// virtual IPv4/IPv6 addresses) through rtnetlink, and creates the macvlan
// "VMAC" interfaces of use_vmac (00:00:5e:00:01:VRID for IPv4,
// 00:00:5e:00:02:VRID for IPv6, RFC 5798 section 7.3).
//
// Every operation is idempotent: adding an address or route that is already
// there, or removing one that is gone, is success (EEXIST / ENOENT /
// EADDRNOTAVAIL mean "already converged"). Other kernel errors are wrapped
// with the operation and the object, and the errno stays reachable with
// errors.Is. Dumps interrupted by concurrent changes (ErrDumpInterrupted)
// are retried.
//
// Concurrency: a Manager may be used from several goroutines; each call is
// independent (the netlink handle serialises requests).
package vip
