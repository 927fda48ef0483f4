package genhash

import (
	"bytes"
	"crypto/md5"
	"errors"
	"hash"
)

// MaxHeader bounds the response header the parser buffers. keepalived keeps
// at most 4095 bytes; lvsd allows more but not without limit.
const MaxHeader = 64 << 10

// ErrHeaderTooLarge is returned by Parser.Feed when no header end was found
// within MaxHeader bytes.
var ErrHeaderTooLarge = errors.New("response header larger than 64 KiB")

// Chunk says what one Feed call consumed.
type Chunk struct {
	// HeaderDone is true in the call that completed the header.
	HeaderDone bool
	// Header is the whole header including its final CRLFCRLF, set only
	// when HeaderDone is true. It aliases the parser's buffer.
	Header []byte
	// Body is the part of the input that was added to the digest (body bytes
	// up to Content-Length). It aliases the input or the parser's buffer and
	// is valid until the next call.
	Body []byte
}

// Parser reads an HTTP response stream as keepalived does: it finds the end
// of the header (the first CRLFCRLF), extracts the status code and the
// Content-Length, and feeds the body bytes, as received and bounded by
// Content-Length, to MD5. The zero value is not ready: use NewParser or Reset.
type Parser struct {
	hdr      []byte // header bytes so far, until the header is complete
	complete bool   // header complete
	status   int
	clen     int64 // Content-Length, -1 when absent or unparsable
	body     int64 // body bytes hashed
	md5      hash.Hash
}

// NewParser returns a parser ready for a response.
func NewParser() *Parser {
	p := &Parser{md5: md5.New()}
	p.Reset()
	return p
}

// Reset prepares the parser for a new response, keeping its buffers.
func (p *Parser) Reset() {
	if p.md5 == nil {
		p.md5 = md5.New()
	}
	p.hdr = p.hdr[:0]
	p.complete = false
	p.status = 0
	p.clen = -1
	p.body = 0
	p.md5.Reset()
}

// HeaderComplete reports whether the header end has been seen.
func (p *Parser) HeaderComplete() bool { return p.complete }

// Status is the status code of the response (0 when the status line is not
// "<version> <3 digits> ..." or the header is incomplete).
func (p *Parser) Status() int { return p.status }

// ContentLength is the Content-Length header value, -1 if absent.
func (p *Parser) ContentLength() int64 { return p.clen }

// BodyLen is the number of body bytes hashed so far.
func (p *Parser) BodyLen() int64 { return p.body }

// Done reports whether the header is complete and Content-Length bytes of
// body have been received: reading further cannot change the digest.
func (p *Parser) Done() bool { return p.complete && p.clen >= 0 && p.body >= p.clen }

// Sum returns the MD5 digest of the body hashed so far.
func (p *Parser) Sum() [md5.Size]byte {
	var buf [md5.Size]byte
	p.md5.Sum(buf[:0])
	return buf
}

// Feed consumes the next bytes of the stream.
func (p *Parser) Feed(b []byte) (Chunk, error) {
	if p.complete {
		return Chunk{Body: p.hashBody(b)}, nil
	}
	start := len(p.hdr) - 3 // the terminator may straddle reads
	if start < 0 {
		start = 0
	}
	p.hdr = append(p.hdr, b...)
	i := bytes.Index(p.hdr[start:], crlfcrlf)
	if i < 0 {
		if len(p.hdr) > MaxHeader {
			return Chunk{}, ErrHeaderTooLarge
		}
		return Chunk{}, nil
	}
	end := start + i + len(crlfcrlf)
	header := p.hdr[:end]
	p.complete = true
	p.status = ParseStatusCode(header)
	p.clen = ParseContentLength(header)
	return Chunk{HeaderDone: true, Header: header, Body: p.hashBody(p.hdr[end:])}, nil
}

var crlfcrlf = []byte("\r\n\r\n")

func (p *Parser) hashBody(b []byte) []byte {
	if p.clen >= 0 {
		left := p.clen - p.body
		if left <= 0 {
			return nil
		}
		if int64(len(b)) > left {
			b = b[:left]
		}
	}
	p.md5.Write(b)
	p.body += int64(len(b))
	return b
}

// ParseStatusCode returns the status code of the status line at the start of
// header: the three digits after the first space, which must be followed by
// a space or the end of the line. It returns 0 when there is none.
// (keepalived requires the space; lvsd also accepts "HTTP/1.1 200\r\n", which
// RFC 9112 allows.)
func ParseStatusCode(header []byte) int {
	i := 0
	for i < len(header) && header[i] != ' ' && header[i] != '\r' && header[i] != '\n' {
		i++
	}
	if i >= len(header) || header[i] != ' ' {
		return 0
	}
	d := header[i+1:]
	if len(d) < 4 {
		return 0
	}
	code := 0
	for _, c := range d[:3] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	if d[3] != ' ' && d[3] != '\r' && d[3] != '\n' {
		return 0
	}
	return code
}

// ParseContentLength returns the value of the first "Content-Length:" field
// in header (matched case-sensitively, as keepalived does), or -1 when there
// is none or the value is not a decimal number followed by the end of line.
func ParseContentLength(header []byte) int64 {
	const key = "Content-Length:"
	i := bytes.Index(header, []byte(key))
	if i < 0 {
		return -1
	}
	v := header[i+len(key):]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	var n int64
	digits := 0
	for len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
		if n > (1<<62)/10 {
			return -1
		}
		n = n*10 + int64(v[0]-'0')
		v = v[1:]
		digits++
	}
	if digits == 0 || (len(v) > 0 && v[0] != '\r' && v[0] != '\n') {
		return -1
	}
	return n
}
