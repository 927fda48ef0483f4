package integration

import (
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// Operations (issue 8) against real `lvsd run` processes in namespaces:
// control socket, status, metrics, sd_notify, reload, restart without outage.

// notifySocket is a fake systemd NOTIFY_SOCKET recording every message.
type notifySocket struct {
	path string
	c    *net.UnixConn
	mu   sync.Mutex
	msgs []string
	done chan struct{}
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify.sock"), done: make(chan struct{})}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n.c = c
	go func() {
		defer close(n.done)
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-n.done })
	return n
}

// lines returns every KEY=VALUE line received, in order.
func (n *notifySocket) lines() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, m := range n.msgs {
		out = append(out, strings.Split(m, "\n")...)
	}
	return out
}

// wait waits for the given lines, in this order, after the first skip lines.
func (n *notifySocket) wait(t *testing.T, skip int, want ...string) int {
	t.Helper()
	var got []string
	end := 0
	ok := netlab.WaitFor(10*time.Second, func() bool {
		got = n.lines()
		k := 0
		for i := skip; i < len(got) && k < len(want); i++ {
			if got[i] == want[k] || (strings.HasSuffix(want[k], "=") && strings.HasPrefix(got[i], want[k])) {
				k++
				end = i + 1
			}
		}
		return k == len(want)
	})
	if !ok {
		t.Fatalf("sd_notify: want %q after line %d, got %q", want, skip, got)
	}
	return end
}

// lvsdCmd runs an lvsd client command (status, reload, stop) from the host.
func lvsdCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testenv.LvsdBinary(t), args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

type opsInstance struct {
	Name           string   `json:"name"`
	State          string   `json:"state"`
	Base           int      `json:"base_priority"`
	AdvertsSent    uint64   `json:"adverts_sent"`
	Transitions    uint64   `json:"transitions"`
	LastCause      string   `json:"last_cause"`
	LastTransition string   `json:"last_transition"`
	VirtualAddress []string `json:"virtual_ipaddress"`
}

func statusJSON(t *testing.T, sock string) map[string]opsInstance {
	t.Helper()
	out, errs, code := lvsdCmd(t, "status", "--json", "--socket", sock)
	if code != 0 {
		t.Fatalf("lvsd status --json: exit %d: %s", code, errs)
	}
	var s struct {
		PID       int           `json:"pid"`
		Instances []opsInstance `json:"vrrp_instances"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	m := map[string]opsInstance{}
	for _, in := range s.Instances {
		m[in.Name] = in
	}
	return m
}

// opsConf is an lvsd configuration with the global table of the ops tests.
func opsConf(global string, ins ...instance) string {
	return "[global]\n" + global + "\n" + lvsdConf(ins...)
}

func TestOpsStatusMetricsNotifyReload(t *testing.T) {
	t.Parallel()
	testenv.NeedBinary(t, "curl")
	lab := netlab.New(t, "n1", "n2", "cl")
	n1, n2, cl := lab.Node("n1"), lab.Node("n2"), lab.Node("cl")
	dir := t.TempDir()
	sock, pidFile, stateFile := filepath.Join(dir, "n1.sock"), filepath.Join(dir, "n1.pid"), filepath.Join(dir, "n1.state")
	global := "metrics_listen = \"127.0.0.1:9650\"\nvrrp_late_timer = \"200ms\"\nscript_user = \"root\""
	// VI_2's notify script records every notification it gets.
	notifyLog := filepath.Join(dir, "vi2-notify.log")
	notifyScript := filepath.Join(dir, "vi2-notify.sh")
	if err := os.WriteFile(notifyScript, []byte("#!/bin/sh\necho \"$*\" >> "+notifyLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	vi2 := instance{Name: "VI_2", VRID: 52, Priority: 200, Version: 3, Advert: fast, VIPs: []string{"10.99.0.102/24 dev eth0"}, Notify: notifyScript}
	conf := func(vips ...string) string {
		return opsConf(global, vi2, instance{Priority: 200, Version: 3, Advert: fast, VIPs: vips})
	}
	cfgPath := filepath.Join(dir, "n1.toml")
	if err := os.WriteFile(cfgPath, []byte(conf()), 0o644); err != nil {
		t.Fatal(err)
	}
	ns := listenNotify(t)
	p1 := n1.Start("env", "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=1000000", testenv.LvsdBinary(t), "run", "-f", cfgPath,
		"--socket", sock, "--pid-file", pidFile, "--state-file", stateFile, "--log-level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd on n1:\n%s", p1.Out.String())
		}
	})
	vi2b := vi2
	vi2b.Priority, vi2b.Notify = 100, ""
	startLvsd(t, n2, lvsdConf(vi2b, instance{Priority: 100, Version: 3, Advert: fast}))
	seen := ns.wait(t, 0, "READY=1", "STATUS=")
	ns.wait(t, seen, "WATCHDOG=1", "WATCHDOG=1") // every 0.5 s with WatchdogSec=1s
	waitOwner(t, vip4, n1, 15*time.Second, 0, n1, n2)
	// the VIP is added just before the transition is recorded
	if !netlab.WaitFor(3*time.Second, func() bool {
		s := statusJSON(t, sock)
		return s["VI_1"].State == "MASTER" && s["VI_2"].State == "MASTER"
	}) {
		t.Fatal("n1 holds the VIP but is not MASTER")
	}

	// pid file
	b, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(p1.Cmd.Process.Pid) {
		t.Errorf("pid file %q (%v), want %d", b, err, p1.Cmd.Process.Pid)
	}
	// status, text and JSON
	out, errs, code := lvsdCmd(t, "status", "--socket", sock)
	if code != 0 {
		t.Fatalf("lvsd status: exit %d: %s", code, errs)
	}
	for _, want := range []string{"VRRP instance", "VI_1", "eth0", "51 (v3)", "MASTER", "200", "10.99.0.1", "master_down", "IPVS: no virtual servers"} {
		if !strings.Contains(out, want) {
			t.Errorf("lvsd status lacks %q:\n%s", want, out)
		}
	}
	t.Logf("lvsd status:\n%s", out)
	st := statusJSON(t, sock)["VI_1"]
	if st.State != "MASTER" || st.Base != 200 || st.AdvertsSent == 0 || len(st.VirtualAddress) != 1 {
		t.Errorf("status JSON: %+v", st)
	}
	// metrics, scraped inside the namespace
	var metrics string
	if !netlab.WaitFor(5*time.Second, func() bool {
		o, err := n1.Exec(t.Context(), "curl", "-sf", "http://127.0.0.1:9650/metrics")
		metrics = string(o)
		return err == nil
	}) {
		t.Fatalf("metrics scrape failed: %s", metrics)
	}
	for _, want := range []string{
		`lvsd_vrrp_state{instance="VI_1",state="MASTER"} 1`,
		`lvsd_vrrp_state{instance="VI_1",state="BACKUP"} 0`,
		`lvsd_vrrp_priority{instance="VI_1",kind="base"} 200`,
		`lvsd_vrrp_adverts_sent_total{instance="VI_1"}`,
		`lvsd_vrrp_transitions_total{instance="VI_1"} 2`,
		`lvsd_vrrp_late_timers_total{instance="VI_1"}`,
		`lvsd_scrape_error 0`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// Reload without changes: RELOADING then READY, the instance untouched:
	// no transition, no advert beyond the regular ones (counted on the
	// wire at the client), no gratuitous ARP.
	time.Sleep(6 * time.Second) // past the second GARP burst (garp_master_delay 5 s)
	adv, arp := sniff(t, cl, ethIPv4), sniff(t, cl, ethARP)
	before := statusJSON(t, sock)["VI_1"]
	from := time.Now()
	if err := p1.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	seen = ns.wait(t, seen, "RELOADING=1", "MONOTONIC_USEC=", "READY=1")
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload: exit %d: %s", code, errs)
	}
	seen = ns.wait(t, seen, "RELOADING=1", "READY=1")
	time.Sleep(3 * time.Second)
	after := statusJSON(t, sock)["VI_1"]
	window := time.Since(from)
	if after.Transitions != before.Transitions || after.State != "MASTER" {
		t.Errorf("reload without changes moved the instance: %+v -> %+v", before, after)
	}
	adverts := len(adv.since(from, isAdvert(51, n1.IP)))
	if max := int(window/(500*time.Millisecond)) + 1; adverts > max {
		t.Errorf("%d adverts in %v after the reloads, at most %d regular ones expected", adverts, window, max)
	}
	if g := arp.since(from, isGARP(vip4, n1.MAC)); len(g) != 0 {
		t.Errorf("%d gratuitous ARPs after a reload without changes", len(g))
	}
	if sent := after.AdvertsSent - before.AdvertsSent; sent > uint64(window/(500*time.Millisecond))+1 {
		t.Errorf("adverts_sent grew by %d in %v", sent, window)
	}
	if !strings.Contains(p1.Out.String(), "instances untouched") {
		t.Error("no 'instances untouched' log line")
	}

	// A bad file: the reply carries the error, the old configuration runs on.
	if err := os.WriteFile(cfgPath, []byte(conf()+"\n[[vrrp_instance]]\nname = \"VI_9\"\nbogus = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = lvsdCmd(t, "reload", "--socket", sock)
	if code == 0 || !strings.Contains(errs, "n1.toml:") || !strings.Contains(errs, "bogus") {
		t.Errorf("reload of a bad file: exit %d, stderr %q; want a failure naming the file and the key", code, errs)
	}
	seen = ns.wait(t, seen, "RELOADING=1", "READY=1")
	if s := statusJSON(t, sock); len(s) != 2 || s["VI_1"].State != "MASTER" || s["VI_1"].Transitions != before.Transitions {
		t.Errorf("after a bad reload: %+v", s)
	}
	if !strings.Contains(p1.Out.String(), "reload failed") {
		t.Error("the failed reload was not logged")
	}

	// A changed instance (one more VIP, excluded): handed over, the VIP never unserved,
	// the backup never takes over.
	// (excluded: not in the adverts, so the unchanged backup still accepts them)
	if err := os.WriteFile(cfgPath, []byte(conf()+"virtual_ipaddress_excluded = [\"10.99.0.101/24 dev eth0\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// VI_2, unchanged, runs on untouched (instance-by-instance reload).
	stopWatch := watchOwner(vip4, n1, n2)
	vi2Before := statusJSON(t, sock)["VI_2"]
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload (changed): exit %d: %s", code, errs)
	}
	waitOwner(t, netip.MustParseAddr("10.99.0.101"), n1, 5*time.Second, 0, n1, n2)
	time.Sleep(2 * time.Second)
	if bad := stopWatch(); bad != "" {
		t.Errorf("VIP during the reload: %s", bad)
	}
	s := statusJSON(t, sock)
	if s := s["VI_1"]; s.State != "MASTER" || s.LastCause != "resume" || len(s.VirtualAddress) != 2 {
		t.Errorf("after the changed reload: %+v", s)
	}
	if s := s["VI_2"]; s.Transitions != vi2Before.Transitions || s.LastCause != vi2Before.LastCause || s.AdvertsSent <= vi2Before.AdvertsSent {
		t.Errorf("unchanged VI_2 restarted by the reload: %+v -> %+v", vi2Before, s)
	}
	if !strings.Contains(p1.Out.String(), "reload: VRRP instances changed") {
		t.Error("the reload did not go instance by instance")
	}

	// A new instance: the whole VRRP part is handed over; the changed VI_1
	// resumes, no VIP is unserved; the unchanged VI_2 takes over its
	// predecessor's state quietly: no notification, no gratuitous ARP for
	// its VIP, the same last transition in the status.
	stopWatch = watchOwner(vip4, n1, n2)
	vip2 := netip.MustParseAddr("10.99.0.102")
	if !netlab.WaitFor(5*time.Second, func() bool {
		b, _ := os.ReadFile(notifyLog)
		return strings.Contains(string(b), "INSTANCE VI_2 MASTER")
	}) {
		b, _ := os.ReadFile(notifyLog)
		t.Fatalf("VI_2's notify script never said MASTER:\n%s", b)
	}
	notifiedBefore, _ := os.ReadFile(notifyLog)
	vi2Before = statusJSON(t, sock)["VI_2"]
	arp2 := sniff(t, cl, ethARP)
	fromHandover := time.Now()
	vi3 := instance{Name: "VI_3", VRID: 53, Priority: 200, Version: 3, Advert: fast, VIPs: []string{"10.99.0.103/24 dev eth0"}}
	if err := os.WriteFile(cfgPath, []byte(opsConf(global, vi2, instance{Priority: 200, Version: 3, Advert: fast}, vi3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("lvsd reload (new instance): exit %d: %s", code, errs)
	}
	waitOwner(t, netip.MustParseAddr("10.99.0.103"), n1, 5*time.Second, 0, n1, n2)
	time.Sleep(time.Second)
	if bad := stopWatch(); bad != "" {
		t.Errorf("VIP during the handover reload: %s", bad)
	}
	if n1.HasAddr(netip.MustParseAddr("10.99.0.101")) {
		t.Error("the VIP no longer configured is still on n1")
	}
	s = statusJSON(t, sock)
	if s["VI_1"].State != "MASTER" || s["VI_1"].LastCause != "resume" {
		t.Errorf("VI_1 after the handover: %+v", s["VI_1"])
	}
	if v := s["VI_2"]; v.State != "MASTER" || v.LastCause != vi2Before.LastCause || v.LastTransition != vi2Before.LastTransition ||
		v.Transitions != vi2Before.Transitions || v.AdvertsSent <= vi2Before.AdvertsSent {
		t.Errorf("unchanged VI_2 disturbed by the handover: %+v -> %+v", vi2Before, v)
	}
	time.Sleep(time.Second) // one advert interval more: a deferred GARP burst would be out
	if g := arp2.since(fromHandover, isGARP(vip2, n1.MAC)); len(g) != 0 {
		t.Errorf("%d gratuitous ARPs for the unchanged VI_2's VIP after the handover", len(g))
	}
	if g := arp2.since(fromHandover, isGARP(netip.MustParseAddr("10.99.0.103"), n1.MAC)); len(g) == 0 {
		t.Error("no gratuitous ARP for the new VI_3's VIP (is the sniffer working?)")
	}
	if b, _ := os.ReadFile(notifyLog); string(b) != string(notifiedBefore) {
		t.Errorf("VI_2's notify script ran during the handover: %q -> %q", notifiedBefore, b)
	}
	if !strings.Contains(p1.Out.String(), "reload: VRRP configuration changed, handing over") {
		t.Error("the reload did not hand the whole part over")
	}

	// Stop through the socket: STOPPING, exit 0, pid file removed.
	if _, errs, code := lvsdCmd(t, "stop", "--socket", sock); code != 0 {
		t.Fatalf("lvsd stop: exit %d: %s", code, errs)
	}
	ns.wait(t, seen, "STOPPING=1")
	if err := p1.Wait(15 * time.Second); err != nil {
		t.Errorf("lvsd exit: %v", err)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	waitOwner(t, vip4, n2, 5*time.Second, 0, n1, n2)
}

// watchOwner polls every 5 ms that want, and only want, holds addr until
// the returned function is called; it returns what went wrong, if anything.
func watchOwner(addr netip.Addr, want *netlab.Node, others ...*netlab.Node) func() string {
	stop := make(chan struct{})
	res := make(chan string, 1)
	go func() {
		bad := ""
		for {
			select {
			case <-stop:
				res <- bad
				return
			default:
			}
			if bad == "" {
				if !want.HasAddr(addr) {
					bad = "missing on " + want.Name + " at " + time.Now().Format("15:04:05.000")
				}
				for _, o := range others {
					if o.HasAddr(addr) {
						bad = "present on " + o.Name + " at " + time.Now().Format("15:04:05.000")
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() string { close(stop); return <-res }
}

// TestOpsReloadFromNothing: a daemon started without any VRRP instance
// gets one by a reload, and loses it by the next.
func TestOpsReloadFromNothing(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t, "n1")
	n1 := lab.Node("n1")
	dir := t.TempDir()
	cfgPath, sock := filepath.Join(dir, "n1.toml"), filepath.Join(dir, "n1.sock")
	if err := os.WriteFile(cfgPath, []byte("[global]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := n1.Start(testenv.LvsdBinary(t), "run", "-f", cfgPath, "--socket", sock, "--state-file", "none")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvsd:\n%s", p.Out.String())
		}
	})
	if !netlab.WaitFor(10*time.Second, func() bool { _, _, code := lvsdCmd(t, "status", "--socket", sock); return code == 0 }) {
		t.Fatal("lvsd did not come up")
	}
	if err := os.WriteFile(cfgPath, []byte(lvsdConf(instance{Priority: 200, Version: 3, Advert: fast})), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("reload: %s", errs)
	}
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
	if err := os.WriteFile(cfgPath, []byte("[global]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := lvsdCmd(t, "reload", "--socket", sock); code != 0 {
		t.Fatalf("reload: %s", errs)
	}
	waitOwner(t, vip4, nil, 5*time.Second, 0, n1)
	if s := statusJSON(t, sock); len(s) != 0 {
		t.Errorf("instances after removing them all: %+v", s)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("exit: %v", err)
	}
}
