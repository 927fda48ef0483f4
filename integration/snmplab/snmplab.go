// Package snmplab runs a private net-snmp for tests: snmpd as AgentX
// master on a socket of its own and SNMP on a loopback port, snmptrapd
// logging the traps snmpd forwards to a file, both started by the test,
// killed by PID at cleanup, never the system's snmpd. The MIBs are
// KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB (Debian's /usr/share/snmp/mibs)
// with the stub dependencies of cmd/lvsd/internal/snmp/testdata/mibs.
package snmplab

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// MIBModules are the modules snmpwalk and snmptrapd load.
const MIBModules = "KEEPALIVED-MIB:VRRPV3-MIB:VRRP-MIB"

// NetSNMP is a running private snmpd and snmptrapd.
type NetSNMP struct {
	t        testing.TB
	Dir      string // configuration, logs and the socket
	MIBs     string // the stub MIB directory
	Socket   string // snmpd's agentXSocket
	Port     int    // snmpd's UDP port on 127.0.0.1
	TrapLog  string // snmptrapd's log
	snmpd    *exec.Cmd
	snmpdBin string
	conf     string
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func start(t testing.TB, bin string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(bin)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
	})
	return cmd
}

// WaitFor polls cond until it holds, failing the test after limit (a bound
// on a wait, not a timing assertion).
func WaitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mibDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("snmplab: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "cmd", "lvsd", "internal", "snmp", "testdata", "mibs")
}

// Start starts snmptrapd and snmpd (skipping, or failing under
// LVSD_REQUIRE, without them).
func Start(t testing.TB) *NetSNMP {
	t.Helper()
	snmpd := testenv.NeedBinary(t, "snmpd")
	trapd := testenv.NeedBinary(t, "snmptrapd")
	testenv.NeedBinary(t, "snmpwalk")
	dir, err := os.MkdirTemp("", "lvsd-snmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	n := &NetSNMP{t: t, Dir: dir, MIBs: mibDir(t), Socket: filepath.Join(dir, "agentx"), Port: freeUDPPort(t),
		TrapLog: filepath.Join(dir, "traps.log"), snmpdBin: snmpd, conf: filepath.Join(dir, "snmpd-test.conf")}
	trapPort := freeUDPPort(t)
	// snmpd and snmptrapd save state as PERSISTENT_DIR/NAME.conf at exit:
	// our configuration files have other names.
	env := []string{"SNMP_PERSISTENT_DIR=" + dir, "SNMPCONFPATH=" + dir, "HOME=" + dir}

	trapConf := filepath.Join(dir, "snmptrapd-test.conf")
	if err := os.WriteFile(trapConf, []byte("disableAuthorization yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, trapd, env, "-f", "-C", "-c", trapConf, "-Lf", n.TrapLog, "-M", "+"+n.MIBs,
		"-m", MIBModules, fmt.Sprintf("udp:127.0.0.1:%d", trapPort))
	WaitFor(t, "snmptrapd to start", 20*time.Second, func() bool {
		b, _ := os.ReadFile(n.TrapLog)
		return strings.Contains(string(b), "NET-SNMP version")
	})

	conf := fmt.Sprintf(`master agentx
agentXSocket %s
agentaddress udp:127.0.0.1:%d
rocommunity public 127.0.0.1
trap2sink 127.0.0.1:%d public
`, n.Socket, n.Port, trapPort)
	if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	n.StartSnmpd()
	return n
}

// StartSnmpd (re)starts snmpd and waits for its agentx socket.
func (n *NetSNMP) StartSnmpd() {
	n.t.Helper()
	env := []string{"SNMP_PERSISTENT_DIR=" + n.Dir, "SNMPCONFPATH=" + n.Dir, "HOME=" + n.Dir}
	// The listening address is agentaddress in the configuration.
	n.snmpd = start(n.t, n.snmpdBin, env, "-f", "-C", "-c", n.conf, "-Lf", filepath.Join(n.Dir, "snmpd.log"))
	WaitFor(n.t, "snmpd's agentx socket (log: "+filepath.Join(n.Dir, "snmpd.log")+")", 20*time.Second, func() bool {
		_, err := os.Stat(n.Socket)
		return err == nil
	})
}

// StopSnmpd kills snmpd (by PID) and removes its socket.
func (n *NetSNMP) StopSnmpd() {
	_ = n.snmpd.Process.Kill()
	_ = n.snmpd.Wait()
	os.Remove(n.Socket)
}

// Walk is snmpwalk of oid, failing the test on an error.
func (n *NetSNMP) Walk(oid string) string {
	n.t.Helper()
	out, err := n.TryWalk(oid)
	if err != nil {
		n.t.Fatalf("snmpwalk %s: %v\n%s", oid, err, out)
	}
	return out
}

// TryWalk is snmpwalk of oid.
func (n *NetSNMP) TryWalk(oid string) (string, error) {
	out, err := exec.Command("snmpwalk", "-v2c", "-c", "public", "-M", "+"+n.MIBs, "-m", MIBModules,
		"-t", "2", "-r", "1", fmt.Sprintf("udp:127.0.0.1:%d", n.Port), oid).CombinedOutput()
	return string(out), err
}

// Traps is snmptrapd's log so far.
func (n *NetSNMP) Traps() string {
	b, _ := os.ReadFile(n.TrapLog)
	return string(b)
}
