package netlab

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lvsd/lvsd/integration/testenv"
)

func TestLabPing(t *testing.T) {
	l := NewWithOptions(t, Options{IPv6: true}, "n1", "n2")
	n1, n2 := l.Node("n1"), l.Node("n2")
	n1.MustExec("ping", "-c1", "-W2", n2.IP.String())
	n1.MustExec("ping", "-6", "-c1", "-W2", n2.IP6.String())
	if !n2.HasAddr(n2.IP) {
		t.Fatalf("%s lacks %s", n2.NS, n2.IP)
	}
	var err error
	if e := n1.Do(func() error { return nil }); e != nil {
		err = e
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestSweepRemovesLabsOfDeadOwners(t *testing.T) {
	testenv.NeedNetns(t)
	// A lab "owned" by a process that has exited: start and reap one.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	prefix := "lvdead0-"
	ns := prefix + "sw"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	if err := os.MkdirAll(ownerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ownerDir, prefix), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	sweepStale()
	if _, err := os.Stat("/run/netns/" + ns); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("namespace %s of a dead owner survived the sweep (stat: %v)", ns, err)
	}
	if _, err := os.Stat(filepath.Join(ownerDir, prefix)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("owner file of %s survived the sweep", prefix)
	}
}
