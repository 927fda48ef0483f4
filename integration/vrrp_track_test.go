package integration

// End-to-end proofs of issue 5 (trackers, notify scripts, notify FIFO):
// lvsd nodes in namespaces, priorities read from the adverts on the wire.

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

var (
	n1Addr = netip.MustParseAddr("10.99.0.1")
)

// advertPrio returns the priority of an IPv4 VRRP advert frame.
func advertPrio(b []byte) int {
	ihl := int(b[14]&0x0f) * 4
	return int(b[14+ihl+2])
}

// waitAdvertPrio waits until an advert from src carries prio.
func waitAdvertPrio(t *testing.T, s *frameSniffer, from time.Time, src netip.Addr, prio int, within time.Duration) time.Time {
	t.Helper()
	var last int = -1
	var at time.Time
	ok := netlab.WaitFor(within, func() bool {
		for _, f := range s.since(from, isAdvert(51, src)) {
			last = advertPrio(f.b)
			if last == prio {
				at = f.at
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no advert from %s with priority %d within %v (last seen %d)", src, prio, within, last)
	}
	return at
}

// TestTrackFileAdvertPriority: writing 5, then 6, into a tracked file
// (weight 1, base priority 244) makes the adverts on the wire carry 249,
// then 250.
func TestTrackFileAdvertPriority(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	file := filepath.Join(t.TempDir(), "vrrp_track_file")
	conf := lvsdConf(instance{Priority: 244, Version: 3, Advert: fast}) +
		"track_file = [\"app\"]\n\n" +
		fmt.Sprintf("[[track_file]]\nname = \"app\"\nfile = %q\nweight = 1\ninit_file = true\n", file)
	startLvsd(t, n1, conf)
	s := sniff(t, n2, ethIPv4)
	start := time.Now()
	waitAdvertPrio(t, s, start, n1Addr, 244, 15*time.Second)
	for _, v := range []int{5, 6} {
		t0 := time.Now()
		if err := os.WriteFile(file, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := waitAdvertPrio(t, s, t0, n1Addr, 244+v, 10*time.Second)
		t.Logf("track_file %d: first advert with priority %d %v after the write", v, 244+v, at.Sub(t0))
	}
}

// TestTrackInterfaceAdvertPriority: a tracked interface with weight -5
// going down lowers the priority on the wire by 5; with weight 0 (the
// instance's own interface) the instance is in FAULT and the VIP moves.
func TestTrackInterfaceAdvertPriority(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	n1.MustExec("ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
	n1.MustExec("ip", "link", "set", "trk0", "up")
	n1.MustExec("ip", "link", "set", "trk1", "up")
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}) + "track_interface = [\"trk0 weight -5\"]\n"
	startLvsd(t, n1, conf)
	startLvsd(t, n2, lvsdConf(instance{Priority: 150, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	s := sniff(t, n2, ethIPv4)
	waitAdvertPrio(t, s, time.Now(), n1Addr, 200, 10*time.Second)
	t0 := time.Now()
	n1.MustExec("ip", "link", "set", "trk1", "down") // trk0 loses carrier
	at := waitAdvertPrio(t, s, t0, n1Addr, 195, 10*time.Second)
	t.Logf("trk0 down: advert with priority 195 %v later", at.Sub(t0))
	n1.MustExec("ip", "link", "set", "trk1", "up")
	waitAdvertPrio(t, s, time.Now(), n1Addr, 200, 10*time.Second)
	waitOwner(t, vip4, n1, 5*time.Second, 0, n1, n2)
}

// namedSleep copies sleep(1) to a unique name, so the process's comm is ours.
func namedSleep(t *testing.T) (path, name string) {
	t.Helper()
	src, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("sleep(1) from coreutils, always installed: %v", err)
	}
	name = fmt.Sprintf("lvsd%d", time.Now().UnixNano()%1e9)
	path = filepath.Join(t.TempDir(), name)
	in, _ := os.Open(src)
	defer in.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(out, in)
	out.Close()
	return path, name
}

// TestTrackProcessMovesVIP: stopping a tracked process moves the VIP (the
// tracker sees the exit within milliseconds through the process-events
// connector; the takeover then follows VRRP timing), starting it moves it
// back.
func TestTrackProcessMovesVIP(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	bin, name := namedSleep(t)
	app := n1.Start(bin, "1000")
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}) +
		"track_process = [\"app\"]\n\n" +
		fmt.Sprintf("[[vrrp_track_process]]\nname = \"app\"\nprocess = %q\nweight = -100\n", name)
	d1 := startLvsd(t, n1, conf)
	startLvsd(t, n2, lvsdConf(instance{Priority: 150, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	s := sniff(t, n2, ethIPv4)
	t0 := time.Now()
	app.Kill()
	at := waitAdvertPrio(t, s, t0, n1Addr, 100, 10*time.Second)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	t.Logf("process killed: advert with priority 100 %v later, VIP on n2 %v later", at.Sub(t0), time.Since(t0))
	if !strings.Contains(d1.proc.Out.String(), "mode=connector") {
		t.Errorf("lvsd did not use the process-events connector:\n%s", d1.proc.Out.String())
	}
	n1.Start(bin, "1000")
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
}

// TestTrackScriptRiseFall: a check script (interval 1 s, rise 3, fall 3)
// that starts failing moves the VIP after its third failure and not before.
func TestTrackScriptRiseFall(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	mode, runs := filepath.Join(dir, "mode"), filepath.Join(dir, "runs")
	os.WriteFile(mode, []byte("ok\n"), 0o644)
	check := filepath.Join(dir, "check.sh")
	os.WriteFile(check, []byte("#!/bin/sh\nif grep -q ok "+mode+"; then echo ok >> "+runs+"; exit 0; fi\necho fail >> "+runs+"\nexit 1\n"), 0o755)
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: "0.1"}) +
		"track_script = [\"chk\"]\n\n" +
		fmt.Sprintf("[global]\nscript_user = \"root\"\n\n[[vrrp_script]]\nname = \"chk\"\nscript = %q\ninterval = 1\nrise = 3\nfall = 3\nweight = -100\n", check)
	startLvsd(t, n1, conf)
	startLvsd(t, n2, lvsdConf(instance{Priority: 150, Version: 3, Advert: "0.1"}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	fails := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "fail")
	}
	os.WriteFile(mode, []byte("fail\n"), 0o644)
	// The VIP has moved when n1 no longer holds it and n2 does.
	deadline := time.Now().Add(15 * time.Second)
	for n1.HasAddr(vip4) || !n2.HasAddr(vip4) {
		if f := fails(); f >= 5 {
			t.Fatalf("%d failures and the VIP has not moved", f)
		}
		if n1.HasAddr(vip4) == false && fails() < 3 {
			t.Fatalf("VIP left n1 after %d failures", fails())
		}
		if time.Now().After(deadline) {
			t.Fatal("VIP never moved")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The move follows the third failure by VRRP timing (~0.4 s here); a
	// fourth run may have started meanwhile on a loaded machine.
	if f := fails(); f < 3 || f > 4 {
		t.Fatalf("VIP moved with %d failures logged, want 3 (4 at most on a slow machine)", f)
	}
	t.Logf("VIP on n2 with %d failures logged", fails())
}

// TestTrackScriptWeightZeroFault: a weight-0 script failing puts the
// instance in FAULT: the VIP moves and the notify script says FAULT.
func TestTrackScriptWeightZeroFault(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	mode := filepath.Join(dir, "mode")
	os.WriteFile(mode, []byte("ok\n"), 0o644)
	log := filepath.Join(dir, "notify.log")
	notify := filepath.Join(dir, "notify.sh")
	os.WriteFile(notify, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755)
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}) +
		fmt.Sprintf("track_script = [\"chk\"]\nnotify = %q\n\n", notify+" extra") +
		fmt.Sprintf("[global]\nscript_user = \"root\"\n\n[[vrrp_script]]\nname = \"chk\"\nscript = \"grep -q ok %s\"\ninterval = 0.2\n", mode)
	startLvsd(t, n1, conf)
	startLvsd(t, n2, lvsdConf(instance{Priority: 150, Version: 3, Advert: fast}))
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	os.WriteFile(mode, []byte("fail\n"), 0o644)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	if !netlab.WaitFor(5*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "extra INSTANCE VI_1 FAULT 200")
	}) {
		b, _ := os.ReadFile(log)
		t.Fatalf("notify log has no FAULT line:\n%s", b)
	}
	os.WriteFile(mode, []byte("ok\n"), 0o644)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
}

// TestNotifyOrderBurst: the generic notify script records
// `INSTANCE VI_1 STATE PRIO` lines in transition order across a burst of
// fast transitions (a weight-0 tracked file flipped quickly), although each
// run takes longer than the burst: the notify FIFO, written at each
// transition, gives the order to compare with.
func TestNotifyOrderBurst(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	dir := t.TempDir()
	file, log, fifo := filepath.Join(dir, "flag"), filepath.Join(dir, "notify.log"), filepath.Join(dir, "notify.fifo")
	notify := filepath.Join(dir, "notify.sh")
	os.WriteFile(notify, []byte("#!/bin/sh\nsleep 0.2\necho \"$*\" >> "+log+"\n"), 0o755)
	conf := fmt.Sprintf("[global]\nscript_user = \"root\"\nnotify_fifo = %q\n\n", fifo) +
		lvsdConf(instance{Priority: 244, Version: 3, Advert: "0.1", Master: true}) +
		fmt.Sprintf("track_file = [{ name = \"flag\", weight = 0 }]\nnotify = %q\n\n", notify) +
		fmt.Sprintf("[[track_file]]\nname = \"flag\"\nfile = %q\ninit_file = true\n", file)
	// Read the FIFO from the start (lvsd creates it; wait for it).
	d := startLvsd(t, n1, conf)
	if !netlab.WaitFor(10*time.Second, func() bool { _, err := os.Stat(fifo); return err == nil }) {
		t.Fatalf("notify_fifo not created:\n%s", d.proc.Out.String())
	}
	f, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if !netlab.WaitFor(15*time.Second, func() bool { return n1.HasAddr(vip4) }) {
		t.Fatal("n1 never master")
	}
	for i := 0; i < 3; i++ {
		os.WriteFile(file, []byte("1\n"), 0o644) // FAULT
		time.Sleep(30 * time.Millisecond)
		os.WriteFile(file, []byte("0\n"), 0o644) // back to BACKUP, then MASTER
		time.Sleep(30 * time.Millisecond)
	}
	// Collect the FIFO's transitions until things settle.
	var want []string
	for {
		select {
		case l := <-lines:
			// INSTANCE "VI_1" MASTER 244 -> INSTANCE VI_1 MASTER 244
			want = append(want, strings.Replace(l, "\"", "", 2))
			continue
		case <-time.After(3 * time.Second):
		}
		break
	}
	if len(want) < 6 {
		t.Fatalf("only %d transitions in the FIFO: %q", len(want), want)
	}
	if !netlab.WaitFor(20*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "\n") >= len(want)
	}) {
		t.Fatalf("notify script ran fewer times than the FIFO has lines")
	}
	b, _ := os.ReadFile(log)
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notify order differs from transition order\nfifo:   %q\nnotify: %q", want, got)
	}
	t.Logf("%d transitions notified in order: %q", len(got), got)
}

// TestTrackScriptHangWeight: a check script that hangs past its timeout is
// killed with its children and counts as a failure; with weight -20 the
// advertised priority drops by 20.
func TestTrackScriptHangWeight(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	dir := t.TempDir()
	mode, pids := filepath.Join(dir, "mode"), filepath.Join(dir, "pids")
	os.WriteFile(mode, []byte("ok\n"), 0o644)
	check := filepath.Join(dir, "check.sh")
	os.WriteFile(check, []byte("#!/bin/sh\ngrep -q ok "+mode+" && exit 0\nsleep 1000 &\necho $! >> "+pids+"\necho $$ >> "+pids+"\nwait\n"), 0o755)
	conf := lvsdConf(instance{Priority: 200, Version: 3, Advert: fast}) +
		"track_script = [\"chk\"]\n\n" +
		fmt.Sprintf("[global]\nscript_user = \"root\"\n\n[[vrrp_script]]\nname = \"chk\"\nscript = %q\ninterval = 1\ntimeout = 0.3\nweight = -20\n", check)
	startLvsd(t, n1, conf)
	s := sniff(t, n2, ethIPv4)
	waitAdvertPrio(t, s, time.Now(), n1Addr, 200, 15*time.Second)
	t0 := time.Now()
	os.WriteFile(mode, []byte("hang\n"), 0o644)
	at := waitAdvertPrio(t, s, t0, n1Addr, 180, 10*time.Second)
	t.Logf("hanging script: advert with priority 180 %v after it started hanging", at.Sub(t0))
	b, _ := os.ReadFile(pids)
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		t.Fatalf("script recorded pids %q", b)
	}
	for _, f := range fields[:2] {
		if !netlab.WaitFor(5*time.Second, func() bool {
			st, err := os.ReadFile("/proc/" + f + "/stat")
			return err != nil || strings.Contains(string(st), ") Z")
		}) {
			t.Errorf("pid %s of the timed-out script still alive", f)
		}
	}
}

// TestSyncGroupTrackerFailover: a two-instance sync group fails over
// together when one member's tracker fails, and the group notify script
// gets `GROUP VG_1 FAULT 0`.
func TestSyncGroupTrackerFailover(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	vip4b := netip.MustParseAddr("10.99.0.101")
	dir := t.TempDir()
	flag, log := filepath.Join(dir, "flag"), filepath.Join(dir, "group.log")
	notify := filepath.Join(dir, "notify.sh")
	os.WriteFile(notify, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755)
	conf := func(prio int, extra string) string {
		return lvsdConf(
			instance{Name: "VI_2", VRID: 52, Priority: prio, Version: 3, Advert: fast, VIPs: []string{"10.99.0.101/24 dev eth0"}},
			instance{Name: "VI_1", VRID: 51, Priority: prio, Version: 3, Advert: fast},
		) + extra
	}
	group := "[[vrrp_sync_group]]\nname = \"VG_1\"\ngroup = [\"VI_1\", \"VI_2\"]\n"
	c1 := conf(200, "track_file = [{ name = \"flag\", weight = 0 }]\n\n") + group +
		fmt.Sprintf("notify = %q\n\n[global]\nscript_user = \"root\"\n\n[[track_file]]\nname = \"flag\"\nfile = %q\ninit_file = true\n", notify, flag)
	startLvsd(t, n1, c1)
	startLvsd(t, n2, conf(150, "\n")+group)
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	waitOwner(t, vip4b, n1, 5*time.Second, 0, n1, n2)
	t0 := time.Now()
	os.WriteFile(flag, []byte("1\n"), 0o644)
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	waitOwner(t, vip4b, n2, 10*time.Second, 0, n1, n2)
	t.Logf("both members on n2 %v after VI_1's tracker failed", time.Since(t0))
	if !netlab.WaitFor(5*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "GROUP VG_1 FAULT 0")
	}) {
		b, _ := os.ReadFile(log)
		t.Fatalf("group notify log:\n%s", b)
	}
	os.WriteFile(flag, []byte("0\n"), 0o644)
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	waitOwner(t, vip4b, n1, 10*time.Second, 0, n1, n2)
}

// TestNotifyFIFOScriptPriorityChanges: notify_fifo_script reads the FIFO
// (its path is the last argument) and, with notify_priority_changes, a
// tracked file moving a master's priority gives MASTER_PRIORITY lines.
func TestNotifyFIFOScriptPriorityChanges(t *testing.T) {
	t.Parallel()
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	dir := t.TempDir()
	file, fifo, log := filepath.Join(dir, "prio"), filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "fifo.log")
	reader := filepath.Join(dir, "reader.sh")
	os.WriteFile(reader, []byte("#!/bin/sh\nexec cat \"$1\" >> "+log+"\n"), 0o755)
	conf := fmt.Sprintf("[global]\nscript_user = \"root\"\nnotify_fifo = %q\nnotify_fifo_script = %q\n\n", fifo, reader) +
		lvsdConf(instance{Priority: 200, Version: 3, Advert: "0.1", Master: true}) +
		"track_file = [\"prio\"]\nnotify_priority_changes = true\n\n" +
		fmt.Sprintf("[[track_file]]\nname = \"prio\"\nfile = %q\ninit_file = true\n", file)
	d := startLvsd(t, n1, conf)
	if !netlab.WaitFor(15*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), `INSTANCE "VI_1" MASTER 200`)
	}) {
		t.Fatal("n1 never master")
	}
	os.WriteFile(file, []byte("5\n"), 0o644)
	want := []string{`INSTANCE "VI_1" BACKUP 200`, `INSTANCE "VI_1" MASTER 200`, `INSTANCE "VI_1" MASTER_PRIORITY 205`}
	if !netlab.WaitFor(10*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Join(strings.Split(strings.TrimSpace(string(b)), "\n"), "|") == strings.Join(want, "|")
	}) {
		b, _ := os.ReadFile(log)
		t.Fatalf("FIFO reader got:\n%s\nwant:\n%s", b, strings.Join(want, "\n"))
	}
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	// The reader was killed with lvsd; STOP reached it before.
	b, _ := os.ReadFile(log)
	if !strings.Contains(string(b), `INSTANCE "VI_1" STOP`) {
		t.Errorf("no STOP line: %s", b)
	}
}
