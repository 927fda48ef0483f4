package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/miekg/dns"
)

// fakeUDP answers every datagram on loopback with what answer returns
// (nothing when it returns nil; several datagrams when it returns more).
func fakeUDP(t testing.TB, answer func(q []byte) [][]byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, a := range answer(append([]byte(nil), buf[:n]...)) {
				pc.WriteTo(a, from)
			}
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func dnsAnswer(t *testing.T, q []byte, edit func(m *dns.Msg)) []byte {
	var m dns.Msg
	if err := m.Unpack(q); err != nil {
		t.Errorf("query does not parse: %v", err)
		return nil
	}
	r := new(dns.Msg)
	r.SetReply(&m)
	edit(r)
	b, err := r.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDNSCheckerReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(q []byte) [][]byte
		want   Reason
		status int
	}{
		{"noerror", func(q []byte) [][]byte { return [][]byte{dnsAnswer(t, q, func(*dns.Msg) {})} }, ReasonOK, 0},
		{"servfail", func(q []byte) [][]byte {
			return [][]byte{dnsAnswer(t, q, func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure })}
		}, ReasonDNSRcode, dns.RcodeServerFailure},
		{"other id, short, query, then the reply", func(q []byte) [][]byte {
			good := dnsAnswer(t, q, func(*dns.Msg) {})
			other := append([]byte(nil), good...)
			other[0] ^= 0xff
			query := append([]byte(nil), q...)
			return [][]byte{other, good[:5], query, good}
		}, ReasonOK, 0},
		{"garbage with the id", func(q []byte) [][]byte { return [][]byte{append(q[:2:2], 0x80, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0xff)} }, ReasonBadResponse, 0},
		{"silent", func([]byte) [][]byte { return nil }, ReasonNoReply, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeUDP(t, tc.answer)
			c, err := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: addr, Timeout: 300 * time.Millisecond}, Type: "A", Name: "www.example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Check(context.Background()); r.Reason != tc.want || r.Status != tc.status {
				t.Errorf("got %s (status %d), want %s status %d", r.Detail(), r.Status, tc.want, tc.status)
			}
		})
	}
}

func TestDNSQuery(t *testing.T) {
	queries := make(chan []byte, 1)
	addr := fakeUDP(t, func(q []byte) [][]byte {
		queries <- q
		return [][]byte{dnsAnswer(t, q, func(*dns.Msg) {})}
	})
	c, _ := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: addr, Timeout: time.Second}, Type: "SOA"})
	if r := c.Check(context.Background()); !r.OK() {
		t.Fatal(r.Detail())
	}
	var got dns.Msg
	if err := got.Unpack(<-queries); err != nil {
		t.Fatal(err)
	}
	if len(got.Question) != 1 || got.Question[0].Name != "." || got.Question[0].Qtype != dns.TypeSOA || got.Question[0].Qclass != dns.ClassINET || !got.RecursionDesired {
		t.Errorf("query %v", got)
	}
	if _, err := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: addr}, Type: "PTR"}); err == nil {
		t.Error("type PTR accepted")
	}
}

func TestDNSPortUnreachable(t *testing.T) {
	c, _ := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: netip.AddrPortFrom(loopback, freeUDPPort(t)), Timeout: 2 * time.Second}, Type: "A", Name: "x"})
	if r := c.Check(context.Background()); r.Reason != ReasonPortUnreachable {
		t.Errorf("got %s, want port_unreachable", r.Detail())
	}
}

// TestDNSDnsmasq runs the checker against Debian's dnsmasq on loopback
// (no upstream: it answers its own names, REFUSED for the rest): up for
// a name it serves; dns_rcode for NXDOMAIN and REFUSED; port_unreachable
// once it stops; up again when it is back.
func TestDNSDnsmasq(t *testing.T) {
	bin := testenv.NeedBinary(t, "dnsmasq")
	port := freeUDPPort(t)
	addr := netip.AddrPortFrom(loopback, port)
	check := func(typ, name string) Result {
		c, err := NewDNSChecker(DNSSpec{UDPConn: UDPConn{Target: addr, Timeout: time.Second}, Type: typ, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return c.Check(context.Background())
	}
	start := func() *server {
		return startServer(t, func() bool { return check("A", "ok.test").OK() },
			bin, "-d", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=",
			"--user=root", "--listen-address=127.0.0.1", "--bind-interfaces", "--port="+strconv.Itoa(int(port)),
			"--address=/ok.test/10.9.9.9", "--address=/nx.test/")
	}
	s := start()
	for _, tc := range []struct {
		typ, name string
		want      Reason
		status    int
	}{
		{"A", "ok.test", ReasonOK, 0},
		{"A", "www.nx.test", ReasonDNSRcode, dns.RcodeNameError},
		{"SOA", "", ReasonDNSRcode, dns.RcodeRefused},
	} {
		if r := check(tc.typ, tc.name); r.Reason != tc.want || r.Status != tc.status {
			t.Errorf("%s %s: got %s, want %s %d", tc.typ, tc.name, r.Detail(), tc.want, tc.status)
		}
	}
	s.stop()
	if r := check("A", "ok.test"); r.Reason != ReasonPortUnreachable {
		t.Errorf("stopped: got %s, want port_unreachable", r.Detail())
	}
	start()
	if r := check("A", "ok.test"); !r.OK() {
		t.Errorf("back: %s", r.Detail())
	}
}

// FuzzDNSReply: any datagram is judged without panic; a final verdict
// needs the query's id and QR set.
func FuzzDNSReply(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	m.Id = 0x1234
	r := new(dns.Msg)
	r.SetReply(m)
	r.Answer = append(r.Answer, &dns.A{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, 0, 1)})
	good, _ := r.Pack()
	f.Add(good)
	r.Rcode = dns.RcodeRefused
	refused, _ := r.Pack()
	f.Add(refused)
	f.Add(good[:12])
	f.Add([]byte{0x12, 0x34, 0x80, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		res, final := DNSReply(b, 0x1234)
		if final && (len(b) < 12 || b[0] != 0x12 || b[1] != 0x34 || b[2]&0x80 == 0) {
			t.Fatalf("final verdict %s for a datagram that is not our reply", res.Reason)
		}
		if !final && res.Reason != ReasonOK {
			t.Fatalf("non-final with reason %s", res.Reason)
		}
	})
}

// fakeUDPB is an echo for benchmarks.
func fakeUDPB(b *testing.B) netip.AddrPort {
	return fakeUDP(b, func(q []byte) [][]byte { return [][]byte{q} })
}
