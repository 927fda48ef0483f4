package integration

import (
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// keepalived's auth_type AH (IPsec AH, HMAC-MD5-96) between lvsd and the
// real keepalived 2.2.7: each side master in turn, multicast and unicast,
// and a wrong password rejected and counted by both.

// TestVRRPKeepalivedAH: the master (priority 200) stays the only master
// for 3 s (the backup verifies its ICVs and sequence numbers), its adverts
// are IP protocol 51, and the backup, which continues the master's
// sequence, takes over when the master dies and is accepted by nobody else.
func TestVRRPKeepalivedAH(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	for _, tc := range []interopCase{
		{name: "v2-multicast-ah", in: instance{Pass: "s3cr3t", AH: true}},
		{name: "v2-unicast-ah", unicst: true, in: instance{Pass: "s3cr3t", AH: true}},
	} {
		for _, lvsdMaster := range []bool{true, false} {
			name := tc.name + "/keepalived-master"
			if lvsdMaster {
				name = tc.name + "/lvsd-master"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runAHInterop(t, tc, lvsdMaster)
			})
		}
	}
}

func runAHInterop(t *testing.T, tc interopCase, lvsdMaster bool) {
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ah"}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	in1, in2 := tc.in, tc.in
	in1.Priority, in1.Master = 200, true
	in2.Priority = 100
	if tc.unicst {
		in1.Unicast = &[2]netip.Addr{n1.IP, n2.IP}
		in2.Unicast = &[2]netip.Addr{n2.IP, n1.IP}
	}
	sn := sniff(t, n2, 0x0800)
	start := time.Now()
	var master, backup, lvsd *daemon
	if lvsdMaster {
		backup = startKeepalived(t, n2, keepalivedConf("n2", in2))
		master = startLvsd(t, n1, lvsdConf(in1))
		lvsd = master
	} else {
		backup = startLvsd(t, n2, lvsdConf(in2))
		master = startKeepalived(t, n1, keepalivedConf("n1", in1))
		lvsd = backup
	}
	waitOwner(t, vip4, n1, 20*time.Second, 3*time.Second, n1, n2)
	// the master's adverts are AH: IPv4 protocol 51 from n1
	ah := sn.since(start, func(f []byte) bool {
		return len(f) > 14+20+24 && f[14+9] == 51 && netip.AddrFrom4([4]byte(f[14+12:14+16])) == n1.IP && f[14+20] == 112
	})
	if len(ah) < 3 {
		t.Fatalf("%d AH adverts from the master captured on n2, want at least 3", len(ah))
	}
	if d := lvsdDrops(t, lvsd); d["ah_bad_icv"]+d["ah_bad_spi"]+d["ah_not_vrrp"] != 0 {
		t.Errorf("lvsd dropped keepalived's AH adverts: %v", d)
	}
	if strings.Contains(backup.proc.Out.String()+master.proc.Out.String(), "IPSEC-AH : invalid") {
		t.Error("keepalived rejected lvsd's ICV")
	}
	master.kill9(t)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n2)
}

// TestVRRPKeepalivedAHWrongPassword: lvsd and keepalived with different AH
// passwords reject each other's adverts (ICV), count it (lvsd status,
// keepalived's log and its statistics file) and both become master.
func TestVRRPKeepalivedAHWrongPassword(t *testing.T) {
	testenv.NeedBinary(t, "keepalived")
	t.Parallel()
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ah"}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	// lvsd advertises every 2 s: keepalived 2.2.7, as master, restarts
	// its advert timer on every packet it receives, valid or not
	// (vrrp_dispatcher_read), so with equal intervals it would send one
	// advert only.
	l := startLvsd(t, n1, lvsdConf(instance{Priority: 200, Pass: "s3cr3t", AH: true, Advert: "2"}))
	k, kdir := startKeepalivedStats(t, n2, keepalivedConf("n2", instance{Priority: 100, Pass: "wrong", AH: true}))
	if !netlab.WaitFor(20*time.Second, func() bool { return n1.HasAddr(vip4) && n2.HasAddr(vip4) }) {
		t.Fatalf("both sides should be master: n1 %v, n2 %v", n1.HasAddr(vip4), n2.HasAddr(vip4))
	}
	if !netlab.WaitFor(5*time.Second, func() bool { return lvsdDrops(t, l)["ah_bad_icv"] >= 2 }) {
		t.Errorf("lvsd did not count the bad ICVs: %v", lvsdDrops(t, l))
	}
	if !strings.Contains(l.proc.Out.String(), "reason=ah_bad_icv") {
		t.Error("lvsd did not log the bad ICV")
	}
	if !netlab.WaitFor(5*time.Second, func() bool {
		return strings.Count(k.proc.Out.String(), "IPSEC-AH : invalid IPSEC HMAC-MD5 value") >= 2
	}) {
		t.Errorf("keepalived did not reject lvsd's ICV:\n%s", k.proc.Out.String())
	}
	// keepalived's own counter: SIGUSR2 writes $TMPDIR/keepalived.stats
	if !netlab.WaitFor(5*time.Second, func() bool { return keepalivedAuthFailures(t, k, kdir) >= 2 }) {
		t.Errorf("keepalived's stats count %d authentication failures, want at least 2", keepalivedAuthFailures(t, k, kdir))
	}
	t.Logf("bad ICVs counted: lvsd %d, keepalived %d", lvsdDrops(t, l)["ah_bad_icv"], keepalivedAuthFailures(t, k, kdir))
}

// startKeepalivedStats is startKeepalived with TMPDIR set to a directory of
// the test's, where keepalived writes keepalived.stats on SIGUSR2.
func startKeepalivedStats(t *testing.T, n *netlab.Node, conf string) (*daemon, string) {
	t.Helper()
	bin := testenv.NeedBinary(t, "keepalived")
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := n.Start("env", "TMPDIR="+dir, bin, "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "checkers.pid"))
	d := &daemon{node: n, proc: p, kind: "keepalived"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("keepalived on %s:\n%s", n.Name, p.Out.String())
		}
	})
	return d, dir
}

// keepalivedAuthFailures asks keepalived for its statistics (SIGUSR2) and
// returns the first instance's "Authentication Errors: Failure" count, -1
// when the file is not (yet) there.
func keepalivedAuthFailures(t *testing.T, k *daemon, dir string) int {
	t.Helper()
	stats := filepath.Join(dir, "keepalived.stats")
	_ = os.Remove(stats)
	if err := k.proc.Signal(syscall.SIGUSR2); err != nil {
		t.Fatalf("SIGUSR2 to keepalived: %v", err)
	}
	var b []byte
	if !netlab.WaitFor(2*time.Second, func() bool {
		var err error
		b, err = os.ReadFile(stats)
		return err == nil && strings.Contains(string(b), "Priority Zero")
	}) {
		return -1
	}
	m := regexp.MustCompile(`(?s)Authentication Errors:.*?Failure: (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no authentication failure count in keepalived.stats:\n%s", b)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// lvsdDrops returns the drop counters of lvsd's first VRRP instance
// (lvsd status --json).
func lvsdDrops(t *testing.T, d *daemon) map[string]uint64 {
	t.Helper()
	var sock string
	for i, a := range d.proc.Cmd.Args {
		if a == "--socket" {
			sock = d.proc.Cmd.Args[i+1]
		}
	}
	out, err := exec.Command(testenv.LvsdBinary(t), "status", "--json", "--socket", sock).Output()
	if err != nil {
		t.Fatalf("lvsd status on %s: %v", d.node.Name, err)
	}
	var s struct {
		Instances []struct {
			Drops map[string]uint64 `json:"drops"`
		} `json:"vrrp_instances"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) == 0 {
		t.Fatal("lvsd status: no VRRP instance")
	}
	return s.Instances[0].Drops
}
