package directorbench

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

var (
	flagVS      = flag.Int("director.vs", 1000, "virtual servers of the table")
	flagRS      = flag.Int("director.rs", 10, "real servers per virtual server")
	flagSamples = flag.Int("director.samples", 3, "samples per daemon (medians are printed)")
	flagIdle    = flag.Duration("director.idle", 20*time.Second, "idle CPU window with the full table")
	flagChecks  = flag.Int("director.checks", 200, "real servers checked in the TCP_CHECK and HTTP_GET figures (0: skip them)")
	flagWindow  = flag.Duration("director.check-window", 20*time.Second, "CPU window of the check figures")
	flagKAMode  = flag.String("director.keepalived", "checker", "keepalived mode: checker (-C) or full")
	flagLog     = flag.Bool("director.log", false, "log each daemon's output (lvsd's stderr, keepalived's syslog) after its sample")
)

// Quiet: a process tree is quiet once it uses less than quietLimit CPU in
// quietWindow.
const (
	quietWindow = time.Second
	quietLimit  = 15 * time.Millisecond
	tick        = 50 * time.Millisecond
)

// results holds every figure: name -> daemon -> one value per sample.
type results struct {
	order []string
	unit  map[string]string
	v     map[string]map[string][]float64
	notes map[string]map[string]string
}

func newResults() *results {
	return &results{unit: map[string]string{}, v: map[string]map[string][]float64{}, notes: map[string]map[string]string{}}
}

func (r *results) add(name, unit, daemon string, v float64) {
	if _, ok := r.v[name]; !ok {
		r.order = append(r.order, name)
		r.v[name] = map[string][]float64{}
		r.unit[name] = unit
	}
	r.v[name][daemon] = append(r.v[name][daemon], v)
}

// note is a text figure (what the table holds after stop); the last wins.
func (r *results) note(name, daemon, text string) {
	if _, ok := r.notes[name]; !ok {
		r.order = append(r.order, name)
		r.notes[name] = map[string]string{}
	}
	r.notes[name][daemon] = text
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func format(v float64, unit string) string {
	switch unit {
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "ms":
		return fmt.Sprintf("%.2f ms", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v)
	case "%":
		return fmt.Sprintf("%.2f %%", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func cell(v []float64, unit string) string {
	if len(v) == 0 {
		return "—"
	}
	s := format(median(v), unit)
	if len(v) > 1 {
		s += fmt.Sprintf(" (%s–%s)", strings.TrimSuffix(format(slices.Min(v), unit), " "+unit), format(slices.Max(v), unit))
	}
	return s
}

// print writes the table: each figure's median (min–max) for both daemons
// and the ratio of the medians.
func (r *results) print(title string) {
	fmt.Printf("\n%s\n\n| figure | keepalived | lvsd | lvsd/keepalived |\n|---|---|---|---|\n", title)
	for _, name := range r.order {
		if n, ok := r.notes[name]; ok {
			fmt.Printf("| %s | %s | %s | — |\n", name, n["keepalived"], n["lvsd"])
			continue
		}
		k, l := r.v[name]["keepalived"], r.v[name]["lvsd"]
		ratio := "—"
		if len(k) > 0 && len(l) > 0 && median(k) != 0 {
			ratio = fmt.Sprintf("%.2f", median(l)/median(k))
		}
		fmt.Printf("| %s | %s | %s | %s |\n", name, cell(k, r.unit[name]), cell(l, r.unit[name]), ratio)
	}
	fmt.Println()
}

// daemon is one lvsd or keepalived under test in its own namespace.
type daemon struct {
	b     *testing.B
	kind  string
	node  *netlab.Node
	dir   string
	conf  string
	proc  *netlab.Process
	ipvs  ipvs.Client
	start time.Time
	cpu   *sampler
}

func (d *daemon) pid() int { return d.proc.Cmd.Process.Pid }

// launch writes the configuration of t and starts the daemon, timing from
// just before exec.
func launch(b *testing.B, kind string, t table, lvsdBin, kaBin string) *daemon {
	b.Helper()
	lab := netlab.New(b, "d")
	d := &daemon{b: b, kind: kind, node: lab.Node("d"), dir: b.TempDir()}
	if err := d.node.Do(func() error {
		c, err := ipvs.New()
		d.ipvs = c
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = d.ipvs.Flush()
		d.ipvs.Close()
	})
	if t.check != "" {
		serveChecks(b, d.node)
	}
	d.writeConf(t)
	// the previous sample's namespace and table are being torn down: wait
	// for the VM to go quiet first
	waitSystemQuiet(b)
	var args []string
	bin := lvsdBin
	if kind == "lvsd" {
		args = []string{"run", "-f", d.conf, "--socket", filepath.Join(d.dir, "lvsd.sock"), "--state-file", filepath.Join(d.dir, "state.json")}
	} else {
		bin = kaBin
		args = []string{"-n", "-f", d.conf, "-p", filepath.Join(d.dir, "k.pid"), "-c", filepath.Join(d.dir, "c.pid"), "-r", filepath.Join(d.dir, "v.pid")}
		if *flagKAMode == "checker" {
			args = append(args, "-C")
		}
	}
	d.start = time.Now()
	d.proc = d.node.Start(bin, args...)
	d.cpu = newSampler(d.pid(), tick)
	b.Cleanup(d.cpu.close)
	b.Cleanup(func() {
		if b.Failed() || *flagLog {
			out := d.proc.Out.String() + syslog.String()
			syslog.Reset()
			if len(out) > 16<<10 {
				out = out[:8<<10] + "\n[...]\n" + out[len(out)-8<<10:]
			}
			b.Logf("%s output:\n%s", kind, out)
		}
	})
	return d
}

// writeConf writes t atomically (a reload reads the new file whole).
func (d *daemon) writeConf(t table) {
	d.b.Helper()
	name, text := "keepalived.conf", t.keepalived()
	if d.kind == "lvsd" {
		name, text = "lvsd.toml", t.lvsd()
	}
	d.conf = filepath.Join(d.dir, name)
	tmp := d.conf + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		d.b.Fatal(err)
	}
	if err := os.Rename(tmp, d.conf); err != nil {
		d.b.Fatal(err)
	}
}

func (d *daemon) alive() bool {
	select {
	case <-d.proc.Done():
		return false
	default:
		return true
	}
}

// waitTable waits for the table of t: it returns when the first service
// was seen and when every destination was. Both daemons add the services
// in the file's order, so the last service complete means all are likely
// to be; a full read confirms it.
func (d *daemon) waitTable(t table) (first, all time.Duration) {
	d.b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	last := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: svcAddr(t.vs - 1), Port: 80}
	for time.Now().Before(deadline) {
		if !d.alive() {
			d.b.Fatalf("%s exited", d.kind)
		}
		at := time.Now()
		if first == 0 {
			if s, err := d.ipvs.Services(); err == nil && len(s) > 0 {
				first = at.Sub(d.start)
			}
		}
		if first != 0 {
			if ds, err := d.ipvs.Destinations(last); err == nil && len(ds) == t.rs {
				if d.complete(t) {
					return first, at.Sub(d.start)
				}
			}
		}
		time.Sleep(tick)
	}
	d.b.Fatalf("%s: the table was not complete after 5 minutes", d.kind)
	return 0, 0
}

// complete reads the whole table and reports whether it is t's.
func (d *daemon) complete(t table) bool {
	svcs, err := d.ipvs.Services()
	if err != nil || len(svcs) != t.vs {
		return false
	}
	for _, s := range svcs {
		ds, err := d.ipvs.Destinations(s.ServiceKey)
		if err != nil || len(ds) != t.rs {
			return false
		}
	}
	return true
}

// count returns how many services and destinations the table holds.
func (d *daemon) count() (svcs, dests int) {
	ss, err := d.ipvs.Services()
	if err != nil {
		return -1, -1
	}
	for _, s := range ss {
		ds, _ := d.ipvs.Destinations(s.ServiceKey)
		dests += len(ds)
	}
	return len(ss), dests
}

// quiet waits until the daemon is quiet after from.
func (d *daemon) quiet(from time.Time) cpuSample {
	d.b.Helper()
	s, ok := d.cpu.quiet(from, quietWindow, quietLimit, 2*time.Minute)
	if !ok {
		d.b.Fatalf("%s did not go quiet within 2 minutes", d.kind)
	}
	return s
}

// weightOf is the kernel's weight of real server j of virtual server i.
func (d *daemon) weightOf(i, j int) int {
	ds, err := d.ipvs.Destinations(ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: svcAddr(i), Port: 80})
	if err != nil {
		return -1
	}
	for _, x := range ds {
		if x.Addr == rsAddr(i, j) {
			return int(x.Weight)
		}
	}
	return -1
}

// requests is lvsd's count of mutating IPVS requests (lvsd status --json).
func (d *daemon) requests(lvsdBin string) float64 {
	d.b.Helper()
	out, err := exec.Command(lvsdBin, "status", "--json", "--socket", filepath.Join(d.dir, "lvsd.sock")).Output()
	if err != nil {
		d.b.Fatalf("lvsd status: %v", err)
	}
	var st struct {
		Requests float64 `json:"ipvs_requests"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		d.b.Fatal(err)
	}
	return st.Requests
}

func mb(kB int) float64 { return float64(kB) / 1024 }

func (d *daemon) memFigures(r *results, when string) {
	m := treeMem(d.pid())
	r.add("RSS "+when, "MB", d.kind, mb(m.rss))
	r.add("PSS "+when, "MB", d.kind, mb(m.pss))
	r.add("anonymous "+when, "MB", d.kind, mb(m.anon))
}

// tableSample runs one daemon through the table figures.
func tableSample(b *testing.B, r *results, kind string, t table, lvsdBin, kaBin string) {
	d := launch(b, kind, t, lvsdBin, kaBin)
	first, all := d.waitTable(t)
	q := d.quiet(d.start.Add(all))
	r.add("exec → first IPVS service", "s", kind, first.Seconds())
	r.add(fmt.Sprintf("exec → all %d destinations", t.vs*t.rs), "s", kind, all.Seconds())
	r.add("exec → CPU quiet", "s", kind, q.t.Sub(d.start).Seconds())
	r.add("CPU used, exec → quiet", "s", kind, q.cpu.Seconds())
	d.memFigures(r, "after start")

	// idle, with the full table and no checkers
	if *flagIdle > 0 {
		c0 := d.cpu.now()
		var trace []string
		for end := c0.t.Add(*flagIdle); time.Now().Before(end); {
			p := d.cpu.now()
			time.Sleep(time.Second)
			trace = append(trace, fmt.Sprintf("%.1f", float64(d.cpu.now().cpu-p.cpu)/float64(time.Millisecond)))
		}
		c1 := d.cpu.now()
		r.add(fmt.Sprintf("idle CPU over %s, full table (of a vCPU)", *flagIdle), "%", kind, 100*float64(c1.cpu-c0.cpu)/float64(c1.t.Sub(c0.t)))
		b.Logf("%s idle, ms of CPU per second: %s", kind, strings.Join(trace, " "))
	}

	// an unchanged reload
	var req0 float64
	if kind == "lvsd" {
		req0 = d.requests(lvsdBin)
	}
	d.quiet(time.Now())
	h := d.cpu.now()
	if err := d.proc.Signal(syscall.SIGHUP); err != nil {
		b.Fatal(err)
	}
	q = d.quiet(h.t.Add(tick))
	r.add("unchanged SIGHUP: CPU used", "s", kind, (q.cpu - h.cpu).Seconds())
	r.add("unchanged SIGHUP: busy for", "s", kind, q.t.Sub(h.t).Seconds())
	d.memFigures(r, "after a reload")
	if kind == "lvsd" {
		req1 := d.requests(lvsdBin)
		r.add("unchanged SIGHUP: IPVS requests", "", kind, req1-req0)
		req0 = req1
	}

	// one changed weight
	t.bumped = true
	d.writeConf(t)
	d.quiet(time.Now())
	h = d.cpu.now()
	if err := d.proc.Signal(syscall.SIGHUP); err != nil {
		b.Fatal(err)
	}
	var visible time.Duration
	for deadline := time.Now().Add(2 * time.Minute); visible == 0; {
		at := time.Now()
		if d.weightOf(t.bumpVS(), bumpRS) == 5 {
			visible = at.Sub(h.t)
		} else if at.After(deadline) {
			b.Fatalf("%s: the new weight was not visible after 2 minutes", kind)
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	q = d.quiet(h.t.Add(visible))
	r.add("SIGHUP one weight changed → visible", "s", kind, visible.Seconds())
	r.add("SIGHUP one weight changed: CPU used", "s", kind, (q.cpu - h.cpu).Seconds())
	if kind == "lvsd" {
		r.add("SIGHUP one weight changed: IPVS requests", "", kind, d.requests(lvsdBin)-req0)
	}

	// stop: until every process of the tree is gone (keepalived's
	// checker child removes the table after its parent was told)
	pids := tree(d.pid())
	h = d.cpu.now()
	if err := d.proc.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	if err := d.proc.Wait(2 * time.Minute); err != nil && !isExit(err) {
		b.Fatalf("%s stop: %v", kind, err)
	}
	for deadline := time.Now().Add(2 * time.Minute); slices.ContainsFunc(pids, running); {
		if time.Now().After(deadline) {
			b.Fatalf("%s: a process is still running 2 minutes after SIGTERM", kind)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.add("SIGTERM → every process exited", "s", kind, time.Since(h.t).Seconds())
	s, ds := d.count()
	r.note("table after stop", kind, fmt.Sprintf("%d services, %d destinations", s, ds))
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(data), ") ")
	return ok && !strings.HasPrefix(rest, "Z")
}

func isExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

// checkSample runs one daemon with t's checkers and measures CPU per check
// (the daemon's CPU over the window divided by the connections the real
// servers accepted) and RSS.
func checkSample(b *testing.B, r *results, kind string, t table, lvsdBin, kaBin string) {
	d := launch(b, kind, t, lvsdBin, kaBin)
	d.waitTable(t)
	time.Sleep(3 * time.Second) // past the first round of checks
	a0, c0 := accepted.Load(), d.cpu.now()
	time.Sleep(*flagWindow)
	a1, c1 := accepted.Load(), d.cpu.now()
	name := map[string]string{"tcp": "TCP_CHECK", "http": "HTTP_GET"}[t.check]
	if a1 == a0 {
		b.Fatalf("%s: no check reached the real servers", kind)
	}
	r.add(fmt.Sprintf("%s, %d real servers, delay_loop 1: CPU per check", name, t.vs*t.rs), "ms", kind,
		float64(c1.cpu-c0.cpu)/float64(time.Millisecond)/float64(a1-a0))
	r.add(fmt.Sprintf("%s: checks per second", name), "", kind, float64(a1-a0)/c1.t.Sub(c0.t).Seconds())
	m := treeMem(d.pid())
	r.add(fmt.Sprintf("%s: RSS while checking", name), "MB", kind, mb(m.rss))
	_ = d.proc.Signal(syscall.SIGTERM)
	_ = d.proc.Wait(time.Minute)
}

// accepted counts the connections the real servers of the check scenarios
// accepted (one per TCP_CHECK or HTTP_GET check).
var accepted atomic.Int64

type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		accepted.Add(1)
	}
	return c, err
}

// serveChecks makes every 10.2.x.y local to the namespace (a /16 on lo)
// and answers HTTP 200 on port 8080 there.
func serveChecks(b *testing.B, n *netlab.Node) {
	b.Helper()
	n.MustExec("ip", "addr", "add", "10.2.0.0/16", "dev", "lo")
	var ln net.Listener
	if err := n.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", checkPort))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(countingListener{ln}) }()
	b.Cleanup(func() { _ = srv.Close() })
}

// copyBinary copies an executable into a temporary directory (tmpfs in the
// VM).
func copyBinary(b *testing.B, src string) string {
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		b.Fatal(err)
	}
	return dst
}

// syslog holds what keepalived logged through /dev/log (the VM has no
// syslog daemon: without one, keepalived would write every line to the
// slow serial console).
var syslog syslogSink

type syslogSink struct {
	mu  sync.Mutex
	buf []byte
}

func (s *syslogSink) String() string { s.mu.Lock(); defer s.mu.Unlock(); return string(s.buf) }
func (s *syslogSink) Reset()         { s.mu.Lock(); s.buf = nil; s.mu.Unlock() }

// listenSyslog serves /dev/log unless something already does.
func listenSyslog(b *testing.B) {
	if _, err := os.Stat("/dev/log"); err == nil {
		return
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "/dev/log", Net: "unixgram"})
	if err != nil {
		b.Fatalf("syslog sink: %v", err)
	}
	b.Cleanup(func() { c.Close(); os.Remove("/dev/log") })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if *flagLog {
				syslog.mu.Lock()
				syslog.buf = append(append(syslog.buf, buf[:n]...), '\n')
				if len(syslog.buf) > 1<<20 {
					syslog.buf = syslog.buf[len(syslog.buf)-(64<<10):]
				}
				syslog.mu.Unlock()
			}
		}
	}()
}

// waitSystemQuiet waits (at most 60 s) until the VM's CPUs are less than
// 5 % busy over a second.
func waitSystemQuiet(b *testing.B) {
	for i := 0; i < 60; i++ {
		if systemBusy(time.Second) < 0.05 {
			return
		}
	}
	b.Logf("the system did not go quiet within 60 s; measuring anyway")
}

// BenchmarkDirector prints keepalived's and lvsd's figures side by side;
// run it once (-test.benchtime 1x) in the VM: make bench-director.
func BenchmarkDirector(b *testing.B) {
	testenv.NeedIPVS(b)
	kaBin := testenv.NeedBinary(b, "keepalived")
	// keepalived runs from the initramfs (RAM): lvsd too, not from the 9p
	// share, whose page faults under emulation cost seconds at exec
	lvsdBin := copyBinary(b, testenv.LvsdBinary(b))
	if *flagKAMode != "checker" && *flagKAMode != "full" {
		b.Fatalf("-director.keepalived %q: checker or full", *flagKAMode)
	}
	listenSyslog(b)
	kinds := []string{"keepalived", "lvsd"}
	// alternate which daemon goes first in each sample
	order := func(i int) []string {
		if i%2 == 1 {
			return []string{kinds[1], kinds[0]}
		}
		return kinds
	}
	t := table{vs: *flagVS, rs: *flagRS}
	r := newResults()
	for i := range *flagSamples {
		for _, kind := range order(i) {
			b.Run(fmt.Sprintf("table/%s/%d", kind, i), func(b *testing.B) { tableSample(b, r, kind, t, lvsdBin, kaBin) })
		}
	}
	title := fmt.Sprintf("Director, %d virtual servers × %d real servers, keepalived %s, medians (min–max) of %d samples, each daemon in a fresh namespace, order alternating",
		t.vs, t.rs, map[string]string{"checker": "-C", "full": "(full)"}[*flagKAMode], *flagSamples)
	if *flagChecks > 0 {
		for _, check := range []string{"tcp", "http"} {
			ct := table{vs: max(1, *flagChecks/10), rs: min(10, *flagChecks), check: check}
			for i := range *flagSamples {
				for _, kind := range order(i) {
					b.Run(fmt.Sprintf("%s/%s/%d", check, kind, i), func(b *testing.B) { checkSample(b, r, kind, ct, lvsdBin, kaBin) })
				}
			}
		}
	}
	r.print(title)
}
