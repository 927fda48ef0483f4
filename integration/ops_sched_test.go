package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestOpsScheduling: vrrp_rt_priority puts every thread of lvsd under
// SCHED_RR (policy 2 in /proc/PID/task/TID/stat) with that priority, and
// vrrp_no_swap locks its memory (VmLck in /proc/PID/status).
func TestOpsScheduling(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	conf := writeFile(t, "n1.toml", opsConf("vrrp_rt_priority = 10\nvrrp_no_swap = true", instance{Priority: 200, Version: 3, Advert: fast}))
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", conf, "--socket", "none", "--state-file", "none")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd:\n%s", p.Out.String())
		}
	})
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	pid := p.Cmd.Process.Pid
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", task.Name(), "stat"))
		if err != nil {
			continue // exited
		}
		f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
		// fields after the command: state is field 3 of stat; rt_priority is 40, policy 41
		if rt, pol := f[40-3], f[41-3]; pol != "2" || rt != "10" {
			t.Errorf("thread %s: policy %s rt_priority %s, want SCHED_RR (2) 10", task.Name(), pol, rt)
		}
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmLck:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			if kb < 1024 {
				t.Errorf("vrrp_no_swap: %s, want the process locked in memory", line)
			}
		}
		if strings.HasPrefix(line, "VmRSS:") {
			// MCL_ONFAULT: locked as touched, not the whole reserved heap
			if kb, _ := strconv.Atoi(strings.Fields(line)[1]); kb > 100*1024 {
				t.Errorf("vrrp_no_swap blew up the resident set: %s", line)
			}
			t.Logf("%d threads under SCHED_RR 10, %s", len(tasks), line)
		}
	}
	if !strings.Contains(p.Out.String(), "running under SCHED_RR") || !strings.Contains(p.Out.String(), "memory locked") {
		t.Error("scheduling not logged")
	}
}
