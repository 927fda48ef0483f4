package ipvstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/config/keepalived"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// convertCheckers: checkers whose outcome needs no server, so both daemons
// reach the same verdicts: SMTP_CHECK and DNS_CHECK to an unrouted address
// (down), UDP_CHECK to a closed loopback port (ICMP port unreachable:
// down), FILE_CHECK weights from a track_file holding 3 (plain, reverse,
// and weight 0 failing the server).
const convertCheckers = `global_defs {
    router_id chk
}
track_file tf {
    file @DIR/tf
    weight 1
}
virtual_server 10.99.0.100 25 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server 10.98.0.5 25 {
        SMTP_CHECK {
            helo_name lb.example.com
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.99.0.60 25 {
        weight 4
        FILE_CHECK {
            track_file tf
            weight 2
        }
    }
    real_server 10.99.0.61 25 {
        weight 4
        FILE_CHECK {
            track_file tf
            weight 1 reverse
        }
    }
    real_server 10.99.0.62 25 {
        FILE_CHECK {
            track_file tf
            weight 0
        }
    }
}
virtual_server 10.99.0.100 53 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    retry 0
    real_server 10.98.0.6 53 {
        DNS_CHECK {
            type A
            name example.com
            connect_timeout 1
        }
    }
    real_server 127.0.0.1 9 {
        UDP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.99.0.63 53 {
        FILE_CHECK {
            track_file tf
        }
    }
}
`

// TestConvertCheckersSameIPVSTable: keepalived's checker on the .conf and
// lvsd on its conversion reach the same verdicts and weights for the
// SMTP, DNS, UDP and FILE checkers (ipvsadm -Sn, sorted).
func TestConvertCheckersSameIPVSTable(t *testing.T) {
	testenv.NeedIPVS(t)
	kbin := testenv.NeedBinary(t, "keepalived")
	testenv.NeedBinary(t, "ipvsadm")
	lbin := testenv.LvsdBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tf"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(convertCheckers, "@DIR", dir)), 0o644); err != nil {
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
	ka.MustExec("ip", "link", "set", "lo", "up")
	lv.MustExec("ip", "link", "set", "lo", "up")
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
