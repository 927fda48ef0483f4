package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lvsd/lvsd/config"
)

// TestApplyProcess applies process_name, process_priority, cpu_affinity,
// rlimit_rttime (with vrrp_rt_priority when root) and umask in a child
// test process (they are the whole process's) and reads them back from the
// kernel for every thread.
func TestApplyProcess(t *testing.T) {
	if os.Getenv("LVSD_TEST_APPLY_PROCESS") == "1" {
		applyProcessChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyProcess$")
	cmd.Env = append(os.Environ(), "LVSD_TEST_APPLY_PROCESS=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "process settings ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func applyProcessChild() {
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
	// More threads than one: each must get the settings.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); runtime.LockOSThread(); <-stop }()
	}
	nice0 := threadNice(fail, os.Getpid())
	nice := min(nice0+3, 19)
	var cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cpus); err != nil {
		fail("sched_getaffinity: %v", err)
	}
	cpu := -1
	for i := range 1024 {
		if cpus.IsSet(i) {
			cpu = i
			break
		}
	}
	src := fmt.Sprintf("[global]\nprocess_name = \"lvsd-proctest\"\nprocess_priority = %d\ncpu_affinity = [%d]\nrlimit_rttime = 50000\numask = \"027\"\n", nice, cpu)
	if os.Geteuid() == 0 {
		src += "vrrp_rt_priority = 1\n"
	}
	cfg, err := config.Parse("t.toml", []byte(src))
	if err != nil {
		fail("%v", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if cfg.Global.VRRPRTPriority > 0 {
		if err := setRealtime(cfg.Global.VRRPRTPriority); err != nil {
			fail("%v", err)
		}
	}
	applyProcess(log, nil, cfg.Global)
	tids, err := threadIDs()
	if err != nil || len(tids) < 5 {
		fail("threads %v %v", tids, err)
	}
	for _, tid := range tids {
		if n := threadNice(fail, tid); n != nice {
			fail("thread %d: nice %d, want %d", tid, n, nice)
		}
		var got unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &got); err != nil || got.Count() != 1 || !got.IsSet(cpu) {
			fail("thread %d: affinity %v (%v), want CPU %d only", tid, got, err, cpu)
		}
		b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/comm")
		if err != nil || strings.TrimSpace(string(b)) != "lvsd-proctest" {
			fail("thread %d: comm %q (%v)", tid, b, err)
		}
	}
	if b, _ := os.ReadFile("/proc/self/comm"); strings.TrimSpace(string(b)) != "lvsd-proctest" {
		fail("/proc/self/comm %q", b)
	}
	if m := unix.Umask(0o22); m != 0o27 {
		fail("umask %#o, want 027", m)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_RTTIME, &rl); err != nil {
		fail("getrlimit: %v", err)
	}
	if os.Geteuid() == 0 {
		if rl.Max != 50000 || rl.Cur != 25000 {
			fail("RLIMIT_RTTIME %+v, want 25000/50000", rl)
		}
	} else if rl.Max == 50000 {
		fail("RLIMIT_RTTIME set without vrrp_rt_priority")
	}
	close(stop)
	wg.Wait()
	fmt.Printf("process settings ok: %d threads, nice %d, cpu %d, rlimit %+v\n", len(tids), nice, cpu, rl)
}

// threadNice reads a thread's nice value (field 19 of /proc/self/task/TID/stat).
func threadNice(fail func(string, ...any), tid int) int {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		fail("%v", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		fail("stat %q: %v", s, err)
	}
	return n
}
