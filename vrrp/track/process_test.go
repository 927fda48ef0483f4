package track

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

func TestProcessMatches(t *testing.T) {
	tests := []struct {
		name string
		cfg  ProcessConfig
		comm string
		argv []string
		want bool
	}{
		{"comm", ProcessConfig{Process: "nginx"}, "nginx", []string{"nginx: master process"}, true},
		{"comm other", ProcessConfig{Process: "nginx"}, "httpd", []string{"/usr/sbin/nginx"}, false},
		{"comm truncated to 15", ProcessConfig{Process: "averyveryverylongname"}, "averyveryverylo", nil, true},
		{"full command argv0", ProcessConfig{Process: "/usr/sbin/nginx", FullCommand: true}, "nginx", []string{"/usr/sbin/nginx", "-g", "x"}, true},
		{"full command other path", ProcessConfig{Process: "/usr/sbin/nginx", FullCommand: true}, "nginx", []string{"nginx"}, false},
		{"params imply exact", ProcessConfig{Process: "/bin/app", Params: []string{"-c", "a.conf"}}, "app", []string{"/bin/app", "-c", "a.conf"}, true},
		{"exact extra arg", ProcessConfig{Process: "/bin/app", Params: []string{"-c", "a.conf"}}, "app", []string{"/bin/app", "-c", "a.conf", "-v"}, false},
		{"exact no params matches bare", ProcessConfig{Process: "/bin/app", ParamMatch: MatchExact}, "app", []string{"/bin/app"}, true},
		{"exact no params rejects args", ProcessConfig{Process: "/bin/app", ParamMatch: MatchExact}, "app", []string{"/bin/app", "x"}, false},
		{"partial", ProcessConfig{Process: "/bin/app", Params: []string{"-c"}, ParamMatch: MatchPartial}, "app", []string{"/bin/app", "-c", "x"}, true},
		{"partial needs whole word", ProcessConfig{Process: "/bin/app", Params: []string{"-c"}, ParamMatch: MatchPartial}, "app", []string{"/bin/app", "-cx"}, false},
		{"initial prefix of last", ProcessConfig{Process: "/bin/app", Params: []string{"-c", "a."}, ParamMatch: MatchInitial}, "app", []string{"/bin/app", "-c", "a.conf", "z"}, true},
		{"initial earlier word exact", ProcessConfig{Process: "/bin/app", Params: []string{"-", "a"}, ParamMatch: MatchInitial}, "app", []string{"/bin/app", "-c", "a"}, false},
		{"too few args", ProcessConfig{Process: "/bin/app", Params: []string{"-c", "x"}, ParamMatch: MatchPartial}, "app", []string{"/bin/app", "-c"}, false},
	}
	for _, tt := range tests {
		if got := tt.cfg.Matches(tt.comm, tt.argv); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestProcTable(t *testing.T) {
	t0 := time.Unix(0, 0)
	tab := newProcTable([]ProcessConfig{
		{Name: "a", Process: "a"},
		{Name: "b", Process: "b", Quorum: 2, TerminateDelay: time.Second},
	})
	tab.init(map[int][]int{10: {0}, 20: {1}, 21: {1}})
	if !tab.q[0].Up() || !tab.q[1].Up() {
		t.Fatal("not up after init")
	}
	if ch := tab.set(10, nil, t0); !cmp.Equal(ch, []int{0}) {
		t.Fatalf("exit of the only a: changed %v", ch)
	}
	if ch := tab.set(21, nil, t0); ch != nil {
		t.Fatalf("b below quorum with terminate_delay: changed %v", ch)
	}
	ch, next := tab.tick(t0.Add(time.Second))
	if !cmp.Equal(ch, []int{1}) || !next.IsZero() {
		t.Fatalf("tick: %v %v", ch, next)
	}
	// Fork of a tracked process counts the child; resync recounts.
	if ch := tab.set(30, []int{0}, t0); !cmp.Equal(ch, []int{0}) {
		t.Fatalf("new a: %v", ch)
	}
	if ch := tab.resync(map[int][]int{20: {1}, 22: {1}}, t0.Add(2*time.Second)); !cmp.Equal(ch, []int{0, 1}) {
		t.Fatalf("resync: %v", ch)
	}
}

func TestParseProcEvent(t *testing.T) {
	ne := binary.NativeEndian
	msg := func(what uint32, data ...uint32) []byte {
		b := make([]byte, eventDataOff+len(data)*4+16)
		ne.PutUint32(b[0:], uint32(len(b)))
		ne.PutUint32(b[16:], cnIdxProc)
		ne.PutUint32(b[20:], cnValProc)
		ne.PutUint16(b[32:], uint16(len(b)-36))
		ne.PutUint32(b[36:], what)
		for i, d := range data {
			ne.PutUint32(b[eventDataOff+4*i:], d)
		}
		return b
	}
	ev, ok := parseProcEvent(msg(procEventFork, 1, 2, 3, 4))
	if !ok || ev != (procEvent{what: procEventFork, pid: 1, tgid: 2, childPID: 3, childTGID: 4}) {
		t.Errorf("fork: %+v %v", ev, ok)
	}
	ev, ok = parseProcEvent(msg(procEventExit, 7, 7, 0, 9))
	if !ok || ev.pid != 7 || ev.tgid != 7 || ev.what != procEventExit {
		t.Errorf("exit: %+v %v", ev, ok)
	}
	c := msg(procEventComm, 5, 5)
	copy(c[eventDataOff+8:], "newname\x00")
	ev, ok = parseProcEvent(c)
	if !ok || ev.comm != "newname" {
		t.Errorf("comm: %+v %v", ev, ok)
	}
	bad := msg(procEventExec, 1, 1)
	ne.PutUint32(bad[16:], 9)
	if _, ok := parseProcEvent(bad); ok {
		t.Error("wrong cn idx accepted")
	}
	if _, ok := parseProcEvent(msg(procEventExec)[:30]); ok {
		t.Error("short message accepted")
	}
}

func FuzzParseProcEvent(f *testing.F) {
	f.Add(listenMsg())
	f.Add(make([]byte, eventDataOff+8))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcEvent(b) // must not panic
	})
}

// namedSleep copies sleep(1) to a file with a unique name, so that its comm
// is ours alone.
func namedSleep(t *testing.T) string {
	t.Helper()
	src, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("sleep(1) from coreutils, always installed: %v", err)
	}
	name := fmt.Sprintf("lvtrk%d", os.Getpid()%100000)
	dst := filepath.Join(t.TempDir(), name)
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return dst
}

func startProc(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// testProcessTracker: stopping a tracked process is seen at once (printed),
// starting it again too.
func testProcessTracker(t *testing.T, forcePoll bool) {
	bin := namedSleep(t)
	name := filepath.Base(bin)
	first := startProc(t, bin)
	tr, err := NewProcess([]ProcessConfig{{Name: "track_sleep", Process: name}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.ForcePoll = forcePoll
	tr.PollInterval = 50 * time.Millisecond
	r := newRecorder()
	start(t, tr, r)
	u := r.next(t, 10*time.Second, "initial", func(Update) bool { return true })
	if u.Status != StatusOK || u.Value != 1 {
		t.Fatalf("initial %+v, want OK with 1 process", u)
	}
	wantMode := ModeConnector
	if forcePoll {
		wantMode = ModePoll
	}
	if tr.Mode() != wantMode {
		t.Fatalf("mode %q, want %q (is the process-events connector usable here?)", tr.Mode(), wantMode)
	}
	t0 := time.Now()
	first.Process.Signal(syscall.SIGTERM)
	u = r.next(t, 10*time.Second, "stopped", func(u Update) bool { return u.Status == StatusFailed })
	t.Logf("mode %s: process exit seen %v after the signal", tr.Mode(), u.Time.Sub(t0))
	if u.Reason != ReasonProcessQuorum || u.Value != 0 {
		t.Errorf("stopped: %+v", u)
	}
	first.Wait()
	t0 = time.Now()
	startProc(t, bin)
	u = r.next(t, 10*time.Second, "started", func(u Update) bool { return u.Status == StatusOK })
	t.Logf("mode %s: process start seen %v after fork+exec", tr.Mode(), u.Time.Sub(t0))
}

func TestProcessTrackerConnector(t *testing.T) {
	testenv.NeedRoot(t)
	testProcessTracker(t, false)
}

func TestProcessTrackerPoll(t *testing.T) {
	testProcessTracker(t, true)
}

// TestProcessTrackerQuorumDelay: quorum 2 with terminate_delay: losing one
// of two processes fails only after the delay.
func TestProcessTrackerQuorumDelay(t *testing.T) {
	testenv.NeedRoot(t)
	bin := namedSleep(t)
	a, _ := startProc(t, bin), startProc(t, bin)
	tr, _ := NewProcess([]ProcessConfig{{Name: "q", Process: filepath.Base(bin), Quorum: 2, TerminateDelay: 300 * time.Millisecond}}, nil)
	r := newRecorder()
	start(t, tr, r)
	if u := r.next(t, 10*time.Second, "initial", func(Update) bool { return true }); u.Status != StatusOK || u.Value != 2 {
		t.Fatalf("initial %+v", u)
	}
	t0 := time.Now()
	a.Process.Kill()
	defer func() { t.Logf("counters %v", tr.Counters.Snapshot()) }()
	u := r.next(t, 10*time.Second, "failed", func(u Update) bool { return u.Status == StatusFailed })
	if d := u.Time.Sub(t0); d < 300*time.Millisecond {
		t.Fatalf("quorum lost after %v, before terminate_delay 300ms", d)
	}
}

// TestProcessTrackerInNetns: started inside a network namespace (lvsd run
// under `ip netns exec`), where the kernel refuses the connector, the
// tracker subscribes from the initial namespace and still sees exits at
// once.
func TestProcessTrackerInNetns(t *testing.T) {
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1")
	bin := namedSleep(t)
	p := startProc(t, bin)
	tr, _ := NewProcess([]ProcessConfig{{Name: "app", Process: filepath.Base(bin)}}, nil)
	r := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lab.Node("n1").Do(func() error { return tr.Run(ctx, r.emit) }) }()
	defer func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run = %v", err)
		}
	}()
	if u := r.next(t, 10*time.Second, "initial", func(Update) bool { return true }); u.Status != StatusOK {
		t.Fatalf("initial %+v", u)
	}
	if tr.Mode() != ModeConnector {
		t.Fatalf("mode %q inside a network namespace, want %q", tr.Mode(), ModeConnector)
	}
	t0 := time.Now()
	p.Process.Kill()
	u := r.next(t, 10*time.Second, "exit", func(u Update) bool { return u.Status == StatusFailed })
	t.Logf("exit seen %v after the kill", u.Time.Sub(t0))
}

func TestDropExited(t *testing.T) {
	now := time.Unix(100, 0)
	all := map[int][]int{1: {0}, 2: {0}, 3: {0}}
	exited := map[int]time.Time{2: now.Add(-time.Second), 3: now.Add(-3 * time.Second), 9: now}
	dropExited(all, exited, now)
	if diff := cmp.Diff(map[int][]int{1: {0}, 3: {0}}, all); diff != "" {
		t.Errorf("scan after drop (-want +got):\n%s", diff)
	}
	if _, ok := exited[3]; ok {
		t.Error("old exit not forgotten")
	}
}
