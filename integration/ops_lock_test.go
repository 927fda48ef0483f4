package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsSecondRunRefused: a second `lvsd run` in a network namespace where
// one runs exits at once with a clear error (and leaves the first alone);
// once the first is killed -9, a new one starts.
func TestOpsSecondRunRefused(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	conf := lvsdConf(instance{Priority: 200})
	first := startLvsd(t, n1, conf)
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1)
	dir := t.TempDir()
	cfg := writeFile(t, "second.toml", conf)
	args := []string{"run", "-f", cfg, "--socket", filepath.Join(dir, "second.sock"), "--state-file", filepath.Join(dir, "second.state")}
	second := n1.Start(testenv.LvsdBinary(t), args...)
	if err := second.Wait(10 * time.Second); err == nil || !strings.Contains(second.Out.String(), "another lvsd runs in this network namespace") {
		t.Fatalf("second lvsd run: %v\n%s", err, second.Out.String())
	}
	t.Logf("refused: %s", strings.TrimSpace(second.Out.String()))
	select {
	case <-first.proc.Done():
		t.Fatal("the first lvsd exited")
	default:
	}
	first.proc.Kill()
	third := n1.Start(testenv.LvsdBinary(t), args...)
	if !netlab.WaitFor(10*time.Second, func() bool { return strings.Contains(third.Out.String(), "lvsd running") }) {
		t.Fatalf("lvsd did not start after the first was killed:\n%s", third.Out.String())
	}
	third.Kill()
}
