// Package control implements lvsd's control socket: a Unix stream socket,
// readable and writable by root only, on which `lvsd status`, `lvsd reload`
// and `lvsd stop` talk to the running daemon.
//
// The protocol is one JSON request line and one JSON response line per
// connection: {"command":"status"} → {"ok":true,"status":{...}}. It is small on
// purpose, so that scripts can speak it with socat as well.
//
// Server runs its accept loop in one goroutine and serves each connection in
// its own goroutine; the Handler it is given must be safe for concurrent use.
package control
