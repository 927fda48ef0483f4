package integration

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config/keepalived"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// convertCorpus are keepalived configurations whose meaning convert must
// keep: keepalived loading the .conf and lvsd loading the converted TOML
// send the same adverts and install the same VIPs.
var convertCorpus = []struct{ name, conf string }{
	{"v2 pass", `global_defs {
    router_id n1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 200
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cr3t
    }
    virtual_ipaddress {
        10.99.0.100/24 dev eth0
        10.99.0.101/24
    }
}
`},
	{"vrrp extras", `global_defs {
    router_id n1
    vrrp_min_garp
    vrrp_down_timer_adverts 2
    vrrp_higher_prio_send_advert
    vmac_prefix vm
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 53
    priority 200
    version 3
    advert_int 0.5
    mcast_dst_ip 224.0.0.19
    promote_secondaries
    kernel_rx_buf_size 65536
    garp_extra_if 30 all
    virtual_ipaddress {
        10.99.0.100/24
    }
}
`},
	{"v3 defs", `$PRIO=150
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority $PRIO
    version 3
    advert_int 0.5
    virtual_ipaddress {
~SEQ(n, 100, 102)        10.99.0.${n}/24
    }
}
`},
	{"syntax", `# definitions (one multi-line), @ID lines, ~LST, a block on one line
$IF=eth0
$VIPS=10.99.0.100/24 \
   10.99.0.101/24
@HOST $PRIO=210
@^HOST $PRIO=90
@nothost $PRIO=1
vrrp_instance VI_1 { interface $IF
    state MASTER
    virtual_router_id 53
    priority $PRIO ! the priority
    advert_int 2
    authentication { auth_type PASS
        auth_pass "pa ss"
    }
    virtual_ipaddress {
        $VIPS
~LST({a,b},{1,1},{2}) 10.99.0.${a}${b}/24
    }
}
`},
	{"v2 ah", `vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 54
    priority 180
    advert_int 1
    authentication {
        auth_type AH
        auth_pass s3cr3t
    }
    virtual_ipaddress {
        10.99.0.100/24
    }
}
`},
}

// TestConvertSameAdverts: field by field (the whole VRRP packet, TTL and
// destination), keepalived and lvsd on the converted file send the same
// advert as master and hold the same addresses.
func TestConvertSameAdverts(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	for _, tc := range convertCorpus {
		t.Run(tc.name, func(t *testing.T) {
			// keepalived (started without -i) matches @ lines against the
			// short host name, as convert does by default.
			conf := strings.ReplaceAll(tc.conf, "@HOST", "@"+keepalived.DefaultConfigID())
			conf = strings.ReplaceAll(conf, "@^HOST", "@^"+keepalived.DefaultConfigID())
			path := writeFile(t, "keepalived.conf", conf)
			r, err := keepalived.Convert(path, keepalived.Options{ReadOptions: keepalived.ReadOptions{ConfigID: keepalived.DefaultConfigID()}})
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			ka, kaAddrs := advertOf(t, "keepalived", conf)
			lv, lvAddrs := advertOf(t, "lvsd", string(r.TOML))
			t.Logf("advert (TTL, destination, VRRP): % x\naddresses: %s", ka, kaAddrs)
			if !bytes.Equal(ka, lv) {
				t.Errorf("adverts differ:\nkeepalived % x\nlvsd       % x", ka, lv)
			}
			if kaAddrs != lvAddrs {
				t.Errorf("addresses differ:\nkeepalived %s\nlvsd       %s", kaAddrs, lvAddrs)
			}
		})
	}
}

// advertOf runs one daemon as master on a fresh node and returns its
// advert (TTL, destination, VRRP packet) and the node's addresses.
func advertOf(t *testing.T, kind, conf string) ([]byte, string) {
	t.Helper()
	lab := netlab.New(t, "n1", "cl")
	n1 := lab.Node("n1")
	// Sniffed at a second node: a packet socket of one protocol does not
	// see the frames its own node sends.
	s := sniff(t, lab.Node("cl"), ethIPv4)
	from := time.Now()
	var d *daemon
	if kind == "keepalived" {
		d = startKeepalived(t, n1, conf)
	} else {
		d = startLvsd(t, n1, conf)
	}
	frames := s.waitFrames(t, from, 2, 20*time.Second, func(b []byte) bool {
		return len(b) >= 36 && b[12] == 0x08 && b[13] == 0x00 && (b[23] == 112 || b[23] == 51)
	}, kind+" adverts")
	b := frames[len(frames)-1].b
	ihl := int(b[14]&0x0f) * 4
	out := append([]byte{b[22]}, b[30:34]...) // TTL, destination
	out = append(out, b[14+ihl:]...)
	if b[23] == 51 {
		// AH: the ICV covers the IP header, and both count the IP
		// identification and the AH sequence number from 1: the second
		// advert's whole IPv4 datagram must be the same, ICV included.
		out = nil
		for _, f := range frames {
			if p := f.b[14:]; len(p) >= ihl+12 && p[ihl+8] == 0 && p[ihl+9] == 0 && p[ihl+10] == 0 && p[ihl+11] == 2 {
				out = p
			}
		}
		if out == nil {
			t.Fatalf("%s: no AH advert with sequence number 2", kind)
		}
	}
	var addrs string
	if !netlab.WaitFor(10*time.Second, func() bool {
		o, err := execOut("ip", "-n", n1.NS, "-br", "-4", "addr", "show", "dev", "eth0")
		addrs = o
		return err == nil && n1.HasAddr(vip4)
	}) {
		t.Fatalf("%s: VIP not installed: %s", kind, addrs)
	}
	if kind == "keepalived" {
		killAllIn(t, n1)
	}
	d.proc.Kill()
	return out, addrs
}
