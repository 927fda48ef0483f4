package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/vrrp/carp"
)

// Interop with Debian's ucarp (1.5.2) as the CARP peer: vhid 10, password
// s3cr3t, address 10.99.0.100, advbase 1 (the PACKETS.md capture's setup).
// ucarp does not install the address itself: its up/down scripts do (as
// Debian's vip-up/vip-down do). lvsd installs it through
// virtual_ipaddress and also runs an up script that records its arguments.

const carpPass = "s3cr3t"

// carpSide is the configuration of one node.
type carpSide struct {
	skew     int
	preempt  bool
	pass     string // default carpPass
	shutdown bool
	nomcast  bool
}

// carpScripts writes up/down scripts that add/remove the address (ucarp's
// arguments: INTERFACE ADDR [XPARAM]) and log their arguments to a file.
func carpScripts(t testing.TB, n *netlab.Node) (up, down, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "scripts.log")
	up = filepath.Join(dir, "up.sh")
	down = filepath.Join(dir, "down.sh")
	for _, s := range []struct{ path, verb string }{{up, "add"}, {down, "del"}} {
		body := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >> %s\nip addr %s \"$2\"/24 dev \"$1\" 2>/dev/null\nexit 0\n", filepath.Base(s.path), log, s.verb)
		if err := os.WriteFile(s.path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return up, down, log
}

func startUcarp(t testing.TB, n *netlab.Node, s carpSide) *daemon {
	t.Helper()
	bin := testenv.NeedBinary(t, "ucarp")
	up, down, _ := carpScripts(t, n)
	pass := s.pass
	if pass == "" {
		pass = carpPass
	}
	args := []string{"-i", "eth0", "-s", n.IP.String(), "-v", "10", "-p", pass, "-a", vip4.String(),
		"-b", "1", "-k", fmt.Sprint(s.skew), "-u", up, "-d", down, "-f", "none", "-x", "xp"}
	if s.preempt {
		args = append(args, "-P")
	}
	if s.shutdown {
		args = append(args, "-z")
	}
	if s.nomcast {
		args = append(args, "-M")
	}
	p := n.Start(bin, args...)
	d := &daemon{node: n, proc: p, kind: "ucarp"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ucarp on %s:\n%s", n.Name, p.Out.String())
		}
	})
	return d
}

// lvsdCARPConf is the lvsd side: the same virtual host, the address
// installed by lvsd, an up/down script that only logs.
func lvsdCARPConf(t testing.TB, s carpSide) (conf, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "scripts.log")
	script := filepath.Join(dir, "log.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pass := s.pass
	if pass == "" {
		pass = carpPass
	}
	conf = fmt.Sprintf(`[[carp_instance]]
name = "web"
interface = "eth0"
vhid = 10
pass = %q
addr = "10.99.0.100"
advbase = 1
advskew = %d
preempt = %v
shutdown = %v
nomcast = %v
xparam = "xp"
upscript = "%s up"
downscript = "%s down"
virtual_ipaddress = ["10.99.0.100/24"]
`, pass, s.skew, s.preempt, s.shutdown, s.nomcast, script, script)
	return conf, log
}

func startLvsdCARP(t testing.TB, n *netlab.Node, s carpSide) (*daemon, string) {
	t.Helper()
	conf, log := lvsdCARPConf(t, s)
	return startLvsd(t, n, conf), log
}

// startLvsdCARPSock is startLvsdCARP with the control socket's path returned.
func startLvsdCARPSock(t *testing.T, n *netlab.Node, s carpSide) (*daemon, string) {
	t.Helper()
	conf, _ := lvsdCARPConf(t, s)
	dir := t.TempDir()
	path := filepath.Join(dir, "lvsd.toml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "lvsd.sock")
	p := n.Start(testenv.LvsdBinary(t), "run", "-f", path, "--log-level", "debug",
		"--socket", sock, "--state-file", filepath.Join(dir, "state.json"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on %s:\n%s", n.Name, p.Out.String())
		}
	})
	return &daemon{node: n, proc: p, kind: "lvsd"}, sock
}

func carpLab(t *testing.T) (*netlab.Lab, *netlab.Node, *netlab.Node) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedBinary(t, "ucarp")
	lab := netlab.New(t, "n1", "n2")
	return lab, lab.Node("n1"), lab.Node("n2")
}

// TestCARPUcarpInteropLvsdMaster: lvsd (advskew 0) is master, ucarp
// (advskew 100) backup. The adverts on the wire are ucarp's format and
// ucarp accepts them; a graceful stop of lvsd hands over at once (leaving
// advert); lvsd restarted without preempt stays backup; ucarp killed, lvsd
// takes over.
func TestCARPUcarpInteropLvsdMaster(t *testing.T) {
	_, n1, n2 := carpLab(t)
	l, lvsdLog := startLvsdCARP(t, n1, carpSide{skew: 0})
	sn := sniff(t, n2, ethIPv4)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	u := startUcarp(t, n2, carpSide{skew: 100})
	waitOwner(t, vip4, n1, 2*time.Second, 5*time.Second, n1, n2)

	// lvsd's advert, as ucarp sees it: decodes, HMAC verifies, ucarp's MACs.
	got := sn.waitFrames(t, time.Time{}, 1, 5*time.Second, isAdvert(10, n1.IP), "lvsd CARP advert")
	var a carp.Advert
	if r := carp.DecodeFrame(got[0].b, &a); r != carp.DropNone {
		t.Fatalf("lvsd's advert does not decode: %v", r)
	}
	k, _ := carp.NewKey(carpPass, 10, vip4)
	if !k.Verify(&a) || a.SrcMAC != carp.VirtualMAC(10) || a.TOS != carp.TOS || a.FragOff != carp.IPFlagDF {
		t.Fatalf("lvsd's advert is not ucarp's: %+v", a)
	}
	if !strings.Contains(readFile(t, lvsdLog), "up eth0 10.99.0.100 xp") {
		t.Errorf("lvsd up script arguments: %q", readFile(t, lvsdLog))
	}

	// Graceful stop: ucarp takes over on lvsd's leaving advert (its own
	// master-down time would be 3.39 s, plus up to 1 s of poll).
	stopped := time.Now()
	if err := l.stop(t); err != nil {
		t.Fatal(err)
	}
	waitOwner(t, vip4, n2, 3*time.Second, 0, n1, n2)
	t.Logf("ucarp had the address %v after lvsd's SIGTERM", time.Since(stopped).Round(time.Millisecond))

	// lvsd back, no preempt: ucarp stays master.
	l, _ = startLvsdCARP(t, n1, carpSide{skew: 0})
	waitOwner(t, vip4, n2, 2*time.Second, 6*time.Second, n1, n2)

	// ucarp killed: lvsd takes over.
	u.kill9(t)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	n2.LinkUp()
	_ = l.stop(t)
}

// TestCARPUcarpInteropUcarpMaster: ucarp master (advskew 0), lvsd backup
// (advskew 100); ucarp killed -9, lvsd takes over; ucarp back with
// --preempt takes over again; ucarp stopped gracefully with --shutdown,
// lvsd takes over after the master down interval.
func TestCARPUcarpInteropUcarpMaster(t *testing.T) {
	_, n1, n2 := carpLab(t)
	u := startUcarp(t, n1, carpSide{skew: 0})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	l, lvsdLog := startLvsdCARP(t, n2, carpSide{skew: 100})
	waitOwner(t, vip4, n1, 2*time.Second, 5*time.Second, n1, n2)
	if s := readFile(t, lvsdLog); !strings.HasPrefix(s, "down eth0 10.99.0.100 xp") || strings.Contains(s, "up ") {
		t.Errorf("lvsd backup scripts: %q", s)
	}

	u.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
	// A killed ucarp leaves its address behind (no script ran): the node
	// comes back as after a reboot.
	n1.MustExec("ip", "addr", "del", vip4.String()+"/24", "dev", "eth0")
	n1.LinkUp()
	waitOwner(t, vip4, n2, time.Second, 0, n1, n2)

	// ucarp back with --preempt and a faster advskew: it takes over.
	u = startUcarp(t, n1, carpSide{skew: 0, preempt: true, shutdown: true})
	waitOwner(t, vip4, n1, 10*time.Second, 2*time.Second, n1, n2)

	// Graceful stop of ucarp (--shutdown: its down script removes the
	// address); lvsd takes over after 3 x advbase + advskew/256.
	if err := u.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	_ = l.stop(t)
}

// TestCARPUcarpInteropPreempt: lvsd with preempt and a faster advskew joins
// a ucarp master and takes over; without preempt it would not (covered by
// the restart in TestCARPUcarpInteropLvsdMaster).
func TestCARPUcarpInteropPreempt(t *testing.T) {
	_, n1, n2 := carpLab(t)
	startUcarp(t, n1, carpSide{skew: 100})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	l, _ := startLvsdCARP(t, n2, carpSide{skew: 0, preempt: true})
	waitOwner(t, vip4, n2, 5*time.Second, 3*time.Second, n1, n2)
	_ = l.stop(t)
}

// TestCARPUcarpInteropWrongPassword: with another password neither side
// accepts the other: lvsd drops ucarp's adverts with reason bad_auth (and
// becomes master too), ucarp logs "Bad digest".
func TestCARPUcarpInteropWrongPassword(t *testing.T) {
	_, n1, n2 := carpLab(t)
	u := startUcarp(t, n1, carpSide{skew: 0})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	l, sock := startLvsdCARPSock(t, n2, carpSide{skew: 100, pass: "other"})
	if !netlab.WaitFor(10*time.Second, func() bool {
		return strings.Contains(l.proc.Out.String(), "reason=bad_auth") && n2.HasAddr(vip4)
	}) {
		t.Fatalf("lvsd did not drop ucarp's adverts as bad_auth and become master:\n%s", l.proc.Out.String())
	}
	// The drops are counted, and lvsd status shows them.
	out, errs, code := lvsdCmd(t, "status", "--socket", sock)
	if code != 0 || !regexp.MustCompile(`(?m)^web\s+eth0\s+10\s+MASTER\s+1/100\s+10\.99\.0\.100`).MatchString(out) ||
		!regexp.MustCompile(`dropped: bad_auth \d+`).MatchString(out) {
		t.Errorf("lvsd status (exit %d, %s):\n%s", code, errs, out)
	}
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(u.proc.Out.String(), "Bad digest") }) {
		t.Errorf("ucarp did not reject lvsd's adverts:\n%s", u.proc.Out.String())
	}
	_ = l.stop(t)
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// TestCARPUcarpInteropNoMcast: with --nomcast on both sides the adverts go
// to Ethernet broadcast (still to IP 224.0.0.18); lvsd master, ucarp stays
// backup, then lvsd is killed and ucarp takes over.
func TestCARPUcarpInteropNoMcast(t *testing.T) {
	_, n1, n2 := carpLab(t)
	l, _ := startLvsdCARP(t, n1, carpSide{skew: 0, nomcast: true})
	sn := sniff(t, n2, ethIPv4)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	startUcarp(t, n2, carpSide{skew: 100, nomcast: true})
	waitOwner(t, vip4, n1, 2*time.Second, 5*time.Second, n1, n2)
	got := sn.waitFrames(t, time.Time{}, 1, 5*time.Second, isAdvert(10, n1.IP), "lvsd CARP advert")
	var a carp.Advert
	if r := carp.DecodeFrame(got[0].b, &a); r != carp.DropNone || a.DstMAC != carp.Broadcast || a.Dst != carp.Group {
		t.Fatalf("nomcast advert: %v %+v", r, a)
	}
	l.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
}
