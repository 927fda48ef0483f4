package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// The VRRP lab: nodes n1, n2, n3 at 10.99.0.1-3 (fd99::1-3), a client,
// VRID 51 and VIP 10.99.0.100 (fd99::100), as in shared/netlab/lab.sh.
var (
	vip4 = netip.MustParseAddr("10.99.0.100")
	vip6 = netip.MustParseAddr("fd99::100")
)

// writeFile writes content to a file in the test's temporary directory.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// instance describes one vrrp_instance of an lvsd or keepalived node.
type instance struct {
	Name      string // default VI_1
	VRID      int    // default 51
	Priority  int
	Master    bool // state MASTER
	Advert    string
	Version   int // 0: 2 (3 for IPv6)
	Pass      string
	AH        bool // auth_type AH (with Pass) instead of PASS
	NoPreempt bool
	VIPs      []string // default "10.99.0.100/24 dev eth0"
	Unicast   *[2]netip.Addr
	VMAC      bool
	AsV2      bool   // v3_checksum_as_v2
	Notify    string // notify script ("" none)
}

func (in instance) defaults() instance {
	if in.Name == "" {
		in.Name = "VI_1"
	}
	if in.VRID == 0 {
		in.VRID = 51
	}
	if in.Advert == "" {
		in.Advert = "1"
	}
	if len(in.VIPs) == 0 {
		in.VIPs = []string{"10.99.0.100/24 dev eth0"}
	}
	return in
}

func (in instance) authType() string {
	if in.AH {
		return "AH"
	}
	return "PASS"
}

// lvsdConf renders the instances as an lvsd TOML configuration.
func lvsdConf(ins ...instance) string {
	var b strings.Builder
	for _, in := range ins {
		in = in.defaults()
		fmt.Fprintf(&b, "[[vrrp_instance]]\nname = %q\ninterface = \"eth0\"\nvirtual_router_id = %d\npriority = %d\nadvert_int = %s\n",
			in.Name, in.VRID, in.Priority, in.Advert)
		if in.Master {
			b.WriteString("state = \"MASTER\"\n")
		}
		if in.Version != 0 {
			fmt.Fprintf(&b, "version = %d\n", in.Version)
		}
		if in.Pass != "" {
			fmt.Fprintf(&b, "authentication = { auth_type = %q, auth_pass = %q }\n", in.authType(), in.Pass)
		}
		if in.NoPreempt {
			b.WriteString("nopreempt = true\n")
		}
		if in.VMAC {
			b.WriteString("use_vmac = true\n")
		}
		if in.AsV2 {
			b.WriteString("v3_checksum_as_v2 = true\n")
		}
		if in.Notify != "" {
			fmt.Fprintf(&b, "notify = %q\n", in.Notify)
		}
		if in.Unicast != nil {
			fmt.Fprintf(&b, "unicast_src_ip = %q\nunicast_peer = [%q]\n", in.Unicast[0], in.Unicast[1])
		}
		b.WriteString("virtual_ipaddress = [")
		for i, v := range in.VIPs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", v)
		}
		b.WriteString("]\n\n")
	}
	return b.String()
}

// keepalivedConf renders the instances as a keepalived configuration.
func keepalivedConf(routerID string, ins ...instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    script_user root\n    enable_script_security\n", routerID)
	if v := ins[0].Version; v == 3 {
		b.WriteString("    vrrp_version 3\n")
	}
	b.WriteString("}\n")
	for _, in := range ins {
		in = in.defaults()
		state := "BACKUP"
		if in.Master {
			state = "MASTER"
		}
		fmt.Fprintf(&b, "vrrp_instance %s {\n    state %s\n    interface eth0\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n",
			in.Name, state, in.VRID, in.Priority, in.Advert)
		if in.Pass != "" {
			fmt.Fprintf(&b, "    authentication {\n        auth_type %s\n        auth_pass %s\n    }\n", in.authType(), in.Pass)
		}
		if in.NoPreempt {
			b.WriteString("    nopreempt\n")
		}
		// AsV2: keepalived 2.2.7 has no v3_checksum_as_v2 (later versions
		// do): it always sends the pseudo-header variant
		if in.Unicast != nil {
			fmt.Fprintf(&b, "    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n", in.Unicast[0], in.Unicast[1])
		}
		b.WriteString("    virtual_ipaddress {\n")
		for _, v := range in.VIPs {
			fmt.Fprintf(&b, "        %s\n", v)
		}
		b.WriteString("    }\n}\n")
	}
	return b.String()
}

// daemon is an lvsd or keepalived process on a node.
type daemon struct {
	node *netlab.Node
	proc *netlab.Process
	kind string // "lvsd" or "keepalived"
}

// startLvsd runs `lvsd run -f CONF` in the node's namespace.
func startLvsd(t testing.TB, n *netlab.Node, conf string, extra ...string) *daemon {
	t.Helper()
	path := writeFile(t, n.Name+".toml", conf)
	// a control socket and state file per node: the nodes share the host's
	// file system
	dir := filepath.Dir(path)
	args := []string{"run", "-f", path, "--log-level", "debug",
		"--socket", filepath.Join(dir, "lvsd.sock"), "--state-file", filepath.Join(dir, "state.json")}
	p := n.Start(testenv.LvsdBinary(t), append(args, extra...)...)
	d := &daemon{node: n, proc: p, kind: "lvsd"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on %s:\n%s", n.Name, p.Out.String())
		}
	})
	return d
}

// startKeepalived runs keepalived in the foreground in the node's namespace
// with pid files of its own.
func startKeepalived(t testing.TB, n *netlab.Node, conf string) *daemon {
	t.Helper()
	bin := testenv.NeedBinary(t, "keepalived")
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := n.Start(bin, "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "checkers.pid"))
	d := &daemon{node: n, proc: p, kind: "keepalived"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("keepalived on %s:\n%s", n.Name, p.Out.String())
		}
	})
	return d
}

// kill9 kills the daemon (and, for keepalived, its VRRP child, which
// otherwise sends its priority-0 advert) and takes the node's link down:
// the master disappears without a word.
func (d *daemon) kill9(t testing.TB) {
	t.Helper()
	d.node.LinkDown()
	if d.kind == "keepalived" {
		// the VRRP child is in the same namespace: kill every process there
		killAllIn(t, d.node)
	}
	d.proc.Kill()
}

// killAllIn SIGKILLs every process in the node's namespace except ours.
func killAllIn(t testing.TB, n *netlab.Node) {
	t.Helper()
	out, _ := execOut("ip", "netns", "pids", n.NS)
	for _, f := range strings.Fields(out) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// stop sends SIGTERM and waits for the exit.
func (d *daemon) stop(t testing.TB) error {
	t.Helper()
	if err := d.proc.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return d.proc.Wait(15 * time.Second)
}

// waitOwner waits until exactly want (nil: nobody) of nodes holds addr, and
// stays so for hold.
func waitOwner(t testing.TB, addr netip.Addr, want *netlab.Node, within, hold time.Duration, nodes ...*netlab.Node) {
	t.Helper()
	owners := func() []string {
		var o []string
		for _, n := range nodes {
			if n.HasAddr(addr) {
				o = append(o, n.Name)
			}
		}
		return o
	}
	wantList := ""
	if want != nil {
		wantList = want.Name
	}
	ok := func() bool { return strings.Join(owners(), ",") == wantList }
	if !netlab.WaitFor(within, ok) {
		t.Fatalf("owner of %s: %v after %v, want [%s]", addr, owners(), within, wantList)
	}
	if hold > 0 {
		deadline := time.Now().Add(hold)
		for time.Now().Before(deadline) {
			if !ok() {
				for _, n := range nodes {
					out, _ := execOut("ip", "-n", n.NS, "-o", "addr", "show")
					t.Logf("%s:\n%s", n.Name, out)
				}
				t.Fatalf("owner of %s changed to %v, want [%s] to hold for %v", addr, owners(), wantList, hold)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// frameSniffer records the frames of one EtherType seen by a node's eth0.
type frameSniffer struct {
	c      *packet.Conn
	mu     sync.Mutex
	frames []stamped
	done   chan struct{}
}

type stamped struct {
	at time.Time
	b  []byte
}

func sniff(t testing.TB, n *netlab.Node, ethertype int) *frameSniffer {
	t.Helper()
	s := &frameSniffer{done: make(chan struct{})}
	if err := n.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		s.c, err = packet.Listen(ifi, packet.Raw, ethertype, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		buf := make([]byte, 2048)
		for {
			k, _, err := s.c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.frames = append(s.frames, stamped{time.Now(), bytes.Clone(buf[:k])})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { s.c.Close(); <-s.done })
	return s
}

// since returns the frames seen at or after from that satisfy match.
func (s *frameSniffer) since(from time.Time, match func([]byte) bool) []stamped {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []stamped
	for _, f := range s.frames {
		if !f.at.Before(from) && match(f.b) {
			out = append(out, f)
		}
	}
	return out
}

// isGARP matches keepalived-style gratuitous ARP for ip from mac.
func isGARP(ip netip.Addr, mac string) func([]byte) bool {
	hw, _ := net.ParseMAC(mac)
	return func(b []byte) bool {
		return len(b) >= 42 && b[12] == 0x08 && b[13] == 0x06 && b[21] == 1 &&
			bytes.Equal(b[6:12], hw) && bytes.Equal(b[22:28], hw) &&
			bytes.Equal(b[28:32], ip.AsSlice()) && bytes.Equal(b[38:42], ip.AsSlice())
	}
}

// isNA matches an unsolicited neighbour advertisement for ip from mac.
func isNA(ip netip.Addr, mac string) func([]byte) bool {
	hw, _ := net.ParseMAC(mac)
	return func(b []byte) bool {
		return len(b) >= 78 && b[12] == 0x86 && b[13] == 0xdd && b[20] == 58 && b[54] == 136 &&
			bytes.Equal(b[6:12], hw) && bytes.Equal(b[62:78], ip.AsSlice())
	}
}

// isAdvert matches a VRRP advert (IPv4) with the VRID from src.
func isAdvert(vrid byte, src netip.Addr) func([]byte) bool {
	return func(b []byte) bool {
		return len(b) >= 36 && b[12] == 0x08 && b[13] == 0x00 && b[23] == 112 &&
			bytes.Equal(b[26:30], src.AsSlice()) && b[14+int(b[14]&0x0f)*4+1] == vrid
	}
}

// waitFrames waits until at least n matching frames arrived after from.
func (s *frameSniffer) waitFrames(t testing.TB, from time.Time, n int, within time.Duration, match func([]byte) bool, what string) []stamped {
	t.Helper()
	var got []stamped
	if !netlab.WaitFor(within, func() bool { got = s.since(from, match); return len(got) >= n }) {
		t.Fatalf("%s: %d frames after %v, want at least %d", what, len(got), within, n)
	}
	return got
}

func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// ethARP and ethIPv6 are the EtherTypes sniffed by the tests.
const (
	ethARP  = unix.ETH_P_ARP
	ethIPv4 = unix.ETH_P_IP
	ethIPv6 = unix.ETH_P_IPV6
)
