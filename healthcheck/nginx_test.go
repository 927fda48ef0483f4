package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// nginxLab is Debian's nginx with a private prefix in a temp dir, listening
// on loopback only: plain HTTP on httpPort, HTTPS on tlsPort with two
// server names (a.example, b.example = default) with different pages.
type nginxLab struct {
	t                 testing.TB
	bin, dir, conf    string
	httpPort, tlsPort uint16
	certs             certFiles
	cmd               *exec.Cmd
	done              chan struct{}
}

func freePort(t testing.TB) uint16 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

func newNginx(t *testing.T) *nginxLab { return newNginxB(t) }

func newNginxB(t testing.TB) *nginxLab {
	bin := testenv.NeedBinary(t, "nginx")
	dir := t.TempDir()
	n := &nginxLab{t: t, bin: bin, dir: dir, httpPort: freePort(t), tlsPort: freePort(t)}
	n.certs, _ = makeCerts(t, dir, "a.example", "b.example")
	for _, d := range []string{"www", "www-a", "www-b", "tmp", "logs"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "www", "index.html"), page, 0o644)
	os.WriteFile(filepath.Join(dir, "www-a", "index.html"), []byte("site A\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "www-b", "index.html"), []byte("site B\n"), 0o644)
	n.conf = filepath.Join(dir, "nginx.conf")
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  server {
    listen 127.0.0.1:%[2]d;
    root %[1]s/www;
    location = /503 { return 503 "busy\n"; }
    location = /moved { return 301 /index.html; }
  }
  server {
    listen 127.0.0.1:%[3]d ssl;
    server_name a.example;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    root %[1]s/www-a;
    location = /sni { return 200 "sni=$ssl_server_name\n"; }
  }
  server {
    listen 127.0.0.1:%[3]d ssl default_server;
    server_name b.example;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    root %[1]s/www-b;
    location = /sni { return 200 "sni=$ssl_server_name\n"; }
  }
}
`, dir, n.httpPort, n.tlsPort, n.certs.srvCert, n.certs.srvKey)
	if err := os.WriteFile(n.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *nginxLab) start() {
	n.t.Helper()
	n.cmd = exec.Command(n.bin, "-p", n.dir, "-c", n.conf, "-e", filepath.Join(n.dir, "logs", "error.log"))
	n.cmd.Stderr = os.Stderr
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.done = make(chan struct{})
	go func(c *exec.Cmd, d chan struct{}) { c.Wait(); close(d) }(n.cmd, n.done)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", n.addr(n.tlsPort).String(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(n.dir, "logs", "error.log"))
			n.t.Fatalf("nginx did not start: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills nginx by PID and waits for it.
func (n *nginxLab) stop() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
	n.cmd = nil
}

func (n *nginxLab) addr(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}

func TestNginxHTTPAndSSL(t *testing.T) {
	n := newNginx(t)
	h := n.addr(n.httpPort)
	s := n.addr(n.tlsPort)
	tests := []struct {
		name   string
		spec   HTTPSpec
		reason Reason
		status int
	}{
		{"index digest", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/index.html", Digest: md5hex(page)}}}, ReasonOK, 0},
		{"index 1.1", HTTPSpec{Target: h, Protocol: 2, URLs: []URLSpec{{Path: "/", Digest: md5hex(page)}}}, ReasonOK, 0},
		{"digest mismatch", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/index.html", Digest: md5hex([]byte("x"))}}}, ReasonDigestMismatch, 0},
		{"503", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/503"}}}, ReasonBadStatus, 503},
		{"404", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/missing"}}}, ReasonBadStatus, 404},
		{"301 not followed", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/moved"}}}, ReasonBadStatus, 301},
		{"301 in range", HTTPSpec{Target: h, URLs: []URLSpec{{Path: "/moved", Status: []StatusRange{{Min: 300, Max: 399}}}}}, ReasonOK, 0},
		{"ssl default server", HTTPSpec{Target: s, TLS: true, URLs: []URLSpec{{Path: "/", Digest: md5hex([]byte("site B\n"))}}}, ReasonOK, 0},
		{"ssl sni a", HTTPSpec{Target: s, TLS: true, SNI: true, VirtualHost: "a.example", URLs: []URLSpec{{Path: "/", Digest: md5hex([]byte("site A\n"))}}}, ReasonOK, 0},
		{"ssl sni b verified", HTTPSpec{Target: s, TLS: true, SNI: true, CAFile: n.certs.ca, VirtualHost: "b.example", URLs: []URLSpec{{Path: "/", Digest: md5hex([]byte("site B\n"))}}}, ReasonOK, 0},
		// nginx picks the server block by Host; $ssl_server_name shows the SNI.
		{"ssl sni sent", HTTPSpec{Target: s, TLS: true, SNI: true, VirtualHost: "a.example", URLs: []URLSpec{{Path: "/sni", Digest: md5hex([]byte("sni=a.example\n"))}}}, ReasonOK, 0},
		{"ssl sni not sent", HTTPSpec{Target: s, TLS: true, VirtualHost: "a.example", URLs: []URLSpec{{Path: "/sni", Digest: md5hex([]byte("sni=\n"))}}}, ReasonOK, 0},
		{"ssl to http port", HTTPSpec{Target: h, TLS: true, URLs: []URLSpec{{Path: "/"}}}, ReasonTLS, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Timeout = 3 * time.Second
			r := mustHTTP(t, tt.spec).Check(context.Background())
			if r.Reason != tt.reason || r.Status != tt.status {
				t.Fatalf("%s, want %v %d", r.Detail(), tt.reason, tt.status)
			}
		})
	}
}

// TestNginxSchedulerTransitions drives the scheduler with real checkers
// against nginx: UP, nginx killed => DOWN (refused) after retry+1 failures,
// nginx restarted => UP; a misc_dynamic script sets the weight.
func TestNginxSchedulerTransitions(t *testing.T) {
	n := newNginx(t)
	hc := mustHTTP(t, HTTPSpec{Target: n.addr(n.httpPort), Timeout: time.Second, URLs: []URLSpec{{Path: "/index.html", Digest: md5hex(page)}}})
	sc := mustHTTP(t, HTTPSpec{Target: n.addr(n.tlsPort), TLS: true, SNI: true, VirtualHost: "a.example", Timeout: time.Second, URLs: []URLSpec{{Path: "/"}}})
	wfile := filepath.Join(t.TempDir(), "weight")
	os.WriteFile(wfile, []byte("12"), 0o644)
	mc, err := NewMiscChecker(MiscSpec{Scripts: execScripts{}, Argv: []string{"/bin/sh", "-c", "exit $(cat " + wfile + ")"}, Timeout: 2 * time.Second, Dynamic: true})
	if err != nil {
		t.Fatal(err)
	}
	pol := Policy{DelayLoop: 200 * time.Millisecond, Retry: 2, DelayBeforeRetry: 100 * time.Millisecond}
	updates := make(chan Update, 100)
	var mu sync.Mutex
	var notified []string
	s := New(Options{Workers: 4, OnUpdate: func(u Update) { updates <- u }, RunScript: func(argv []string, _ *Credential) {
		mu.Lock()
		notified = append(notified, strings.Join(argv, " "))
		mu.Unlock()
	}})
	key := RealServerKey{VirtualServer: "10.0.0.100:80", Addr: netip.MustParseAddr("127.0.0.1"), Port: n.httpPort}
	s.Set([]RealServerSpec{{Key: key, Weight: 1, Alpha: true, NotifyUp: []string{"up"}, NotifyDown: []string{"down"}, Checks: []CheckConfig{
		{Name: "http_get", Checker: hc, Policy: pol},
		{Name: "ssl_get", Checker: sc, Policy: pol},
		{Name: "misc_check", Checker: mc, Policy: pol},
	}}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	next := func(what string) Update {
		t.Helper()
		select {
		case u := <-updates:
			return u
		case <-time.After(10 * time.Second):
			t.Fatalf("no update: %s", what)
		}
		return Update{}
	}
	if u := next("initial"); u.Up {
		t.Fatalf("alpha: initial update %+v", u)
	}
	if u := next("up"); !u.Up || u.Weight != 10 {
		t.Fatalf("want UP with dynamic weight 10, got %+v", u)
	}
	os.WriteFile(wfile, []byte("7"), 0o644)
	if u := next("weight"); !u.Up || u.Weight != 5 {
		t.Fatalf("want weight 5, got %+v", u)
	}
	killed := time.Now()
	n.stop()
	u := next("down")
	if u.Up || u.Reason != ReasonRefused {
		t.Fatalf("want DOWN refused, got %+v", u)
	}
	// retry 2: three failures 100 ms apart after the last success (<= 200 ms + jitter before).
	if el := time.Since(killed); el < 200*time.Millisecond || el > 10*time.Second {
		t.Errorf("DOWN %v after the kill", el)
	}
	n.start()
	if u := next("up again"); !u.Up || u.Weight != 5 {
		t.Fatalf("want UP again, got %+v", u)
	}
	// retry 2 means at least three failures were counted. Not all of them
	// need be "refused": a check in flight while nginx shuts down can see
	// its connection reset or time out instead.
	v := s.View()
	var failures uint64
	for r, n := range v.Results {
		if Reason(r) != ReasonOK {
			failures += n
		}
	}
	if failures < 3 || v.Results[ReasonRefused] == 0 {
		t.Errorf("failures counted %d times (refused %d), want at least 3 with refused among them: %v",
			failures, v.Results[ReasonRefused], v.Results)
	}
	// notify scripts run right after the update is delivered.
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got = strings.Join(notified, ",")
		mu.Unlock()
		if got == "up,down,up" {
			break
		}
	}
	if got != "up,down,up" {
		t.Errorf("notify scripts %q", got)
	}
}
