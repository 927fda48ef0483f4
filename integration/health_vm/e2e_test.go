package health_vm

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

var (
	vip    = netip.MustParseAddr("172.16.0.100") // NAT service address, clients in 172.16.0.0/24
	client = netip.MustParseAddr("172.16.0.4")
)

// server is an HTTP server in a node's namespace that can be stopped and
// started again on the same address.
type server struct {
	t    *testing.T
	node *netlab.Node
	addr string
	body string
	mu   sync.Mutex
	srv  *http.Server // guarded by mu; nil when stopped
}

func (s *server) start() {
	s.t.Helper()
	var ln net.Listener
	err := s.node.Do(func() (err error) { ln, err = net.Listen("tcp4", s.addr); return err })
	if err != nil {
		s.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, s.body) }), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

func (s *server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

const conf = `
[[virtual_server]]
ip = "172.16.0.100"
port = 80
lb_algo = "rr"
lb_kind = "NAT"
delay_loop = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
port = 80

[[virtual_server.real_server.http_get]]
url = [{ path = "/", digest = "%s" }]
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "10.99.0.3"
port = 80

[[virtual_server.real_server.http_get]]
url = [{ path = "/", digest = "%s" }]
connect_timeout = 1
retry = 1
delay_before_retry = 1
`

// TestHealthDrivesIPVS: both real servers in the table; HTTP stopped on rs1
// => rs1 leaves the table within delay_loop + retry x delay_before_retry +
// connect_timeout (+ scheduling slack) and the VIP answers only from rs2;
// HTTP restarted => rs1 is back and answers again.
func TestHealthDrivesIPVS(t *testing.T) {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	lvsd := testenv.LvsdBinary(t)
	lab := netlab.New(t, "dir", "rs1", "rs2", "cl")
	dir, rs1, rs2, cl := lab.Node("dir"), lab.Node("rs1"), lab.Node("rs2"), lab.Node("cl")
	for _, c := range [][]string{
		{"ip", "addr", "add", "172.16.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", vip.String() + "/32", "dev", "eth0"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"},
		{"sysctl", "-qw", "net.ipv4.conf.eth0.send_redirects=0"},
		{"sysctl", "-qw", "net.ipv4.vs.conntrack=1"},
	} {
		dir.MustExec(c[0], c[1:]...)
	}
	cl.MustExec("ip", "addr", "add", client.String()+"/24", "dev", "eth0")
	servers := map[string]*server{}
	for _, n := range []*netlab.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "10.99.0.1")
		n.MustExec("sysctl", "-qw", "net.ipv4.conf.all.accept_redirects=0")
		s := &server{t: t, node: n, addr: ":80", body: n.Name + "\n"}
		s.start()
		t.Cleanup(s.stop)
		servers[n.Name] = s
	}
	// The configured digests: MD5 of each server's body, as genhash prints.
	digest := md5hex
	cfgPath := filepath.Join(t.TempDir(), "lvsd.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(conf, digest("rs1\n"), digest("rs2\n"))), 0o644); err != nil {
		t.Fatal(err)
	}
	p := dir.Start(lvsd, "run", "-f", cfgPath, "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd output:\n%s", p.Out.String())
		}
	})

	var c ipvs.Client
	if err := dir.Do(func() (err error) { c, err = ipvs.New(); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vip, Port: 80}
	dests := func() []string {
		ds, err := c.Destinations(svc)
		if err != nil {
			return nil
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.DestKey.String())
		}
		sort.Strings(out)
		return out
	}
	waitDests := func(what string, want ...string) time.Time {
		t.Helper()
		if !netlab.WaitFor(30*time.Second, func() bool { return strings.Join(dests(), ",") == strings.Join(want, ",") }) {
			t.Fatalf("%s: destinations %v, want %v", what, dests(), want)
		}
		return time.Now()
	}
	both := []string{"10.99.0.2:80", "10.99.0.3:80"}
	waitDests("start", both...)
	if got := bodies(t, cl, 4); got["rs1\n"] != 2 || got["rs2\n"] != 2 {
		t.Fatalf("through the VIP: %v, want rs1 and rs2 twice each", got)
	}

	stopped := time.Now()
	servers["rs1"].stop()
	removed := waitDests("rs1 stopped", "10.99.0.3:80")
	// delay_loop 1 + retry 1 x delay_before_retry 1 + connect_timeout 1,
	// plus 10% jitter and the VM's slowness.
	if el := removed.Sub(stopped); el > 6*time.Second {
		t.Errorf("rs1 removed %v after its HTTP server stopped, want <= ~4 s", el)
	} else {
		t.Logf("rs1 removed %v after its HTTP server stopped", el.Round(10*time.Millisecond))
	}
	if got := bodies(t, cl, 4); got["rs2\n"] != 4 {
		t.Fatalf("through the VIP with rs1 down: %v, want rs2 only", got)
	}

	servers["rs1"].start()
	waitDests("rs1 restarted", both...)
	if got := bodies(t, cl, 4); got["rs1\n"] != 2 || got["rs2\n"] != 2 {
		t.Fatalf("through the VIP after recovery: %v", got)
	}
	if !strings.Contains(p.Out.String(), "reason=refused") {
		t.Errorf("lvsd did not log the failure reason:\n%s", p.Out.String())
	}
}

// bodies fetches http://VIP/ n times from the client, each on a new
// connection, and counts the answers.
func bodies(t *testing.T, cl *netlab.Node, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	err := cl.Do(func() error {
		for i := range n {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: client.AsSlice()}, Timeout: 3 * time.Second}
			conn, err := d.DialContext(context.Background(), "tcp4", netip.AddrPortFrom(vip, 80).String())
			if err != nil {
				return fmt.Errorf("request %d: %w", i, err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", vip)
			b, err := io.ReadAll(conn)
			conn.Close()
			if err != nil {
				return fmt.Errorf("request %d: %w", i, err)
			}
			_, body, _ := strings.Cut(string(b), "\r\n\r\n")
			got[body]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
