package ipvstest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

// Addresses of the lab (netlab gives 10.99.0.i/24 to node i).
var (
	natVIP    = netip.MustParseAddr("172.16.0.100") // NAT: clients in 172.16.0.0/24
	clientNAT = netip.MustParseAddr("172.16.0.4")
	drVIP     = netip.MustParseAddr("10.99.0.200") // DR: on the real servers' lo too
)

type lab struct {
	*netlab.Lab
	dir, rs1, rs2, cl *netlab.Node
	mgr               *ipvs.Manager
}

// newLab builds: dir (director, 10.99.0.1 + 172.16.0.1 + VIPs), rs1 and rs2
// (HTTP on :80 answering their name, and rs2 a "sorry" server on :8080), cl
// (client, 10.99.0.4 + 172.16.0.4). Real servers route via the director,
// so NAT replies come back through it.
func newLab(t *testing.T) *lab {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	l := &lab{Lab: netlab.New(t, "dir", "rs1", "rs2", "cl")}
	l.dir, l.rs1, l.rs2, l.cl = l.Node("dir"), l.Node("rs1"), l.Node("rs2"), l.Node("cl")
	for _, c := range [][]string{
		{"ip", "addr", "add", "172.16.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", natVIP.String() + "/32", "dev", "eth0"},
		{"ip", "addr", "add", drVIP.String() + "/32", "dev", "eth0"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"},
		{"sysctl", "-qw", "net.ipv4.conf.eth0.send_redirects=0"},
		{"sysctl", "-qw", "net.ipv4.vs.conntrack=1"},
	} {
		l.dir.MustExec(c[0], c[1:]...)
	}
	l.cl.MustExec("ip", "addr", "add", clientNAT.String()+"/24", "dev", "eth0")
	for _, rs := range []*netlab.Node{l.rs1, l.rs2} {
		for _, c := range [][]string{
			{"ip", "route", "add", "default", "via", "10.99.0.1"},
			{"ip", "addr", "add", drVIP.String() + "/32", "dev", "lo"},
			{"sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"},
			{"sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2"},
			{"sysctl", "-qw", "net.ipv4.conf.all.accept_redirects=0"},
		} {
			rs.MustExec(c[0], c[1:]...)
		}
		serveHTTP(t, rs, ":80", rs.Name)
	}
	serveHTTP(t, l.rs2, ":8080", "sorry")
	var c ipvs.Client
	if err := l.dir.Do(func() (err error) { c, err = ipvs.New(); return err }); err != nil {
		t.Fatal(err)
	}
	l.mgr = ipvs.NewManager(c, nil)
	t.Cleanup(func() { _ = l.mgr.Close(true) })
	return l
}

// serveHTTP runs an HTTP server in the node's namespace answering body.
func serveHTTP(t *testing.T, n *netlab.Node, addr, body string) {
	var ln net.Listener
	if err := n.Do(func() (err error) { ln, err = net.Listen("tcp4", addr); return err }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, body)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// get fetches http://vip:port/ n times from the client namespace, each on a
// new connection from src, and returns the bodies.
func (l *lab) get(t *testing.T, src, vip netip.Addr, port uint16, n int) []string {
	t.Helper()
	var out []string
	err := l.cl.Do(func() error {
		for i := range n {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 3 * time.Second}
			conn, err := d.Dial("tcp4", netip.AddrPortFrom(vip, port).String())
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
			out = append(out, body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(bodies []string) map[string]int {
	m := map[string]int{}
	for _, b := range bodies {
		m[b]++
	}
	return m
}

func rs(addr string, port uint16, fwd ipvs.Forward, w uint32) ipvs.RealServer {
	return ipvs.RealServer{Destination: ipvs.Destination{DestKey: ipvs.DestKey{Addr: netip.MustParseAddr(addr), Port: port}, Forward: fwd, Weight: w}}
}

// apply computes the desired table from vs and health and applies it.
func (l *lab) apply(t *testing.T, health map[ipvs.RealKey]ipvs.Health, vss ...ipvs.VirtualServer) {
	t.Helper()
	tab, _, _ := ipvs.Compute(vss, health, nil, nil)
	if err := l.mgr.Apply(context.Background(), tab); err != nil {
		t.Fatal(err)
	}
}

func TestEndToEndNAT(t *testing.T) {
	l := newLab(t)
	key := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: natVIP, Port: 80}
	vs := ipvs.VirtualServer{
		Name:     "nat",
		Services: []ipvs.Service{{ServiceKey: key, Scheduler: "rr"}},
		Reals:    []ipvs.RealServer{rs("10.99.0.2", 80, ipvs.NAT, 1), rs("10.99.0.3", 80, ipvs.NAT, 1)},
		Sorry:    &ipvs.Destination{DestKey: ipvs.DestKey{Addr: netip.MustParseAddr("10.99.0.3"), Port: 8080}, Forward: ipvs.NAT},
	}
	vs.Reals[1].InhibitOnFailure = true
	l.apply(t, nil, vs)

	t.Run("rr alternates", func(t *testing.T) {
		got := l.get(t, clientNAT, natVIP, 80, 6)
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] || (got[i] != "rs1" && got[i] != "rs2") {
				t.Fatalf("answers %q do not alternate between rs1 and rs2", got)
			}
		}
	})
	t.Run("wrr follows weights", func(t *testing.T) {
		vs := vs
		vs.Services = []ipvs.Service{{ServiceKey: key, Scheduler: "wrr"}}
		vs.Reals = []ipvs.RealServer{rs("10.99.0.2", 80, ipvs.NAT, 3), rs("10.99.0.3", 80, ipvs.NAT, 1)}
		l.apply(t, nil, vs)
		got := count(l.get(t, clientNAT, natVIP, 80, 12))
		if got["rs1"] != 9 || got["rs2"] != 3 {
			t.Fatalf("wrr 3:1 over 12 requests gave %v, want rs1:9 rs2:3", got)
		}
	})
	t.Run("inhibited real server at weight 0 gets nothing", func(t *testing.T) {
		down := map[ipvs.RealKey]ipvs.Health{{VirtualServer: "nat", Dest: vs.Reals[1].DestKey}: {Up: false}}
		l.apply(t, down, vs)
		st, err := l.mgr.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || len(st[0].Destinations) != 2 || st[0].Destinations[1].Weight != 0 {
			t.Fatalf("kernel table %+v: want rs2 present at weight 0", st[0].Destinations)
		}
		if got := count(l.get(t, clientNAT, natVIP, 80, 4)); got["rs1"] != 4 {
			t.Fatalf("answers %v, want rs1 only", got)
		}
	})
	t.Run("sorry server when no real server is left", func(t *testing.T) {
		down := map[ipvs.RealKey]ipvs.Health{
			{VirtualServer: "nat", Dest: vs.Reals[0].DestKey}: {Up: false},
			{VirtualServer: "nat", Dest: vs.Reals[1].DestKey}: {Up: false},
		}
		l.apply(t, down, vs)
		if got := count(l.get(t, clientNAT, natVIP, 80, 3)); got["sorry"] != 3 {
			t.Fatalf("answers %v, want the sorry server", got)
		}
		l.apply(t, nil, vs)
		if got := count(l.get(t, clientNAT, natVIP, 80, 2)); got["sorry"] != 0 {
			t.Fatalf("answers %v after recovery: sorry server still used", got)
		}
	})
	t.Run("statistics count connections", func(t *testing.T) {
		conns := func() (uint64, uint64) {
			st, err := l.mgr.Stats()
			if err != nil || len(st) != 1 {
				t.Fatalf("stats %v %v", st, err)
			}
			return st[0].Stats.Connections, st[0].Stats.InBytes
		}
		// The kernel folds its per-CPU counters into the totals in its
		// 2-second estimator run: start from settled counters.
		c0, b0 := conns()
		for range 5 {
			time.Sleep(2100 * time.Millisecond)
			c, b := conns()
			if c == c0 {
				break
			}
			c0, b0 = c, b
		}
		l.get(t, clientNAT, natVIP, 80, 5)
		var c1, b1 uint64
		netlab.WaitFor(10*time.Second, func() bool { c1, b1 = conns(); return c1-c0 >= 5 })
		if c1-c0 != 5 || b1 <= b0 {
			t.Fatalf("connections %d -> %d, in bytes %d -> %d: want +5 connections and more bytes", c0, c1, b0, b1)
		}
	})
}

func TestEndToEndDR(t *testing.T) {
	l := newLab(t)
	key := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: drVIP, Port: 80}
	vs := ipvs.VirtualServer{
		Name:     "dr",
		Services: []ipvs.Service{{ServiceKey: key, Scheduler: "rr"}},
		Reals:    []ipvs.RealServer{rs("10.99.0.2", 80, ipvs.DR, 1), rs("10.99.0.3", 80, ipvs.DR, 1)},
	}
	l.apply(t, nil, vs)
	got := l.get(t, netip.MustParseAddr("10.99.0.4"), drVIP, 80, 6)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] || (got[i] != "rs1" && got[i] != "rs2") {
			t.Fatalf("DR answers %q do not alternate between rs1 and rs2", got)
		}
	}
}
