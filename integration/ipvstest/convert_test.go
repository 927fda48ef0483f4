package ipvstest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config/keepalived"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// convertIPVS is a keepalived configuration of virtual servers without
// checkers (every real server is up at once in both daemons) covering the
// IPVS keywords convert carries: address, fwmark and group services,
// schedulers and their flags, forwarding methods, persistence, weights,
// the UDP default protocol, the default scheduler and method, a
// duplicate real server, a virtual_server_group range, ops.
const convertIPVS = `global_defs {
    router_id dir
}
virtual_server_group vsg {
    10.99.0.200-202 8080
    fwmark 9
}
virtual_server 10.99.0.100 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    weight 2
    real_server 10.99.0.2 80 {
        weight 3
    }
    real_server 10.99.0.3 8080 {
    }
}
virtual_server 10.99.0.100 443 {
    lvs_sched sh
    lvs_method DR
    protocol TCP
    flag-1
    flag-2
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    real_server 10.99.0.2 443 {
        lvs_method TUN
    }
    real_server 10.99.0.3 443 {
    }
}
virtual_server 10.99.0.100 53 {
    lb_algo rr
    ops
    real_server 10.99.0.2 53 {
    }
}
virtual_server 10.99.0.101 25 {
    protocol TCP
    real_server 10.99.0.2 25 {
    }
    real_server 10.99.0.2 25 {
        weight 9
    }
}
virtual_server fwmark 7 {
    lb_algo mh
    mh-port
    lb_kind DR
    real_server 10.99.0.2 0 {
    }
}
virtual_server group vsg {
    lb_algo lc
    protocol TCP
    real_server 10.99.0.3 8080 {
        weight 5
    }
}
`

// TestConvertSameIPVSTable: keepalived's checker (-C) on the .conf and
// lvsd on the converted TOML leave identical IPVS tables (ipvsadm -Sn,
// sorted), each in a namespace of its own.
func TestConvertSameIPVSTable(t *testing.T) {
	testenv.NeedIPVS(t)
	kbin := testenv.NeedBinary(t, "keepalived")
	testenv.NeedBinary(t, "ipvsadm")
	lbin := testenv.LvsdBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(convertIPVS), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := keepalived.Convert(conf, keepalived.Options{})
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	toml := filepath.Join(dir, "lvsd.toml")
	if err := os.WriteFile(toml, r.TOML, 0o644); err != nil {
		t.Fatal(err)
	}
	lab := netlab.New(t, "ka", "lv")
	ka, lv := lab.Node("ka"), lab.Node("lv")
	pk := ka.Start(kbin, "-n", "-l", "-D", "-C", "-f", conf,
		"-p", filepath.Join(dir, "k.pid"), "-c", filepath.Join(dir, "c.pid"), "-r", filepath.Join(dir, "v.pid"))
	pl := lv.Start(lbin, "run", "-f", toml, "--socket", filepath.Join(dir, "lvsd.sock"), "--state-file", filepath.Join(dir, "state.json"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("converted:\n%s\nkeepalived:\n%s\nlvsd:\n%s", r.TOML, pk.Out, pl.Out)
		}
	})
	want, got := settled(t, ka), settled(t, lv)
	t.Logf("keepalived's table:\n%s", want)
	if want != got {
		t.Errorf("IPVS tables differ:\nkeepalived:\n%s\nlvsd:\n%s", want, got)
	}
}

// settled waits until the node's IPVS table is non-empty and unchanged for
// two seconds, and returns it sorted.
func settled(t *testing.T, n *netlab.Node) string {
	t.Helper()
	table := func() string {
		lines := strings.Split(strings.TrimSpace(n.MustExec("ipvsadm", "-Sn")), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	var last string
	stable := 0
	if !netlab.WaitFor(30*time.Second, func() bool {
		time.Sleep(500 * time.Millisecond)
		cur := table()
		if cur != "" && cur == last {
			stable++
		} else {
			stable = 0
		}
		last = cur
		return stable >= 4
	}) {
		t.Fatalf("%s: IPVS table never settled:\n%s", n.Name, last)
	}
	return last
}
