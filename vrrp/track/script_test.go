package track

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lvsd/lvsd/vrrp/script"
)

// checkScript writes a vrrp_script that succeeds while dir/mode holds "ok"
// and logs every run's outcome to dir/runs.
func checkScript(t *testing.T) (dir, path string) {
	dir = t.TempDir()
	path = filepath.Join(dir, "check.sh")
	body := "#!/bin/sh\nif [ \"$(cat " + dir + "/mode)\" = ok ]; then echo ok >> " + dir + "/runs; exit 0; fi\necho fail >> " + dir + "/runs; exit 1\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	setMode(t, dir, "ok")
	return dir, path
}

func setMode(t *testing.T, dir, mode string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte(mode+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runsSince counts the outcomes logged after the first n lines.
func runsSince(t *testing.T, dir string, n int) (total int, fails int, oks int) {
	b, _ := os.ReadFile(filepath.Join(dir, "runs"))
	lines := strings.Fields(string(b))
	for _, l := range lines[min(n, len(lines)):] {
		if l == "fail" {
			fails++
		} else {
			oks++
		}
	}
	return len(lines), fails, oks
}

// TestScriptRiseFall3: interval, rise 3, fall 3: the tracker reports FAILED
// exactly at the third consecutive failure and OK again exactly at the third
// consecutive success, counted on real script runs.
func TestScriptRiseFall3(t *testing.T) {
	dir, path := checkScript(t)
	tr, err := NewScript(ScriptConfig{Name: "chk", Args: []string{path}, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, Rise: 3, Fall: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	// Record, at each status change, how the runs went so far: the script
	// loop waits for emit, so this is exact.
	seen := map[Status][3]int{}
	var base atomic.Int64
	r.hook = func(u Update) {
		total, fails, oks := runsSince(t, dir, int(base.Load()))
		seen[u.Status] = [3]int{total, fails, oks}
	}
	start(t, tr, r)
	if u := r.next(t, 5*time.Second, "INIT", func(u Update) bool { return true }); u.Status != StatusInit {
		t.Fatalf("first update %+v, want INIT", u)
	}
	r.next(t, 5*time.Second, "OK", func(u Update) bool { return u.Status == StatusOK })
	if s := seen[StatusOK]; s[0] != 1 {
		t.Fatalf("OK after %d runs, want 1 (first result decides)", s[0])
	}
	time.Sleep(50 * time.Millisecond) // a few more successes
	total, _, _ := runsSince(t, dir, 0)
	base.Store(int64(total))
	setMode(t, dir, "fail")
	u := r.next(t, 5*time.Second, "FAILED", func(u Update) bool { return u.Status == StatusFailed })
	if u.Reason != ReasonScriptExit {
		t.Errorf("FAILED reason %v, want %v", u.Reason, ReasonScriptExit)
	}
	// Runs after base may include one success that started before the mode
	// changed; the failures must be exactly 3.
	if s := seen[StatusFailed]; s[1] != 3 {
		t.Fatalf("FAILED after %d failing runs, want 3", s[1])
	}
	total, _, _ = runsSince(t, dir, 0)
	base.Store(int64(total))
	setMode(t, dir, "ok")
	r.next(t, 5*time.Second, "OK again", func(u Update) bool { return u.Status == StatusOK })
	if s := seen[StatusOK]; s[2] != 3 {
		t.Fatalf("OK after %d succeeding runs, want 3", s[2])
	}
	if got := tr.Counters.Get(ReasonScriptExit); got < 3 {
		t.Errorf("counted %d script_exit_status failures, want >= 3", got)
	}
}

// TestScriptInitFail: init_fail starts FAILED and needs rise successes.
func TestScriptInitFail(t *testing.T) {
	tr, _ := NewScript(ScriptConfig{Name: "chk", Args: []string{"true"}, Interval: 10 * time.Millisecond, Timeout: 5 * time.Second, Rise: 2, InitFail: true}, nil)
	r := newRecorder()
	start(t, tr, r)
	if u := r.next(t, 5*time.Second, "first", func(Update) bool { return true }); u.Status != StatusFailed {
		t.Fatalf("first update %+v, want FAILED", u)
	}
	r.next(t, 5*time.Second, "OK", func(u Update) bool { return u.Status == StatusOK })
}

// TestScriptHangingKilled: a script that hangs past its timeout is killed
// with its children and counts as a failure.
func TestScriptHangingKilled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hang.sh")
	os.WriteFile(path, []byte("#!/bin/sh\nsleep 1000 &\necho $! >> "+dir+"/pids\necho $$ >> "+dir+"/pids\nwait\n"), 0o755)
	tr, _ := NewScript(ScriptConfig{Name: "hang", Args: []string{path}, Interval: 100 * time.Millisecond, Timeout: 150 * time.Millisecond, KillGrace: 100 * time.Millisecond}, nil)
	r := newRecorder()
	start(t, tr, r)
	u := r.next(t, 10*time.Second, "FAILED", func(u Update) bool { return u.Status == StatusFailed })
	if u.Reason != ReasonScriptTimeout {
		t.Fatalf("reason %v, want %v", u.Reason, ReasonScriptTimeout)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "pids"))
	pids := strings.Fields(string(b))
	if len(pids) < 2 {
		t.Fatalf("pids %q", b)
	}
	for _, p := range pids[:2] {
		pid, _ := strconv.Atoi(p)
		deadline := time.Now().Add(5 * time.Second)
		for procAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if procAlive(pid) {
			t.Errorf("pid %d of the timed-out script still alive", pid)
		}
	}
	if tr.Counters.Get(ReasonScriptTimeout) == 0 {
		t.Error("timeout not counted")
	}
}

func procAlive(pid int) bool {
	_, _, ok := procInfo(pid)
	return ok
}

// TestScriptWeights: what a failing script does to the priority.
func TestScriptWeights(t *testing.T) {
	if got := Effective(100, []Input{{Name: "chk", Weight: -20, Status: StatusFailed}}); got.Priority != 80 {
		t.Errorf("weight -20 failing: %d, want 80", got.Priority)
	}
	if got := Effective(100, []Input{{Name: "chk", Weight: 0, Status: StatusFailed}}); !got.InFault() {
		t.Errorf("weight 0 failing: %+v, want FAULT", got)
	}
}

func TestNewScriptErrors(t *testing.T) {
	if _, err := NewScript(ScriptConfig{Name: "x"}, nil); err == nil {
		t.Error("empty command accepted")
	}
	tr, _ := NewScript(ScriptConfig{Name: "x", Args: []string{"true"}}, nil)
	if tr.cfg.Interval != time.Second || tr.cfg.Timeout != time.Second {
		t.Errorf("defaults: %+v", tr.cfg)
	}
	_ = script.DefaultKillGrace
}
