package genhash

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Protocol is the HTTP version and connection handling of the request, as
// genhash's -P flag and the checkers' http_protocol keyword.
type Protocol uint8

const (
	// HTTP10 sends "HTTP/1.0" without a Connection header (keepalived's default).
	HTTP10 Protocol = iota
	// HTTP10Close sends "HTTP/1.0" with "Connection: close" ("1.0c").
	HTTP10Close
	// HTTP11 sends "HTTP/1.1" with "Connection: close".
	HTTP11
)

// ParseProtocol parses "1.0", "1.0c" (or "1.0C") and "1.1".
func ParseProtocol(s string) (Protocol, error) {
	switch s {
	case "1.0":
		return HTTP10, nil
	case "1.0c", "1.0C":
		return HTTP10Close, nil
	case "1.1":
		return HTTP11, nil
	}
	return 0, fmt.Errorf("genhash: invalid HTTP protocol version %q: want 1.0, 1.0c or 1.1", s)
}

// String returns the -P spelling.
func (p Protocol) String() string {
	switch p {
	case HTTP10:
		return "1.0"
	case HTTP10Close:
		return "1.0c"
	case HTTP11:
		return "1.1"
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// AppendRequest appends the GET request keepalived sends for path to dst.
// The Host header is vhost when it is not empty, else the server address
// with its port ("[addr]:port" for IPv6).
func AppendRequest(dst []byte, path string, server netip.AddrPort, vhost string, p Protocol) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, path...)
	if p == HTTP11 {
		dst = append(dst, " HTTP/1.1\r\n"...)
	} else {
		dst = append(dst, " HTTP/1.0\r\n"...)
	}
	dst = append(dst, "User-Agent: KeepAliveClient\r\n"...)
	if p == HTTP10Close || p == HTTP11 {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "Host: "...)
	if vhost != "" {
		dst = append(dst, vhost...)
	} else {
		a := server.Addr().Unmap()
		if a.Is6() {
			dst = append(dst, '[')
			dst = a.AppendTo(dst)
			dst = append(dst, ']')
		} else {
			dst = a.AppendTo(dst)
		}
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(server.Port()), 10)
	}
	return append(dst, "\r\n\r\n"...)
}
