package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/vrrp/script"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFormats(t *testing.T) {
	tests := []struct {
		ev   Event
		line string
		args []string
	}{
		{Event{Name: "VI_1", State: Master, Priority: 200}, `INSTANCE "VI_1" MASTER 200` + "\n", []string{"/x", "a", "INSTANCE", "VI_1", "MASTER", "200"}},
		{Event{Group: true, Name: "VG_1", State: Backup, Priority: 100}, `GROUP "VG_1" BACKUP 0` + "\n", []string{"/x", "a", "GROUP", "VG_1", "BACKUP", "0"}},
		{Event{Name: "VI_1", State: Fault, Priority: 244}, `INSTANCE "VI_1" FAULT 244` + "\n", []string{"/x", "a", "INSTANCE", "VI_1", "FAULT", "244"}},
		{Event{Name: "VI_1", State: MasterRxLowerPri, Priority: 244}, `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 244` + "\n", nil},
		{Event{Name: "VI_1", State: BackupPriority, Priority: 90}, `INSTANCE "VI_1" BACKUP_PRIORITY 90` + "\n", nil},
	}
	for _, tt := range tests {
		if got := FIFOLine(tt.ev); got != tt.line {
			t.Errorf("FIFOLine(%+v) = %q, want %q", tt.ev, got, tt.line)
		}
		if tt.args != nil {
			if diff := cmp.Diff(tt.args, NotifyArgs([]string{"/x", "a"}, tt.ev)); diff != "" {
				t.Errorf("NotifyArgs (-want +got):\n%s", diff)
			}
		}
	}
	if State(99).String() != "{UNKNOWN}" {
		t.Error("unknown state name")
	}
}

// recordScript writes a notify script that logs "start ARGS" and "end ARGS"
// around a sleep of $SLEEP_<STATE> seconds (from a file), so that overlaps
// would show.
func recordScript(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "notify.sh")
	body := `#!/bin/sh
log=` + dir + `/log
echo "start $*" >> $log
case "$3" in MASTER) sleep 0.05 ;; esac
echo "end $*" >> $log
`
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func readLines(t *testing.T, path string) []string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestOrderAcrossBurst: a burst of fast transitions of one instance gives
// generic notify runs in transition order, each finishing before the next
// starts, with keepalived's arguments; a second instance runs alongside.
func TestOrderAcrossBurst(t *testing.T) {
	dir := t.TempDir()
	sh := recordScript(t, dir)
	n, err := New(Options{Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	scripts := &Scripts{Notify: &Script{Args: []string{sh}}}
	states := []State{Backup, Master, Backup, Master, Fault, Backup, Master, Stop}
	var want []string
	for _, st := range states {
		prio := 244
		if st == Fault {
			prio = 244 - 20
		}
		n.Notify(scripts, Event{Name: "VI_1", State: st, Priority: prio})
		args := fmt.Sprintf("INSTANCE VI_1 %s %d", st, prio)
		want = append(want, "start "+args, "end "+args)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, filepath.Join(dir, "log"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("notify log (-want +got):\n%s", diff)
	}
}

// TestStateScripts: notify_<state> scripts get only their own arguments and
// run before the generic notify of the same transition; DELETED is
// reported as FAULT unless notify_deleted.
func TestStateScripts(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	mk := func(tag string) *Script {
		return &Script{Args: []string{"sh", "-c", `echo "$0 $*" >> ` + log, tag, "arg"}}
	}
	s := &Scripts{Master: mk("master"), Backup: mk("backup"), Fault: mk("fault"), Stop: mk("stop"),
		Deleted: mk("deleted"), MasterRxLowerPri: mk("rxlower"), Notify: mk("generic")}
	n, _ := New(Options{}, nil)
	n.Notify(s, Event{Name: "VI_1", State: Master, Priority: 200})
	n.Notify(s, Event{Name: "VI_1", State: MasterRxLowerPri, Priority: 200})
	n.Notify(s, Event{Name: "VI_1", State: Deleted, Priority: 200})
	s2 := *s
	s2.NotifyDeleted = true
	n.Notify(&s2, Event{Name: "VI_1", State: Deleted, Priority: 200})
	n.Notify(s, Event{Group: true, Name: "VG_1", State: Backup, Priority: 200})
	n.Close(context.Background())
	got := readLines(t, log)
	// The group has its own queue: take its lines apart.
	var inst, grp []string
	for _, l := range got {
		if strings.Contains(l, "GROUP") || strings.HasPrefix(l, "backup") {
			grp = append(grp, l)
		} else {
			inst = append(inst, l)
		}
	}
	wantInst := []string{
		"master arg", "generic arg INSTANCE VI_1 MASTER 200",
		"rxlower arg",
		"fault arg", "generic arg INSTANCE VI_1 FAULT 200",
		"deleted arg", "generic arg INSTANCE VI_1 DELETED 200",
	}
	if diff := cmp.Diff(wantInst, inst); diff != "" {
		t.Errorf("instance notifications (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"backup arg", "generic arg GROUP VG_1 BACKUP 0"}, grp); diff != "" {
		t.Errorf("group notifications (-want +got):\n%s", diff)
	}
}

// TestTimeoutThenNext: a notify script that hangs is killed at its timeout
// (counted), and the next notification of the instance then runs.
func TestTimeoutThenNext(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	hang := &Script{Args: []string{"sh", "-c", "echo hang >> " + log + "; sleep 1000 & wait"}}
	okS := &Script{Args: []string{"sh", "-c", "echo next >> " + log}}
	n, _ := New(Options{Timeout: 200 * time.Millisecond, KillGrace: 100 * time.Millisecond}, nil)
	n.Notify(&Scripts{Master: hang}, Event{Name: "VI_1", State: Master, Priority: 1})
	n.Notify(&Scripts{Backup: okS}, Event{Name: "VI_1", State: Backup, Priority: 1})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"hang", "next"}, readLines(t, log)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n.Count(ReasonScriptTimeout) != 1 {
		t.Errorf("timeouts counted %d, want 1", n.Count(ReasonScriptTimeout))
	}
}

func TestFailuresCounted(t *testing.T) {
	n, _ := New(Options{}, nil)
	s := &Scripts{Master: &Script{Args: []string{"sh", "-c", "echo bad >&2; exit 2"}}, Backup: &Script{Args: []string{"/nonexistent/x"}}}
	n.Notify(s, Event{Name: "VI_1", State: Master})
	n.Notify(s, Event{Name: "VI_1", State: Backup})
	n.Close(context.Background())
	if n.Count(ReasonScriptExit) != 1 || n.Count(ReasonScriptStart) != 1 {
		t.Errorf("counts exit %d start %d, want 1 1", n.Count(ReasonScriptExit), n.Count(ReasonScriptStart))
	}
}

// TestCloseKills: Close with a deadline kills a script still running.
func TestCloseKills(t *testing.T) {
	n, _ := New(Options{Timeout: time.Hour, KillGrace: 50 * time.Millisecond}, nil)
	n.Notify(&Scripts{Master: &Script{Args: []string{"sleep", "1000"}}}, Event{Name: "VI_1", State: Master})
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := n.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %v", d)
	}
	// Notify after Close is a no-op.
	n.Notify(&Scripts{Master: &Script{Args: []string{"true"}}}, Event{Name: "VI_1", State: Master})
}

// TestFIFO: lines in keepalived's format, in order, to a reader; the FIFO
// is created when missing.
func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	n, err := New(Options{FIFOs: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("fifo not created: %v %v", st, err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs := []Event{
		{Name: "VI_1", State: Backup, Priority: 100},
		{Name: "VI_1", State: Master, Priority: 244},
		{Group: true, Name: "VG_1", State: Master, Priority: 244},
		{Name: "VI_1", State: MasterPriority, Priority: 249},
		{Name: "VI_1", State: Deleted, Priority: 249},
	}
	for _, e := range evs {
		n.Notify(nil, e)
	}
	want := []string{`INSTANCE "VI_1" BACKUP 100`, `INSTANCE "VI_1" MASTER 244`, `GROUP "VG_1" MASTER 0`, `INSTANCE "VI_1" MASTER_PRIORITY 249`, `INSTANCE "VI_1" FAULT 249`}
	sc := bufio.NewScanner(r)
	var got []string
	for len(got) < len(want) && sc.Scan() {
		got = append(got, sc.Text())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fifo lines (-want +got):\n%s", diff)
	}
	n.Close(context.Background())
}

// TestFIFONoReader: without a reader nothing blocks; once the pipe is full
// lines are dropped and counted.
func TestFIFONoReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	n, err := New(Options{FIFOs: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5000; i++ { // ~150 KB, more than a pipe holds
			n.Notify(nil, Event{Name: "VI_1", State: Master, Priority: i % 255})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Notify blocked without a FIFO reader")
	}
	if n.Count(ReasonFIFOFull) == 0 {
		t.Error("no line dropped although nobody reads")
	}
	n.Close(context.Background())
}

func TestFIFONotAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	os.WriteFile(path, nil, 0o644)
	if _, err := New(Options{FIFOs: []string{path}}, nil); err == nil {
		t.Fatal("a regular file accepted as notify_fifo")
	}
}

func TestFromConfig(t *testing.T) {
	g := config.Global{ScriptUser: "root"}
	ns := config.NotifySet{
		Notify: config.Command{Line: `/usr/local/bin/notify.sh "a b"`},
		Master: config.Command{Line: "/etc/keepalived/master.sh", User: "nobody"},
		Fault:  config.Command{Line: "/etc/keepalived/notify_action.sh FAULT"},
	}
	s, err := FromConfig(ns, g)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/usr/local/bin/notify.sh", "a b"}, s.Notify.Args); diff != "" {
		t.Errorf("notify args (-want +got):\n%s", diff)
	}
	if s.Master.Cred == nil || s.Master.Cred.User != "nobody" || s.Fault.Cred == nil || s.Fault.Cred.UID != 0 {
		t.Errorf("users: master %+v fault %+v", s.Master.Cred, s.Fault.Cred)
	}
	if s.Backup != nil || s.NotifyDeleted {
		t.Errorf("unset scripts: %+v", s)
	}
	if _, err := FromConfig(config.NotifySet{Master: config.Command{Line: `x "open`}}, g); err == nil {
		t.Error("bad command accepted")
	}
	if _, err := FromConfig(config.NotifySet{Master: config.Command{Line: "x", User: "no-such-user-lvsd"}}, g); err == nil {
		t.Error("unknown user accepted")
	}
	if o := OptionsFromConfig(config.Global{NotifyFIFO: "/run/a"}); len(o.FIFOs) != 2 || o.FIFOs[0] != "/run/a" {
		t.Errorf("options %+v", o)
	}
}

func TestFromConfigScriptSecurity(t *testing.T) {
	testenv.NeedRoot(t) // the check applies to scripts run as root
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	p := filepath.Join(dir, "n.sh")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
	os.Chmod(p, 0o757) // writable by everyone
	g := config.Global{ScriptUser: "root", EnableScriptSecurity: true}
	if _, err := FromConfig(config.NotifySet{Master: config.Command{Line: p}}, g); err == nil {
		t.Fatal("world-writable root-run notify script accepted")
	}
	g.ScriptUser = "nobody"
	if _, err := FromConfig(config.NotifySet{Master: config.Command{Line: p}}, g); err != nil {
		t.Fatalf("non-root script refused: %v", err)
	}
	os.Chmod(p, 0o755)
	g.ScriptUser = "root"
	if _, err := FromConfig(config.NotifySet{Master: config.Command{Line: p}}, g); err != nil {
		t.Fatalf("secure script refused: %v", err)
	}
}

// blockingRun is a script runner whose first run blocks until release (or
// the notifier's context ends); it records the events it was given.
type blockingRun struct {
	mu      chan struct{} // 1-slot lock
	started []string
	release chan struct{}
	first   chan struct{}
}

func newBlockingRun() *blockingRun {
	return &blockingRun{mu: make(chan struct{}, 1), release: make(chan struct{}), first: make(chan struct{})}
}

func (b *blockingRun) run(ctx context.Context, s script.Spec) script.Result {
	b.mu <- struct{}{}
	b.started = append(b.started, strings.Join(s.Args, " "))
	n := len(b.started)
	<-b.mu
	if n == 1 {
		close(b.first)
		select {
		case <-b.release:
		case <-ctx.Done():
			return script.Result{Reason: script.ReasonTimeout}
		}
	}
	return script.Result{}
}

func (b *blockingRun) list() []string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return append([]string(nil), b.started...)
}

// TestQueueFullKeepsFinalState: with the queue full, the oldest queued
// notification is dropped, never the newest: the script for the final
// state runs.
func TestQueueFullKeepsFinalState(t *testing.T) {
	b := newBlockingRun()
	n, err := newNotifier(Options{QueueLen: 2}, nil, b.run)
	if err != nil {
		t.Fatal(err)
	}
	sc := &Scripts{Notify: &Script{Args: []string{"/n"}}}
	n.Notify(sc, Event{Name: "VI_1", State: Backup, Priority: 100})
	<-b.first // running, out of the queue
	for _, st := range []State{Master, Fault, Backup, Master} {
		n.Notify(sc, Event{Name: "VI_1", State: st, Priority: 100})
	}
	close(b.release)
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"/n INSTANCE VI_1 BACKUP 100", "/n INSTANCE VI_1 BACKUP 100", "/n INSTANCE VI_1 MASTER 100"}
	if d := cmp.Diff(want, b.list()); d != "" {
		t.Errorf("scripts run (-want +got):\n%s", d)
	}
	if got := n.Count(ReasonQueueFull); got != 2 {
		t.Errorf("queue_full = %d, want 2", got)
	}
}

// TestCloseStartsNoQueued: when Close's deadline passes, the running script
// is killed and none of those queued behind it is started.
func TestCloseStartsNoQueued(t *testing.T) {
	b := newBlockingRun()
	n, err := newNotifier(Options{}, nil, b.run)
	if err != nil {
		t.Fatal(err)
	}
	sc := &Scripts{Notify: &Script{Args: []string{"/n"}}}
	n.Notify(sc, Event{Name: "VI_1", State: Backup})
	<-b.first
	for range 100 {
		n.Notify(sc, Event{Name: "VI_1", State: Master})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := n.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	if got := b.list(); len(got) != 1 {
		t.Errorf("%d scripts started, want only the one running at Close: %v", len(got), got)
	}
	if got := n.Count(ReasonNotRunAtStop); got != 100 {
		t.Errorf("not_run_at_stop = %d, want 100", got)
	}
}
