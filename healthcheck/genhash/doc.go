// Package genhash implements the HTTP/1.0 and HTTP/1.1 (RFC 9112) GET exchange
// that keepalived's HTTP_GET/SSL_GET checkers and its genhash tool perform:
// the exact request bytes, the streaming response parser (status code,
// Content-Length, header end) and the MD5 digest of the raw body.
//
// It is the one implementation shared by `lvsd genhash` and the http_get /
// ssl_get health checkers in package healthcheck.
//
// Compatibility with keepalived 2.2.7 (see testdata/):
//   - request: "GET <path> HTTP/1.<0|1>\r\nUser-Agent: KeepAliveClient\r\n"
//     ["Connection: close\r\n" for 1.0c and 1.1] "Host: <ip>:<port>\r\n\r\n",
//     "[ip6]:port" for IPv6, or the virtual host alone;
//   - the digest is MD5 over the body bytes exactly as received (chunked
//     framing is not decoded), bounded by Content-Length when the header
//     carries one ("Content-Length:" matched case-sensitively, as keepalived);
//   - the status code does not influence the digest; redirects are not
//     followed.
//
// Out of scope: HTTP/2, keep-alive connection reuse, chunked decoding,
// regex matching of the body.
//
// Concurrency: a Parser is used by one goroutine at a time; Fetch is safe for
// concurrent use (it shares nothing but a buffer pool).
package genhash
