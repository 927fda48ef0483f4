package directorbench

import (
	"fmt"
	"net/netip"
	"strings"
)

// table describes a generated configuration: vs virtual servers (TCP port
// 80, wrr, NAT) with rs real servers each (port 8080, weight 1).
type table struct {
	vs, rs int
	// check is "" (no checkers), "tcp" (TCP_CHECK) or "http" (HTTP_GET on
	// /health, status 200), with delay_loop 1 s.
	check string
	// bumped sets the weight of real server bumpRS of virtual server
	// bumpVS to 5 (the one-weight reload).
	bumped bool
}

const (
	checkPort = 8080
	bumpRS    = 3
)

func (t table) bumpVS() int { return t.vs / 2 }

// svcAddr is virtual server i's address, in ascending order: keepalived
// adds the services in the file's order and lvsd in sorted order, so the
// last one of the file is the last one both add.
func svcAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)})
}

// rsAddr is real server j of virtual server i: 10.2.j.x, all inside
// 10.2.0.0/16 (local to the namespace in the check scenarios).
func rsAddr(i, j int) netip.Addr { return netip.AddrFrom4([4]byte{10, 2, byte(j), byte(i%250 + 1)}) }

func (t table) weight(i, j int) int {
	if t.bumped && i == t.bumpVS() && j == bumpRS {
		return 5
	}
	return 1
}

// keepalived renders the table as keepalived.conf.
func (t table) keepalived() string {
	var b strings.Builder
	b.WriteString("global_defs {\n  router_id bench\n}\n")
	for i := range t.vs {
		fmt.Fprintf(&b, "virtual_server %s 80 {\n  delay_loop 1\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n", svcAddr(i))
		for j := range t.rs {
			fmt.Fprintf(&b, "  real_server %s %d {\n    weight %d\n", rsAddr(i, j), checkPort, t.weight(i, j))
			switch t.check {
			case "tcp":
				b.WriteString("    TCP_CHECK {\n      connect_timeout 3\n    }\n")
			case "http":
				b.WriteString("    HTTP_GET {\n      url {\n        path /health\n        status_code 200\n      }\n      connect_timeout 3\n    }\n")
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// lvsd renders the same table as lvsd's TOML.
func (t table) lvsd() string {
	var b strings.Builder
	b.WriteString("[global]\nrouter_id = \"bench\"\n")
	for i := range t.vs {
		fmt.Fprintf(&b, "\n[[virtual_server]]\nip = \"%s\"\nport = 80\ndelay_loop = 1\nlb_algo = \"wrr\"\nlb_kind = \"NAT\"\nprotocol = \"TCP\"\n", svcAddr(i))
		for j := range t.rs {
			fmt.Fprintf(&b, "\n[[virtual_server.real_server]]\nip = \"%s\"\nport = %d\nweight = %d\n", rsAddr(i, j), checkPort, t.weight(i, j))
			switch t.check {
			case "tcp":
				b.WriteString("[[virtual_server.real_server.tcp_check]]\nconnect_timeout = 3\n")
			case "http":
				b.WriteString("[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/health\", status_code = [200] }]\nconnect_timeout = 3\n")
			}
		}
	}
	return b.String()
}
