// Package trackfile implements the reading of a keepalived track_file: the
// number a file holds, parsed as keepalived parses it (C strtol, base 0),
// and the weight it gives a tracking object. The VRRP side's track_file
// (package vrrp/track) and the checker side's file_check (package
// healthcheck) share it; it imports no domain package.
//
// Everything here is pure and safe for concurrent use.
package trackfile
