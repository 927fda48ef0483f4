package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestNetNamespace: global.net_namespace (keepalived's net_namespace). lvsd
// started in node n0's namespace enters node n1's and runs there: it becomes
// master and its VIP is on n1's eth0, not on n0's; `lvsd check` checks n1's
// interfaces; `lvsd status` reaches it through the control socket on the
// shared file system; a reload that changes the namespace is refused and
// the daemon runs on.
func TestNetNamespace(t *testing.T) {
	t.Parallel()
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "ah"}, "n0", "n1")
	n0, n1 := lab.Node("n0"), lab.Node("n1")
	if _, err := os.Stat(filepath.Join("/run/netns", n1.NS)); err != nil {
		t.Skipf("netlab namespace is not a named one in /run/netns: %v", err)
	}
	n0.MustExec("ip", "link", "set", "eth0", "name", "up0") // no eth0 where lvsd starts
	dir := t.TempDir()
	conf := filepath.Join(dir, "lvsd.toml")
	body := lvsdConf(instance{Priority: 255, Advert: fast, Version: 3})
	write := func(ns string) {
		if err := os.WriteFile(conf, []byte("[global]\nnet_namespace = \""+ns+"\"\n\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(n1.NS)
	bin := testenv.LvsdBinary(t)
	sock := filepath.Join(dir, "lvsd.sock")
	// eth0 exists only in n1: check passes because it looks there
	if out, err := n0.Exec(t.Context(), bin, "check", "-f", conf); err != nil {
		t.Fatalf("lvsd check: %v\n%s", err, out)
	}
	p := n0.Start(bin, "run", "-f", conf, "--socket", sock, "--state-file", "none", "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd:\n%s", p.Out.String())
		}
	})
	if !netlab.WaitFor(10*time.Second, func() bool { return n1.HasAddr(vip4) }) {
		t.Fatal("the VIP did not appear in n1's namespace")
	}
	if o := n0.MustExec("ip", "-o", "addr", "show"); strings.Contains(o, vip4.String()) {
		t.Errorf("the VIP is in the namespace lvsd was started in:\n%s", o)
	}
	st, err := n0.Exec(t.Context(), bin, "status", "--socket", sock)
	if err != nil || !strings.Contains(string(st), "MASTER") {
		t.Errorf("lvsd status: %v\n%s", err, st)
	}
	write("elsewhere")
	if o, err := n0.Exec(t.Context(), bin, "reload", "--socket", sock); err == nil {
		t.Errorf("a reload changing net_namespace succeeded:\n%s", o)
	}
	if !strings.Contains(p.Out.String(), "global.net_namespace changed") {
		t.Error("lvsd did not log why the reload was refused")
	}
	select {
	case <-p.Done():
		t.Fatal("lvsd exited after the refused reload")
	case <-time.After(time.Second):
	}
	if !n1.HasAddr(vip4) {
		t.Error("the VIP went away after the refused reload")
	}
}
