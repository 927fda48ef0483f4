package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsRestartWithoutOutage: the master's lvsd is killed -9 and started
// again; the VIP never leaves it, the backup never takes over, and the
// client's pings of the VIP all get an answer. The same restart without the
// state file removes the VIP at start (keepalived's behaviour): the test
// shows that difference, so it can fail.
func TestOpsRestartWithoutOutage(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	dir := t.TempDir()
	// VRRPv2, 1 s adverts: the backup's Master_Down_Interval is 3.6 s.
	conf1 := writeFile(t, "n1.toml", lvsdConf(instance{Priority: 200}))
	state := filepath.Join(dir, "n1.state")
	start1 := func(stateFile string) *netlab.Process {
		p := n1.Start(testenv.LvsdBinary(t), "run", "-f", conf1, "--socket", filepath.Join(dir, "n1.sock"),
			"--state-file", stateFile, "--log-level", "debug")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("lvsd on n1:\n%s", p.Out.String())
			}
		})
		return p
	}
	p1 := start1(state)
	startLvsd(t, n2, lvsdConf(instance{Priority: 100}))
	waitOwner(t, vip4, n1, 15*time.Second, time.Second, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool { return fileContains(state, `"MASTER"`) }) {
		t.Fatal("the state file does not record MASTER")
	}

	// The client pings the VIP every 50 ms throughout.
	ping := exec.Command("ip", "netns", "exec", cl.NS, "ping", "-n", "-i", "0.05", "-W", "1", "-w", "12", vip4.String())
	var pingOut strings.Builder
	ping.Stdout, ping.Stderr = &pingOut, &pingOut
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ping.Process.Kill(); _ = ping.Wait() })
	watch := watchOwner(vip4, n1, n2)
	time.Sleep(time.Second)
	p1.Kill() // kill -9: no priority-0 advert, the VIP stays on eth0
	killed := time.Now()
	time.Sleep(500 * time.Millisecond) // a crash and a respawn by systemd
	p1 = start1(state)
	if !netlab.WaitFor(5*time.Second, func() bool { return strings.Contains(p1.Out.String(), "cause=resume") }) {
		t.Fatalf("the restarted lvsd did not resume as master")
	}
	t.Logf("resumed as master %v after the kill", time.Since(killed).Round(time.Millisecond))
	// Longer than the backup's Master_Down_Interval from the kill.
	time.Sleep(5 * time.Second)
	if bad := watch(); bad != "" {
		t.Errorf("VIP through the restart: %s", bad)
	}
	_ = ping.Wait()
	sent, recv := pingCounts(pingOut.String())
	t.Logf("client pings of the VIP through the restart: %d sent, %d answered", sent, recv)
	if sent < 100 || recv != sent {
		t.Errorf("pings through the restart: %d sent, %d answered:\n%s", sent, recv, pingOut.String())
	}

	// A restart after the backup took over does not resume: the record's
	// heartbeat is older than three advert intervals.
	p1.Kill()
	if !netlab.WaitFor(10*time.Second, func() bool { return n2.HasAddr(vip4) }) {
		t.Fatal("the backup did not take over from the dead master")
	}
	p1 = start1(state)
	if !netlab.WaitFor(3*time.Second, func() bool { return strings.Contains(p1.Out.String(), "stopped too long ago") }) {
		t.Error("a stale record was resumed")
	}
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2) // and preempts as usual

	// Contrast: without the state file the restarted lvsd removes the VIP
	// and waits as backup; the backup takes over after its
	// Master_Down_Interval - the outage the state file avoids.
	p1.Kill()
	p1 = start1("none")
	if !netlab.WaitFor(3*time.Second, func() bool { return !n1.HasAddr(vip4) }) {
		t.Fatal("without the state file the leftover VIP was not removed")
	}
	gone := time.Now()
	if !netlab.WaitFor(15*time.Second, func() bool { return n1.HasAddr(vip4) || n2.HasAddr(vip4) }) {
		t.Fatal("nobody took the VIP")
	}
	t.Logf("without the state file: VIP unserved for %v (Master_Down_Interval), with it: never", time.Since(gone).Round(time.Millisecond))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2) // n1 (200) wins again in the end
}

func fileContains(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

var pingRE = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

func pingCounts(out string) (int, int) {
	m := pingRE.FindStringSubmatch(out)
	if m == nil {
		return 0, 0
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a, b
}
