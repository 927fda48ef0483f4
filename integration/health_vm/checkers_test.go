package health_vm

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/miekg/dns"
)

// udpService is a UDP server in a node's namespace (a DNS responder built
// on miekg/dns, or an echo) that can be stopped and started again.
type udpService struct {
	t      *testing.T
	node   *netlab.Node
	addr   string
	answer func(q []byte) []byte
	mu     sync.Mutex
	pc     net.PacketConn // guarded by mu; nil when stopped
	done   chan struct{}
}

func (s *udpService) start() {
	s.t.Helper()
	var pc net.PacketConn
	if err := s.node.Do(func() (err error) { pc, err = net.ListenPacket("udp4", s.addr); return err }); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if a := s.answer(buf[:n]); a != nil {
				pc.WriteTo(a, from)
			}
		}
	}()
	s.mu.Lock()
	s.pc, s.done = pc, done
	s.mu.Unlock()
}

func (s *udpService) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pc != nil {
		s.pc.Close()
		<-s.done
		s.pc = nil
	}
}

// smtpService is a minimal SMTP responder in a node's namespace: 220
// greeting, 250 to HELO, 221 to QUIT.
type smtpService struct {
	t    *testing.T
	node *netlab.Node
	mu   sync.Mutex
	ln   net.Listener // guarded by mu; nil when stopped
	done chan struct{}
}

func (s *smtpService) start() {
	s.t.Helper()
	var ln net.Listener
	if err := s.node.Do(func() (err error) { ln, err = net.Listen("tcp4", ":25"); return err }); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("220 " + s.node.Name + " ESMTP test\r\n"))
				br := bufio.NewReader(c)
				for {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(strings.ToUpper(l), "HELO "):
						c.Write([]byte("250 " + s.node.Name + "\r\n"))
					case strings.HasPrefix(strings.ToUpper(l), "QUIT"):
						c.Write([]byte("221 bye\r\n"))
						return
					default:
						c.Write([]byte("502 no\r\n"))
					}
				}
			}()
		}
	}()
	s.mu.Lock()
	s.ln, s.done = ln, done
	s.mu.Unlock()
}

func (s *smtpService) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		<-s.done
		s.ln = nil
	}
}

// dnsAnswer answers A ok.test with 10.9.9.9, NXDOMAIN otherwise.
func dnsAnswer(q []byte) []byte {
	var m dns.Msg
	if m.Unpack(q) != nil || len(m.Question) != 1 {
		return nil
	}
	r := new(dns.Msg)
	r.SetReply(&m)
	if m.Question[0].Name == "ok.test." && m.Question[0].Qtype == dns.TypeA {
		r.Answer = append(r.Answer, &dns.A{Hdr: dns.RR_Header{Name: "ok.test.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.IPv4(10, 9, 9, 9)})
	} else {
		r.Rcode = dns.RcodeNameError
	}
	b, _ := r.Pack()
	return b
}

const checkersConf = `
[[virtual_server]]
ip = "172.16.0.100"
port = 53
protocol = "UDP"
lb_algo = "rr"
lb_kind = "NAT"
delay_loop = 1
retry = 1
delay_before_retry = 1
connect_timeout = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
[[virtual_server.real_server.dns_check]]
type = "A"
name = "ok.test"

[[virtual_server.real_server]]
ip = "10.99.0.3"
[[virtual_server.real_server.dns_check]]
type = "A"
name = "ok.test"

[[virtual_server]]
ip = "172.16.0.100"
port = 7
protocol = "UDP"
lb_algo = "rr"
lb_kind = "NAT"
delay_loop = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
[[virtual_server.real_server.udp_check]]
payload = "70 69 6e 67"
reply = "70 69 6e 67"
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "10.99.0.3"
[[virtual_server.real_server.udp_check]]
payload = "70 69 6e 67"
reply = "70 69 6e 67"
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server]]
ip = "172.16.0.100"
port = 25
lb_algo = "rr"
lb_kind = "NAT"
delay_loop = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
retry = 1
delay_before_retry = 1
connect_timeout = 1
[[virtual_server.real_server.smtp_check]]
helo_name = "director.test"

[[virtual_server.real_server]]
ip = "10.99.0.3"
retry = 1
delay_before_retry = 1
connect_timeout = 1
[[virtual_server.real_server.smtp_check]]
helo_name = "director.test"
`

// TestNewCheckersDriveIPVS: dns_check, udp_check and smtp_check keep the
// real servers of two UDP services and a TCP one in the kernel's IPVS
// table: rs1's DNS responder stops => rs1 leaves the port-53 service (ICMP
// port unreachable) only; its echo stops => it leaves port 7 too; its SMTP
// server stops => port 25 too (refused); all restart => rs1 is back in
// all three.
func TestNewCheckersDriveIPVS(t *testing.T) {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	lvsd := testenv.LvsdBinary(t)
	lab := netlab.New(t, "dir", "rs1", "rs2")
	dir, rs1, rs2 := lab.Node("dir"), lab.Node("rs1"), lab.Node("rs2")
	for _, c := range [][]string{
		{"ip", "addr", "add", "172.16.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", vip.String() + "/32", "dev", "eth0"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
	} {
		dir.MustExec(c[0], c[1:]...)
	}
	dnsSrv, echo, smtp := map[string]*udpService{}, map[string]*udpService{}, map[string]*smtpService{}
	for _, n := range []*netlab.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "10.99.0.1")
		d := &udpService{t: t, node: n, addr: ":53", answer: dnsAnswer}
		e := &udpService{t: t, node: n, addr: ":7", answer: func(q []byte) []byte { return append([]byte(nil), q...) }}
		m := &smtpService{t: t, node: n}
		d.start()
		e.start()
		m.start()
		t.Cleanup(d.stop)
		t.Cleanup(e.stop)
		t.Cleanup(m.stop)
		dnsSrv[n.Name], echo[n.Name], smtp[n.Name] = d, e, m
	}
	p, c := startDirector(t, dir, lvsd, checkersConf)
	dests := func(port uint16) string {
		proto := ipvs.UDP
		if port == 25 {
			proto = ipvs.TCP
		}
		return destsOf(c, ipvs.ServiceKey{Protocol: proto, Addr: vip, Port: port})
	}
	wait := func(what string, dnsWant, echoWant, smtpWant string) {
		t.Helper()
		start := time.Now()
		if !netlab.WaitFor(30*time.Second, func() bool { return dests(53) == dnsWant && dests(7) == echoWant && dests(25) == smtpWant }) {
			t.Fatalf("%s: port 53 %q (want %q), port 7 %q (want %q), port 25 %q (want %q)", what, dests(53), dnsWant, dests(7), echoWant, dests(25), smtpWant)
		}
		t.Logf("%s: table as expected after %v", what, time.Since(start).Round(10*time.Millisecond))
	}
	both53, both7, both25 := "10.99.0.2:53,10.99.0.3:53", "10.99.0.2:7,10.99.0.3:7", "10.99.0.2:25,10.99.0.3:25"
	wait("start", both53, both7, both25)
	dnsSrv["rs1"].stop()
	wait("rs1 DNS stopped", "10.99.0.3:53", both7, both25)
	echo["rs1"].stop()
	wait("rs1 echo stopped", "10.99.0.3:53", "10.99.0.3:7", both25)
	smtp["rs1"].stop()
	wait("rs1 SMTP stopped", "10.99.0.3:53", "10.99.0.3:7", "10.99.0.3:25")
	dnsSrv["rs1"].start()
	echo["rs1"].start()
	smtp["rs1"].start()
	wait("rs1 restarted", both53, both7, both25)
	out := p.Out.String()
	for _, r := range []string{"reason=port_unreachable", "reason=refused"} {
		if !strings.Contains(out, r) {
			t.Errorf("lvsd did not log %s:\n%s", r, out)
		}
	}
}
