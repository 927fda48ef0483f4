package health_vm

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/healthcheck/bfd"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

// nsConn opens a bfd.Manager's sockets inside a lab node's namespace.
type nsConn struct {
	*bfd.UDP
	n *netlab.Node
}

func (c nsConn) Dial(src, dst netip.Addr, ttl int) (s bfd.Sender, err error) {
	if derr := c.n.Do(func() error { s, err = c.UDP.Dial(src, dst, ttl); return nil }); derr != nil {
		return nil, derr
	}
	return s, err
}

const bfdCheckConf = `
[[bfd_instance]]
name = "rs1"
neighbor_ip = "10.99.0.2"
min_rx = "100ms"
min_tx = "100ms"
multiplier = 3

[[virtual_server]]
ip = "172.16.0.100"
port = 7
protocol = "UDP"
lb_algo = "rr"
lb_kind = "NAT"

[[virtual_server.real_server]]
ip = "10.99.0.2"
alpha = true
[[virtual_server.real_server.bfd_check]]
name = "rs1"

[[virtual_server.real_server]]
ip = "10.99.0.3"
`

// TestBFDCheckDrivesIPVS: a real server with bfd_check is in IPVS while
// its BFD session (to a BFD peer in the real server's namespace) is Up,
// taken out when the peer stops, and put back when it returns.
func TestBFDCheckDrivesIPVS(t *testing.T) {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	lvsd := testenv.LvsdBinary(t)
	lab := netlab.New(t, "dir", "rs1", "rs2")
	dir, rs1 := lab.Node("dir"), lab.Node("rs1")
	dir.MustExec("ip", "addr", "add", "172.16.0.1/24", "dev", "eth0")
	dir.MustExec("ip", "addr", "add", vip.String()+"/32", "dev", "eth0")
	startPeer := func() (stop func()) {
		var u *bfd.UDP
		if err := rs1.Do(func() (err error) { u, err = bfd.ListenUDP(bfd.Port); return err }); err != nil {
			t.Fatal(err)
		}
		m := bfd.NewManager(nsConn{u, rs1}, nil, nil)
		cfg := bfd.Config{MinRx: 100 * time.Millisecond, MinTx: 100 * time.Millisecond, IdleTx: time.Second, Multiplier: 3}
		if err := m.Set([]bfd.Peer{{Name: "dir", Neighbor: dir.IP, Config: cfg, TTL: 255}}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := startPeer()
	cfgPath := filepath.Join(t.TempDir(), "lvsd.toml")
	if err := os.WriteFile(cfgPath, []byte(bfdCheckConf), 0o644); err != nil {
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
	dests := func() string {
		ds, err := c.Destinations(ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: vip, Port: 7})
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, d := range ds {
			if d.Weight > 0 {
				out = append(out, d.DestKey.String())
			}
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	wait := func(what, want string) {
		t.Helper()
		start := time.Now()
		if !netlab.WaitFor(20*time.Second, func() bool { return dests() == want }) {
			t.Fatalf("%s: destinations %q, want %q", what, dests(), want)
		}
		t.Logf("%s: %q after %v", what, want, time.Since(start).Round(time.Millisecond))
	}
	both := "10.99.0.2:7,10.99.0.3:7"
	wait("session Up", both)
	stop()
	wait("peer stopped", "10.99.0.3:7")
	stop = startPeer()
	defer stop()
	wait("peer back", both)
}
