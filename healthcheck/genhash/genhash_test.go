package genhash

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAppendRequest(t *testing.T) {
	v4 := netip.MustParseAddrPort("127.0.0.1:8080")
	v6 := netip.MustParseAddrPort("[fd99::2]:80")
	tests := []struct {
		name  string
		srv   netip.AddrPort
		vhost string
		p     Protocol
		want  string
	}{
		// The first four are keepalived 2.2.7's bytes, logged by rawsrv.py.
		{"1.0", v4, "", HTTP10, "GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:8080\r\n\r\n"},
		{"1.1", v4, "", HTTP11, "GET /file HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:8080\r\n\r\n"},
		{"1.0c", v4, "", HTTP10Close, "GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:8080\r\n\r\n"},
		{"vhost", v4, "www.example.com", HTTP10, "GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\n\r\n"},
		{"ipv6", v6, "", HTTP10, "GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [fd99::2]:80\r\n\r\n"},
		{"ipv6 vhost", v6, "h", HTTP11, "GET /file HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n"},
	}
	for _, tt := range tests {
		got := string(AppendRequest(nil, "/file", tt.srv, tt.vhost, tt.p))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
	}
}

func TestParseStatusAndLength(t *testing.T) {
	tests := []struct {
		hdr    string
		status int
		clen   int64
	}{
		{"HTTP/1.0 200 OK\r\nContent-Length: 37\r\n\r\n", 200, 37},
		{"HTTP/1.1 503 Busy\r\n\r\n", 503, -1},
		{"HTTP/1.1 204\r\n\r\n", 204, -1},
		{"HTTP/1.1 20 OK\r\n\r\n", 0, -1},
		{"HTTP/1.1 2000 OK\r\n\r\n", 0, -1},
		{"HTTP/1.1 2x0 OK\r\n\r\n", 0, -1},
		{"garbage\r\n\r\n", 0, -1},
		{"HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\n", 200, -1}, // keepalived matches the case
		{"HTTP/1.0 200 OK\r\nContent-Length:5\r\n\r\n", 200, 5},
		{"HTTP/1.0 200 OK\r\nContent-Length: 5x\r\n\r\n", 200, -1},
		{"HTTP/1.0 200 OK\r\nContent-Length: \r\n\r\n", 200, -1},
		{"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 200, -1},
	}
	for _, tt := range tests {
		if got := ParseStatusCode([]byte(tt.hdr)); got != tt.status {
			t.Errorf("ParseStatusCode(%q) = %d, want %d", tt.hdr, got, tt.status)
		}
		if got := ParseContentLength([]byte(tt.hdr)); got != tt.clen {
			t.Errorf("ParseContentLength(%q) = %d, want %d", tt.hdr, got, tt.clen)
		}
	}
}

// TestParserSplits feeds a response in every possible two-way split and in
// single bytes: the digest, status and length never depend on the split.
func TestParserSplits(t *testing.T) {
	body := []byte("Hello keepalived genhash test vector\n")
	resp := append([]byte("HTTP/1.0 200 OK\r\nContent-Length: 37\r\n\r\n"), body...)
	resp = append(resp, "trailing garbage beyond Content-Length"...)
	want := md5.Sum(body)
	p := NewParser()
	for i := 0; i <= len(resp); i++ {
		p.Reset()
		mustFeed(t, p, resp[:i])
		mustFeed(t, p, resp[i:])
		if p.Sum() != want || p.Status() != 200 || p.BodyLen() != 37 || !p.Done() {
			t.Fatalf("split at %d: digest %x status %d len %d done %v", i, p.Sum(), p.Status(), p.BodyLen(), p.Done())
		}
	}
	p.Reset()
	for i := range resp {
		mustFeed(t, p, resp[i:i+1])
	}
	if p.Sum() != want {
		t.Fatalf("byte by byte: digest %x, want %x", p.Sum(), want)
	}
}

func mustFeed(t *testing.T, p *Parser, b []byte) {
	t.Helper()
	if _, err := p.Feed(b); err != nil {
		t.Fatal(err)
	}
}

func TestParserHeaderTooLarge(t *testing.T) {
	p := NewParser()
	_, err := p.Feed(bytes.Repeat([]byte("X-A: b\r\n"), MaxHeader/8+1))
	if err != ErrHeaderTooLarge {
		t.Fatalf("err = %v, want ErrHeaderTooLarge", err)
	}
}

// rawServer is rawsrv.py in Go: it logs the request bytes and answers per path.
type rawServer struct {
	ln   net.Listener
	mu   sync.Mutex
	reqs [][]byte // guarded by mu
	wg   sync.WaitGroup
}

var testBody = []byte("Hello keepalived genhash test vector\n")

func bigBody() []byte {
	b := make([]byte, 100000)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

func newRawServer(t *testing.T) *rawServer { return newRawServerOn(t, "127.0.0.1:0") }

func newRawServerOn(t *testing.T, addr string) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.handle(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *rawServer) port() uint16 { return uint16(s.ln.Addr().(*net.TCPAddr).Port) }

func (s *rawServer) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.reqs...)
}

func (s *rawServer) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var req []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(req, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		req = append(req, buf[:n]...)
		if err != nil {
			break
		}
		if len(req) > 0 && req[0] == 0x16 { // a TLS ClientHello: answer as http.server does
			c.Write([]byte("HTTP/1.0 400 Bad request\r\n\r\n"))
			return
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	f := strings.Fields(string(req))
	path := "/"
	if len(f) > 1 {
		path = f[1]
	}
	w := func(parts ...[]byte) { c.Write(bytes.Join(parts, nil)) }
	switch path {
	case "/hang":
		c.Read(buf) // until the client gives up
	case "/close":
	case "/chunked":
		w([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n25\r\n"), testBody, []byte("\r\n0\r\n\r\n"))
	case "/redirect":
		w([]byte("HTTP/1.0 301 Moved\r\nLocation: /file\r\nContent-Length: 0\r\n\r\n"))
	case "/nolen":
		w([]byte("HTTP/1.0 200 OK\r\n\r\n"), testBody)
	case "/500":
		w([]byte("HTTP/1.0 500 Internal\r\nContent-Length: 37\r\n\r\n"), testBody)
	case "/big.bin":
		w([]byte("HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n"), bigBody())
	case "/empty":
		w([]byte("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"))
	case "/trickle":
		c.Write([]byte("HTTP/1.0 200 OK\r\n"))
		for range 100 {
			if _, err := c.Write([]byte("X: y\r\n")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	default:
		w([]byte("HTTP/1.0 200 OK\r\nContent-Length: 37\r\n\r\n"), testBody)
	}
}

func verbatim(t *testing.T, name string) (stdout, stderr string) {
	t.Helper()
	o, err := os.ReadFile(filepath.Join("testdata", "verbatim", name+".stdout"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := os.ReadFile(filepath.Join("testdata", "verbatim", name+".stderr"))
	if err != nil {
		t.Fatal(err)
	}
	return string(o), string(e)
}

func run(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = Run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

var usecs = regexp.MustCompile(`= [0-9]+ usecs`)

// TestVerbatim compares lvsd genhash with the captured outputs of
// keepalived 2.2.7 for each case (stdout byte for byte; the response time in
// verbose output varies). Where keepalived exits 0 without a digest, lvsd
// exits 1 and adds a line on stderr: that difference is asserted too.
func TestVerbatim(t *testing.T) {
	s := newRawServer(t)
	port := itoa(int(s.port()))
	closed := closedPort(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		exactErr bool // stderr must equal keepalived's
	}{
		{"ok_file", []string{"-s", "127.0.0.1", "-p", port, "-u", "/file"}, 0, true},
		{"ok_empty", []string{"-s", "127.0.0.1", "-p", port, "-u", "/empty"}, 0, true},
		{"ok_big", []string{"-s", "127.0.0.1", "-p", port, "-u", "/big.bin"}, 0, true},
		{"chunked", []string{"-s", "127.0.0.1", "-p", port, "-u", "/chunked"}, 0, true},
		{"http500", []string{"-s", "127.0.0.1", "-p", port, "-u", "/500"}, 0, true},
		{"redirect", []string{"-s", "127.0.0.1", "-p", port, "-u", "/redirect"}, 0, true},
		{"ok_file_verbose_single_segment", []string{"-s", "127.0.0.1", "-p", port, "-u", "/file", "--verbose"}, 0, true},
		{"refused", []string{"-s", "127.0.0.1", "-p", closed, "-u", "/file"}, 1, false},
		{"refused_verbose", []string{"-s", "127.0.0.1", "-p", closed, "-u", "/file", "--verbose"}, 1, false},
		{"closed_no_response", []string{"-s", "127.0.0.1", "-p", port, "-u", "/close"}, 1, true},
		{"closed_no_response_verbose", []string{"-s", "127.0.0.1", "-p", port, "-u", "/close", "--verbose"}, 1, true},
		{"timeout_2s", []string{"-s", "127.0.0.1", "-p", port, "-u", "/hang", "-t", "1"}, 1, false},
		{"timeout_2s_verbose", []string{"-s", "127.0.0.1", "-p", port, "-u", "/hang", "-t", "1", "--verbose"}, 1, false},
		{"ssl_to_plain", []string{"-S", "-s", "127.0.0.1", "-p", port, "-u", "/file"}, 1, false},
		{"missing_url", []string{"-s", "127.0.0.1", "-p", "8000"}, 1, true},
		{"hostname", []string{"-s", "localhost", "-p", "8000", "-u", "/file"}, 1, true},
		{"badport", []string{"-s", "127.0.0.1", "-p", "70000", "-u", "/file"}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOut, wantErr := verbatim(t, tt.name)
			out, errOut, code := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if diff := cmp.Diff(usecs.ReplaceAllString(wantOut, "= N usecs"), usecs.ReplaceAllString(out, "= N usecs")); diff != "" {
				t.Errorf("stdout (-keepalived +lvsd)\n%s", diff)
			}
			switch {
			case tt.exactErr && tt.code == 0:
				if errOut != wantErr {
					t.Errorf("stderr %q, want %q", errOut, wantErr)
				}
			case tt.exactErr:
				if !strings.HasPrefix(errOut, wantErr) {
					t.Errorf("stderr %q, want prefix %q", errOut, wantErr)
				}
			default:
				if errOut == "" {
					t.Errorf("no message on stderr for a failure")
				}
			}
		})
	}
}

func TestTimeoutIsADeadline(t *testing.T) {
	s := newRawServer(t)
	start := time.Now()
	out, errOut, code := run("-s", "127.0.0.1", "-p", itoa(int(s.port())), "-u", "/trickle", "-t", "1")
	el := time.Since(start)
	if code != 1 || out != "Timeout HTTP read\n" && out != "Timeout WEB read\n" {
		t.Fatalf("code %d stdout %q stderr %q", code, out, errOut)
	}
	// The server trickles for 10 s; a per-read timeout would never fire.
	if el > 5*time.Second {
		t.Fatalf("a trickling server held genhash -t 1 for %v", el)
	}
}

func TestRequestsOnTheWire(t *testing.T) {
	s := newRawServer(t)
	port := itoa(int(s.port()))
	run("-s", "127.0.0.1", "-p", port, "-u", "/file")
	run("-s", "127.0.0.1", "-p", port, "-u", "/file", "-P", "1.1")
	run("-s", "127.0.0.1", "-p", port, "-u", "/file", "-P", "1.0c")
	run("-s", "127.0.0.1", "-p", port, "-u", "/file", "-V", "www.example.com")
	host := "127.0.0.1:" + port
	want := []string{
		"GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: " + host + "\r\n\r\n",
		"GET /file HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: " + host + "\r\n\r\n",
		"GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: " + host + "\r\n\r\n",
		"GET /file HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\n\r\n",
	}
	var got []string
	for _, r := range s.requests() {
		got = append(got, string(r))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requests (-want +got)\n%s", diff)
	}
}

func TestDigestsOfWWW(t *testing.T) {
	// The pages keepalived was run against, with md5sum's digests.
	for name, want := range map[string]string{
		"file":    "200c50bfba8711f7a839fcf8a7712be4",
		"empty":   "d41d8cd98f00b204e9800998ecf8427e",
		"big.bin": "59f08777fcd1aa2b8e0c8f892cfaae09",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "www", name))
		if err != nil {
			t.Fatal(err)
		}
		p := NewParser()
		mustFeed(t, p, []byte("HTTP/1.0 200 OK\r\n\r\n"))
		mustFeed(t, p, b)
		got := p.Sum()
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: %x, want %s", name, got, want)
		}
	}
	if !bytes.Equal(mustRead(t, "testdata/www/big.bin"), bigBody()) {
		t.Fatal("bigBody differs from testdata/www/big.bin")
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want Options
		msg  string // "" ok; "usage" usage without message
	}{
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/"}, Options{Server: netip.MustParseAddr("127.0.0.1"), Port: 80, URL: "/"}, ""},
		{[]string{"-vS", "-s127.0.0.1", "-p80", "-u/", "-I", "-V", "h"}, Options{Server: netip.MustParseAddr("127.0.0.1"), Port: 80, URL: "/", Verbose: true, SSL: true, SNI: true, VirtualHost: "h"}, ""},
		{[]string{"--server=::1", "--port", "443", "--url", "/x", "--proto", "1.1", "--timeout", "3", "--fwmark", "7"}, Options{Server: netip.MustParseAddr("::1"), Port: 443, URL: "/x", Protocol: HTTP11, Timeout: 3 * time.Second, Fwmark: 7}, ""},
		{[]string{"-s", "127.0.0.1", "-p", "80"}, Options{}, "usage"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "-h"}, Options{}, "usage"},
		{[]string{"-s", "127.0.0.1", "-p", "0", "-u", "/"}, Options{}, "invalid port number '0'"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2"}, Options{}, "invalid HTTP protocol version '2'"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "-1"}, Options{}, "invalid timeout '-1'"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "-x"}, Options{}, "Unknown option -x"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "--bogus"}, Options{}, "Unknown option --bogus"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u"}, Options{}, "Missing parameter for option -u"},
		{[]string{"-s", "127.0.0.1", "-p", "80", "-u", "/", "extra"}, Options{}, "Unexpected argument(s): extra"},
	}
	for _, tt := range tests {
		got, err := ParseArgs(tt.args)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.msg == "":
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("%q: (-want +got)\n%s", tt.args, diff)
			}
		default:
			ue, ok := err.(*UsageError)
			if !ok {
				t.Errorf("%q: err %v, want usage error %q", tt.args, err, tt.msg)
				continue
			}
			if want := strings.TrimPrefix(tt.msg, "usage"); ue.Msg != want {
				t.Errorf("%q: message %q, want %q", tt.args, ue.Msg, want)
			}
		}
	}
}

func TestAppendDump(t *testing.T) {
	want, _ := verbatim(t, "ok_file_verbose_single_segment")
	body := AppendDump(nil, testBody)
	if !strings.Contains(want, string(body)) {
		t.Fatalf("dump %q not in keepalived's output", body)
	}
	if len(AppendDump(nil, nil)) != 0 {
		t.Fatal("empty dump not empty")
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return itoa(p)
}

func itoa(i int) string { return strconv.Itoa(i) }
