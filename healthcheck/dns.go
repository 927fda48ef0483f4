package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/miekg/dns"
)

// DNSTypes are the query types dns_check accepts (keepalived's list).
var DNSTypes = map[string]uint16{
	"A": dns.TypeA, "NS": dns.TypeNS, "CNAME": dns.TypeCNAME, "SOA": dns.TypeSOA,
	"MX": dns.TypeMX, "TXT": dns.TypeTXT, "AAAA": dns.TypeAAAA,
}

// DNSSpec is a dns_check: one query of Type for Name (recursion desired)
// over UDP.
type DNSSpec struct {
	UDPConn
	Type string // a key of DNSTypes
	Name string // "" or "." = the root
}

// DNSChecker is a dns_check checker.
type DNSChecker struct {
	spec  DNSSpec
	key   string
	query []byte // packed query; its id is rewritten per check
}

var _ Checker = (*DNSChecker)(nil)

// dnsBufSize bounds a reply read (keepalived: 768).
const dnsBufSize = 768

// NewDNSChecker packs the query once.
func NewDNSChecker(spec DNSSpec) (*DNSChecker, error) {
	if !spec.Target.IsValid() {
		return nil, errors.New("healthcheck: dns check: invalid target")
	}
	qt, ok := DNSTypes[strings.ToUpper(spec.Type)]
	if !ok {
		return nil, fmt.Errorf("healthcheck: dns check: unknown type %q", spec.Type)
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(spec.Name), qt)
	m.RecursionDesired = true
	q, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("healthcheck: dns check: name %q: %w", spec.Name, err)
	}
	return &DNSChecker{spec: spec, key: fmt.Sprintf("dns%+v", spec), query: q}, nil
}

// Key implements Checker.
func (c *DNSChecker) Key() string { return c.key }

func (c *DNSChecker) String() string {
	return "dns_check " + c.spec.Target.String() + " " + c.spec.Type + " " + dns.Fqdn(c.spec.Name)
}

// Check sends the query with a fresh id and waits for its reply.
func (c *DNSChecker) Check(ctx context.Context) Result {
	q := make([]byte, len(c.query))
	copy(q, c.query)
	id := uint16(rand.Uint32())
	q[0], q[1] = byte(id>>8), byte(id)
	buf := make([]byte, dnsBufSize)
	return udpExchange(ctx, c.spec.UDPConn, q, buf, false, func(b []byte) (Result, bool) {
		return DNSReply(b, id)
	})
}

// DNSReply judges one datagram received for the query with id, as
// keepalived: shorter than a header, another id, or not a response (QR
// clear) is ignored (final false: wait for another); rcode other than
// NOERROR is down; else up. A reply with the id that does not parse as a
// DNS message is down (bad_response; keepalived reads only the header).
func DNSReply(b []byte, id uint16) (r Result, final bool) {
	if len(b) < 12 || uint16(b[0])<<8|uint16(b[1]) != id || b[2]&0x80 == 0 {
		return Result{}, false
	}
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		return Result{Reason: ReasonBadResponse, ExitCode: -1, Weight: -1, Err: fmt.Errorf("dns reply: %w", err)}, true
	}
	if m.Rcode != dns.RcodeSuccess {
		return Result{Reason: ReasonDNSRcode, Status: m.Rcode, ExitCode: -1, Weight: -1,
			Err: fmt.Errorf("rcode %s", dns.RcodeToString[m.Rcode])}, true
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1}, true
}
