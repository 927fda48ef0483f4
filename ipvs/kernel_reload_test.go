package ipvs

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// reloadIPVSModules unloads ip_vs with every ip_vs_* module that depends
// on it and loads them again (the VM's kernel has them as modules): the
// generic netlink family comes back under a new id, with an empty table.
func reloadIPVSModules(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/proc/modules")
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "ip_vs_") {
			mods = append(mods, f[0])
		}
	}
	if !slices.Contains(strings.Fields(string(b)), "ip_vs") {
		t.Skip("ip_vs is not a loaded module in this kernel")
	}
	for _, m := range append(mods, "ip_vs") {
		// A scheduler used by a service of an earlier test's namespace
		// stays referenced until that namespace's asynchronous cleanup
		// ends: rmmod says EAGAIN meanwhile, so try again for a while.
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := exec.Command("rmmod", m).CombinedOutput()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				mods, _ := os.ReadFile("/proc/modules")
				t.Fatalf("rmmod %s: %v: %s\n/proc/modules:\n%s", m, err, out, ipvsLines(mods))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, m := range append([]string{"ip_vs"}, mods...) {
		if out, err := exec.Command("modprobe", m).CombinedOutput(); err != nil {
			t.Fatalf("modprobe %s: %v: %s", m, err, out)
		}
	}
}

// ipvsLines is the ip_vs lines of /proc/modules (name, size, refcount,
// users) for a failure message.
func ipvsLines(mods []byte) string {
	var b strings.Builder
	for line := range strings.Lines(string(mods)) {
		if strings.HasPrefix(line, "ip_vs") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Defect 9: after rmmod ip_vs; modprobe ip_vs (which wipes the table and
// gives the family a new id) a running Manager puts the table back.
func TestKernelModuleReload(t *testing.T) {
	testenv.NeedRoot(t)
	c, ns := kernelNS(t)
	m := NewManager(c, nil)
	want := table(vsvc(svcKey("192.0.2.1", 80), "rr", dest("10.0.0.1", 80, 1), dest("10.0.0.2", 80, 2)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Apply(ctx, want); err != nil {
		t.Fatal(err)
	}
	before := ipvsadm(t, ns, "-Sn")
	// rmmod ip_vs_rr needs the services using it gone (the module is in
	// use otherwise): the operator's ipvsadm -C before a module reload.
	ipvsadm(t, ns, "-C")
	reloadIPVSModules(t)
	if got := ipvsadm(t, ns, "-Sn"); got != "" {
		t.Fatalf("table after reload: %q", got)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, time.Second) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := ipvsadm(t, ns, "-Sn"); got == before {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("table not restored after 20 s:\n%s\nwant:\n%s", got, before)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	<-done
	nc := c.(*netlinkClient)
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.refreshes == 0 {
		t.Errorf("the family was never re-resolved (id %d)", nc.family)
	}
}
