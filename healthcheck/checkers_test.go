package healthcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func addrPort(t *testing.T, url string) netip.AddrPort {
	t.Helper()
	u := url[strings.Index(url, "//")+2:]
	ap, err := netip.ParseAddrPort(u)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func closedAddr(t *testing.T) netip.AddrPort {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return ap
}

// rawListener serves each connection with fn (loopback only).
func rawListener(t *testing.T, fn func(c net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); fn(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

func readRequest(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	var req []byte
	for !strings.Contains(string(req), "\r\n\r\n") {
		n, err := c.Read(buf)
		req = append(req, buf[:n]...)
		if err != nil {
			return
		}
	}
}

func mustHTTP(t *testing.T, spec HTTPSpec) *HTTPChecker {
	t.Helper()
	c, err := NewHTTPChecker(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

var page = []byte("<html>lvsd health page</html>\n")

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write(page) })
	mux.HandleFunc("/503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) })
	mux.HandleFunc("/302", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/vhost", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "www.example.com" {
			http.NotFound(w, r)
			return
		}
		w.Write(page)
	})
	return mux
}

func TestHTTPCheckerReasons(t *testing.T) {
	srv := httptest.NewServer(testMux())
	defer srv.Close()
	target := addrPort(t, srv.URL)
	hang := rawListener(t, func(c net.Conn) { readRequest(c); c.Read(make([]byte, 1)) })
	closeNow := rawListener(t, func(c net.Conn) { readRequest(c) })
	reset := rawListener(t, func(c net.Conn) {
		readRequest(c)
		c.(*net.TCPConn).SetLinger(0) // close with RST
	})
	trickle := rawListener(t, func(c net.Conn) {
		readRequest(c)
		c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
		for range 400 { // 20 s of trickle
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	garbage := rawListener(t, func(c net.Conn) {
		readRequest(c)
		c.Write([]byte("I am not HTTP\r\n\r\n"))
	})
	tests := []struct {
		name   string
		target netip.AddrPort
		url    URLSpec
		vhost  string
		reason Reason
		status int
	}{
		{"up", target, URLSpec{Path: "/ok"}, "", ReasonOK, 0},
		{"digest match", target, URLSpec{Path: "/ok", Digest: md5hex(page)}, "", ReasonOK, 0},
		{"digest mismatch", target, URLSpec{Path: "/ok", Digest: strings.Repeat("0", 32)}, "", ReasonDigestMismatch, 0},
		{"503", target, URLSpec{Path: "/503"}, "", ReasonBadStatus, 503},
		{"503 accepted by range", target, URLSpec{Path: "/503", Status: []StatusRange{{Min: 200, Max: 200}, {Min: 500, Max: 599}}}, "", ReasonOK, 0},
		{"redirect not followed", target, URLSpec{Path: "/302"}, "", ReasonBadStatus, 302},
		{"redirect in range", target, URLSpec{Path: "/302", Status: []StatusRange{{Min: 300, Max: 399}}}, "", ReasonOK, 0},
		{"404", target, URLSpec{Path: "/nothing"}, "", ReasonBadStatus, 404},
		{"virtualhost wrong", target, URLSpec{Path: "/vhost"}, "", ReasonBadStatus, 404},
		{"virtualhost checker", target, URLSpec{Path: "/vhost"}, "www.example.com", ReasonOK, 0},
		{"virtualhost url", target, URLSpec{Path: "/vhost", VirtualHost: "www.example.com"}, "other", ReasonOK, 0},
		{"refused", closedAddr(t), URLSpec{Path: "/"}, "", ReasonRefused, 0},
		{"timeout", hang, URLSpec{Path: "/"}, "", ReasonTimeout, 0},
		{"trickle", trickle, URLSpec{Path: "/"}, "", ReasonTimeout, 0},
		{"no data", closeNow, URLSpec{Path: "/"}, "", ReasonNoData, 0},
		{"reset", reset, URLSpec{Path: "/"}, "", ReasonReset, 0},
		{"not http", garbage, URLSpec{Path: "/"}, "", ReasonBadStatus, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustHTTP(t, HTTPSpec{Target: tt.target, Timeout: time.Second, URLs: []URLSpec{tt.url}, VirtualHost: tt.vhost})
			start := time.Now()
			r := c.Check(context.Background())
			if r.Reason != tt.reason || r.Status != tt.status {
				t.Fatalf("reason %v status %d (%s), want %v %d", r.Reason, r.Status, r.Detail(), tt.reason, tt.status)
			}
			// generous for a loaded machine; the trickling server lasts 20 s
			if el := time.Since(start); el > 6*time.Second {
				t.Fatalf("check took %v with a 1 s connect_timeout", el)
			}
			if r.Reason == ReasonDigestMismatch && (hex.EncodeToString(r.Got[:]) != md5hex(page) || r.Want != [16]byte{}) {
				t.Fatalf("digests: %s", r.Detail())
			}
		})
	}
}

// TestHTTPCheckerURLs: every url must pass; the first failure is reported.
func TestHTTPCheckerURLs(t *testing.T) {
	srv := httptest.NewServer(testMux())
	defer srv.Close()
	c := mustHTTP(t, HTTPSpec{Target: addrPort(t, srv.URL), Timeout: time.Second, URLs: []URLSpec{{Path: "/ok"}, {Path: "/503"}, {Path: "/nothing"}}})
	r := c.Check(context.Background())
	if r.Reason != ReasonBadStatus || r.URL != "/503" {
		t.Fatalf("%s", r.Detail())
	}
}

func TestHTTPCheckerCancel(t *testing.T) {
	hang := rawListener(t, func(c net.Conn) { readRequest(c); c.Read(make([]byte, 1)) })
	c := mustHTTP(t, HTTPSpec{Target: hang, Timeout: 10 * time.Second, URLs: []URLSpec{{Path: "/"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r := c.Check(ctx); r.Reason != ReasonTimeout && r.Reason != ReasonCanceled {
		t.Fatalf("%s", r.Detail())
	}
}

// certs creates a CA, a server certificate for 127.0.0.1 and the names
// given, and a client certificate, as PEM files in dir.
type certFiles struct{ ca, srvCert, srvKey, cliCert, cliKey string }

func makeCerts(t testing.TB, dir string, names ...string) (certFiles, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lvsd test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte { b, _ := x509.MarshalECPrivateKey(k); return b }
	sDER, sKey := leaf(2, "server", x509.ExtKeyUsageServerAuth)
	cDER, cKey := leaf(3, "client", x509.ExtKeyUsageClientAuth)
	f := certFiles{
		ca:      write("ca.pem", "CERTIFICATE", caDER),
		srvCert: write("srv.pem", "CERTIFICATE", sDER),
		srvKey:  write("srv.key", "EC PRIVATE KEY", keyDER(sKey)),
		cliCert: write("cli.pem", "CERTIFICATE", cDER),
		cliKey:  write("cli.key", "EC PRIVATE KEY", keyDER(cKey)),
	}
	kp, err := tls.LoadX509KeyPair(f.srvCert, f.srvKey)
	if err != nil {
		t.Fatal(err)
	}
	return f, kp
}

func TestSSLChecker(t *testing.T) {
	dir := t.TempDir()
	files, kp := makeCerts(t, dir, "www.example.com")
	other, _ := makeCerts(t, t.TempDir())
	var mu sync.Mutex
	var snis []string
	srv := httptest.NewUnstartedServer(testMux())
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{kp},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			snis = append(snis, h.ServerName)
			mu.Unlock()
			return nil, nil
		},
	}
	srv.StartTLS()
	defer srv.Close()
	target := addrPort(t, srv.URL)

	// A second server that requires a client certificate signed by the CA.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, files.ca))
	mtls := httptest.NewUnstartedServer(testMux())
	mtls.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	mtls.StartTLS()
	defer mtls.Close()
	plain := httptest.NewServer(testMux())
	defer plain.Close()

	tests := []struct {
		name   string
		spec   HTTPSpec
		reason Reason
		sni    string
	}{
		{"no verification", HTTPSpec{Target: target}, ReasonOK, ""},
		{"digest", HTTPSpec{Target: target, URLs: []URLSpec{{Path: "/ok", Digest: md5hex(page)}}}, ReasonOK, ""},
		{"sni", HTTPSpec{Target: target, SNI: true, VirtualHost: "www.example.com", URLs: []URLSpec{{Path: "/vhost"}}}, ReasonOK, "www.example.com"},
		{"vhost without sni", HTTPSpec{Target: target, VirtualHost: "www.example.com", URLs: []URLSpec{{Path: "/vhost"}}}, ReasonOK, ""},
		{"verified by CA", HTTPSpec{Target: target, CAFile: files.ca}, ReasonOK, ""},
		{"wrong CA", HTTPSpec{Target: target, CAFile: other.ca}, ReasonTLS, ""},
		{"tls to plain port", HTTPSpec{Target: addrPort(t, plain.URL)}, ReasonTLS, "-"},
		{"client cert missing", HTTPSpec{Target: addrPort(t, mtls.URL)}, ReasonTLS, "-"},
		{"client cert", HTTPSpec{Target: addrPort(t, mtls.URL), Cert: files.cliCert, Key: files.cliKey}, ReasonOK, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.TLS = true
			tt.spec.Timeout = 2 * time.Second
			if tt.spec.URLs == nil {
				tt.spec.URLs = []URLSpec{{Path: "/ok"}}
			}
			mu.Lock()
			snis = nil
			mu.Unlock()
			r := mustHTTP(t, tt.spec).Check(context.Background())
			if r.Reason != tt.reason {
				t.Fatalf("reason %v (%s), want %v", r.Reason, r.Detail(), tt.reason)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.sni != "-" && (len(snis) != 1 || snis[0] != tt.sni) {
				t.Fatalf("SNI seen %q, want %q", snis, tt.sni)
			}
		})
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTCPChecker(t *testing.T) {
	open := rawListener(t, func(c net.Conn) {})
	for _, tt := range []struct {
		target netip.AddrPort
		bind   netip.AddrPort
		reason Reason
	}{
		{open, netip.AddrPort{}, ReasonOK},
		{open, netip.MustParseAddrPort("127.0.0.1:0"), ReasonOK},
		{closedAddr(t), netip.AddrPort{}, ReasonRefused},
	} {
		c, err := NewTCPChecker(TCPSpec{Target: tt.target, Bind: tt.bind, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if r := c.Check(context.Background()); r.Reason != tt.reason {
			t.Errorf("%v: %s, want %v", tt.target, r.Detail(), tt.reason)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want Reason
	}{
		{nil, ReasonOK},
		{context.Canceled, ReasonCanceled},
		{os.ErrDeadlineExceeded, ReasonTimeout},
		{syscall.ECONNREFUSED, ReasonRefused},
		{syscall.ECONNRESET, ReasonReset},
		{syscall.EHOSTUNREACH, ReasonUnreachable},
	} {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	for _, r := range Reasons() {
		if strings.HasPrefix(r.String(), "reason_") {
			t.Errorf("reason %d has no name", r)
		}
	}
}
