package genhash

import (
	"bytes"
	"crypto/md5"
	"strings"
	"testing"
)

// FuzzParser checks that any response, split anywhere, parses without
// panicking, that the split never changes the outcome, and that the digest
// is the MD5 of the body bytes the parser reports.
func FuzzParser(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\nContent-Length: 37\r\n\r\nHello keepalived genhash test vector\n"), 5)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n25\r\nabc\r\n0\r\n\r\n"), 40)
	f.Add([]byte("HTTP/1.1 204\r\n\r\n"), 1)
	f.Add([]byte("\r\n\r\n"), 2)
	f.Add([]byte("HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nx"), 3)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		whole := NewParser()
		_, err1 := whole.Feed(b)
		parts := NewParser()
		_, err2 := parts.Feed(b[:split])
		if err2 == nil {
			_, err2 = parts.Feed(b[split:])
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("error depends on split: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if whole.Sum() != parts.Sum() || whole.Status() != parts.Status() || whole.BodyLen() != parts.BodyLen() || whole.HeaderComplete() != parts.HeaderComplete() {
			t.Fatalf("outcome depends on split at %d", split)
		}
		if !whole.HeaderComplete() {
			return
		}
		i := bytes.Index(b, []byte("\r\n\r\n"))
		body := b[i+4:]
		if cl := whole.ContentLength(); cl >= 0 && int64(len(body)) > cl {
			body = body[:cl]
		}
		if whole.Sum() != md5.Sum(body) {
			t.Fatalf("digest is not the MD5 of the body")
		}
		if s := whole.Status(); s != 0 && (s < 0 || s > 999) {
			t.Fatalf("status %d", s)
		}
	})
}

// FuzzParseArgs checks that the command line parser never panics and that a
// successful parse always has server, port and url.
func FuzzParseArgs(f *testing.F) {
	f.Add("-s 127.0.0.1 -p 80 -u /")
	f.Add("-vSI -s::1 -p80 -u/ --proto=1.0c --timeout 3 -m 5")
	f.Add("--server 127.0.0.1 --port=70000 -u")
	f.Add("-s 127.0.0.1 -p 80 -u / -- extra")
	f.Add("--s 1.2.3.4 -p 1 -u x")
	f.Fuzz(func(t *testing.T, line string) {
		o, err := ParseArgs(strings.Fields(line))
		if err == nil && (!o.Server.IsValid() || o.Port == 0 || o.URL == "") {
			t.Fatalf("accepted %q without server, port or url: %+v", line, o)
		}
	})
}
