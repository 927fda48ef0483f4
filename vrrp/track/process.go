package track

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvsd/lvsd/config"
)

// Process tracking modes, as reported by ProcessTracker.Mode.
const (
	ModeConnector = "connector" // kernel process events
	ModePoll      = "poll"      // /proc scans every PollInterval
)

// ProcessTracker tracks every vrrp_track_process of a configuration with
// one process-events connector socket: a /proc scan at start, then exec,
// fork, comm-change and exit events as they happen, and a new scan whenever
// the kernel reports lost events (ENOBUFS). When the connector cannot be
// used (no CONFIG_PROC_EVENTS, no CAP_NET_ADMIN in the initial user
// namespace, or events do not arrive) it says so in the log and scans /proc
// every PollInterval instead.
type ProcessTracker struct {
	cfgs []ProcessConfig
	log  *slog.Logger
	// PollInterval is the /proc scan period of the fallback (default 1 s).
	PollInterval time.Duration
	// ForcePoll skips the connector (tests, and hosts where it misbehaves).
	ForcePoll bool
	// RcvBuf is the connector socket's receive buffer
	// (process_monitor_rcv_bufs); zero: 4 MiB, forced when lvsd may.
	RcvBuf config.RcvBuf
	// ProbeTimeout bounds the start-up check that events arrive (default 2 s).
	ProbeTimeout time.Duration
	Counters     Counters
	mode         atomic.Value // string
}

// NewProcess returns one tracker for all of cfgs; a nil logger means
// slog.Default.
func NewProcess(cfgs []ProcessConfig, log *slog.Logger) (*ProcessTracker, error) {
	seen := map[string]bool{}
	for _, c := range cfgs {
		if c.Process == "" {
			return nil, fmt.Errorf("track: vrrp_track_process %s: no process name", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("track: vrrp_track_process %s defined twice", c.Name)
		}
		seen[c.Name] = true
	}
	return &ProcessTracker{cfgs: cfgs, log: orDefault(log).With("tracker", "vrrp_track_process"), PollInterval: time.Second, ProbeTimeout: 2 * time.Second}, nil
}

var _ Tracker = (*ProcessTracker)(nil)

// Mode reports how processes are being watched ("" before Run).
func (t *ProcessTracker) Mode() string {
	m, _ := t.mode.Load().(string)
	return m
}

// procInfo reads a process's comm and argv; ok is false for a process that
// is gone or a zombie.
func procInfo(pid int) (comm string, argv []string, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", nil, false
	}
	open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || close < open || close+2 >= len(stat) || stat[close+2] == 'Z' {
		return "", nil, false
	}
	comm = string(stat[open+1 : close])
	cmd, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return "", nil, false
	}
	cmd = bytes.TrimSuffix(cmd, []byte{0})
	if len(cmd) > 0 {
		for _, a := range bytes.Split(cmd, []byte{0}) {
			argv = append(argv, string(a))
		}
	}
	return comm, argv, true
}

// scan reads /proc and returns the matches of every process.
func scan(tab *procTable) (map[int][]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("track: scan /proc: %w", err)
	}
	all := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, argv, ok := procInfo(pid); ok {
			if m := tab.matches(comm, argv); len(m) > 0 {
				all[pid] = m
			}
		}
	}
	return all, nil
}

// Run implements Tracker.
func (t *ProcessTracker) Run(ctx context.Context, emit Emit) error {
	tab := newProcTable(t.cfgs)
	var conn *connector
	if !t.ForcePoll {
		c, where, err := dialConnector(t.RcvBuf)
		if err != nil {
			t.log.Warn("process events connector unavailable, polling /proc instead", "err", err, "interval", t.PollInterval)
		} else {
			t.log.Debug("process events connector subscribed", "in", where)
			conn = c
		}
	}
	var events chan procEvent
	var readErr chan error
	if c := conn; c != nil {
		events = make(chan procEvent, 1024)
		errc := make(chan error, 1)
		go c.readLoop(events, errc)
		stopped := false
		stop := func() {
			if !stopped {
				stopped = true
				c.close()
				<-errc
			}
		}
		defer stop()
		readErr = errc
		if err := t.probe(ctx, events); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			t.log.Warn("process events connector does not deliver events, polling /proc instead", "err", err, "interval", t.PollInterval)
			stop()
			conn, events, readErr = nil, nil, nil
		}
	}
	mode := ModeConnector
	if conn == nil {
		mode = ModePoll
	}
	t.mode.Store(mode)

	all, err := scan(tab)
	if err != nil {
		return err
	}
	tab.init(all)
	now := time.Now()
	for i, c := range tab.cfgs {
		emit(t.update(tab, i, now))
		t.log.Info("tracking process", "name", c.Name, "process", c.Process, "count", tab.counts[i], "up", tab.q[i].Up(), "mode", mode)
	}

	var poll <-chan time.Time
	if conn == nil {
		tk := time.NewTicker(t.PollInterval)
		defer tk.Stop()
		poll = tk.C
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var lim limiter
	// exited remembers the processes whose exit the kernel reported: a
	// rescan can still see one that has not yet become a zombie.
	exited := map[int]time.Time{}
	// report emits the changes of one step, plus those of delays that
	// expired meanwhile, and arms the timer for the next delay.
	report := func(changed []int, now time.Time) {
		due, next := tab.tick(now)
		for _, i := range append(changed, due...) {
			u := t.update(tab, i, now)
			if u.Status == StatusFailed {
				t.Counters.Add(ReasonProcessQuorum)
				lim.log(t.log, now, ReasonProcessQuorum, "tracked process lost quorum", "name", u.Name, "count", u.Value)
			} else {
				t.log.Info("tracked process gained quorum", "name", u.Name, "count", u.Value)
			}
			emit(u)
		}
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-events:
			now := time.Now()
			if ev.what == eventsLost {
				t.Counters.Add(ReasonEventsLost)
				lim.log(t.log, now, ReasonEventsLost, "process events lost, rescanning /proc")
				all, err := scan(tab)
				if err != nil {
					return err
				}
				dropExited(all, exited, now)
				report(tab.resync(all, now), now)
				continue
			}
			switch {
			case ev.what == procEventExit && ev.pid == ev.tgid:
				exited[ev.tgid] = now
			case ev.what == procEventExec:
				delete(exited, ev.tgid)
			case ev.what == procEventFork:
				delete(exited, ev.childTGID)
			}
			report(t.apply(tab, ev, now), now)
		case err := <-readErr:
			readErr <- err // for the deferred stop
			return fmt.Errorf("track: process events: %w", err)
		case <-poll:
			now := time.Now()
			all, err := scan(tab)
			if err != nil {
				return err
			}
			report(tab.resync(all, now), now)
		case <-timer.C:
			report(nil, time.Now())
		}
	}
}

// exitMemory is how long an exit reported by the kernel overrides a /proc
// rescan that still lists the process.
const exitMemory = 2 * time.Second

// dropExited removes from a rescan the processes whose exit was reported
// recently, and forgets older exits.
func dropExited(all map[int][]int, exited map[int]time.Time, now time.Time) {
	for pid, at := range exited {
		if now.Sub(at) > exitMemory {
			delete(exited, pid)
			continue
		}
		delete(all, pid)
	}
}

// apply feeds one kernel event into the table.
func (t *ProcessTracker) apply(tab *procTable, ev procEvent, now time.Time) []int {
	switch ev.what {
	case procEventExec, procEventComm:
		if ev.pid != ev.tgid {
			return nil // a thread
		}
		comm, argv, ok := procInfo(ev.tgid)
		if !ok {
			return tab.set(ev.tgid, nil, now)
		}
		return tab.set(ev.tgid, tab.matches(comm, argv), now)
	case procEventFork:
		if ev.childPID != ev.childTGID {
			return nil // a new thread
		}
		if m := tab.tracked(ev.tgid); len(m) > 0 {
			return tab.set(ev.childTGID, append([]int(nil), m...), now)
		}
	case procEventExit:
		if ev.pid == ev.tgid && len(tab.tracked(ev.tgid)) > 0 {
			return tab.set(ev.tgid, nil, now)
		}
	}
	return nil
}

func (t *ProcessTracker) update(tab *procTable, i int, now time.Time) Update {
	u := Update{Name: tab.cfgs[i].Name, Kind: KindProcess, Status: StatusOK, Value: int64(tab.counts[i]), Time: now}
	if !tab.q[i].Up() {
		u.Status, u.Reason = StatusFailed, ReasonProcessQuorum
		u.Detail = fmt.Sprintf("%d processes, quorum %d..%d", tab.counts[i], tab.q[i].Min, tab.q[i].Max)
	}
	return u
}

// probe starts /bin/true and waits for the kernel to report it: some
// containers accept the subscription but deliver nothing.
func (t *ProcessTracker) probe(ctx context.Context, events <-chan procEvent) error {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.log.Debug("cannot start the connector probe, trusting the connector", "err", err)
		return nil
	}
	pid := cmd.Process.Pid
	go cmd.Wait()
	deadline := time.NewTimer(t.ProbeTimeout)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errors.New("no event for a probe process")
		case ev := <-events:
			if ev.tgid == pid || ev.childTGID == pid {
				return nil
			}
		}
	}
}

// eventsLost is a pseudo event: the socket overflowed.
const eventsLost = 0xffffffff

// connector is a NETLINK_CONNECTOR socket subscribed to process events.
type connector struct {
	f    *os.File
	done chan struct{} // closed by close: readLoop stops sending
	once sync.Once
}

// dialConnector subscribes to process events. The kernel's connector
// exists only in the initial network namespace: inside another one (lvsd
// run under `ip netns exec`, some containers) the subscription is refused,
// and lvsd then opens the socket in the initial namespace
// when it may (root with CAP_SYS_ADMIN, from init's or kthreadd's
// /proc/PID/ns/net); the socket stays there for life.
func dialConnector(buf config.RcvBuf) (*connector, string, error) {
	c, err := dialConnectorHere(buf)
	if err == nil {
		return c, "current network namespace", nil
	}
	type result struct {
		c   *connector
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// This goroutine's thread changes namespace and is never unlocked:
		// it dies with the goroutine instead of going back to the pool.
		runtime.LockOSThread()
		// init, else kthreadd: kernel threads live in the initial namespace.
		ns, nerr := os.Open("/proc/1/ns/net")
		if nerr != nil {
			ns, nerr = os.Open("/proc/2/ns/net")
		}
		if nerr != nil {
			ch <- result{nil, nerr}
			return
		}
		defer ns.Close()
		if nerr := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); nerr != nil {
			ch <- result{nil, fmt.Errorf("setns /proc/1/ns/net: %w", nerr)}
			return
		}
		c, nerr := dialConnectorHere(buf)
		ch <- result{c, nerr}
	}()
	r := <-ch
	if r.err != nil {
		return nil, "", fmt.Errorf("%w; in the initial network namespace: %w", err, r.err)
	}
	return r.c, "initial network namespace", nil
}

func dialConnectorHere(buf config.RcvBuf) (*connector, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("track: socket(NETLINK_CONNECTOR): %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("track: bind CN_IDX_PROC: %w", err)
	}
	// A large buffer makes ENOBUFS (and a rescan) rare under fork storms.
	if buf.Size == 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20); err != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
	} else {
		opt, name := unix.SO_RCVBUF, "SO_RCVBUF"
		if buf.Force {
			opt, name = unix.SO_RCVBUFFORCE, "SO_RCVBUFFORCE"
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, buf.Size); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("track: process_monitor_rcv_bufs: %s %d: %w", name, buf.Size, err)
		}
	}
	if err := unix.Sendto(fd, listenMsg(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("track: subscribe to process events: %w", err)
	}
	return &connector{f: os.NewFile(uintptr(fd), "proc-connector"), done: make(chan struct{})}, nil
}

func (c *connector) close() {
	c.once.Do(func() {
		close(c.done)
		c.f.Close()
	})
}

// send delivers an event unless the connector is closing.
func (c *connector) send(events chan<- procEvent, ev procEvent) bool {
	select {
	case events <- ev:
		return true
	case <-c.done:
		return false
	}
}

// readLoop sends events until the socket is closed; it reports the end on
// errc (nil after close).
func (c *connector) readLoop(events chan<- procEvent, errc chan<- error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		errc <- err
		return
	}
	buf := make([]byte, 4096)
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				err = nil
			}
			errc <- err
			return
		}
		if rerr != nil {
			if errors.Is(rerr, unix.ENOBUFS) {
				if !c.send(events, procEvent{what: eventsLost}) {
					errc <- nil
					return
				}
				continue
			}
			if errors.Is(rerr, syscall.EINTR) {
				continue
			}
			errc <- fmt.Errorf("recvfrom: %w", rerr)
			return
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		if ev, ok := parseProcEvent(buf[:n]); ok && ev.what != procEventNone {
			if !c.send(events, ev) {
				errc <- nil
				return
			}
		}
	}
}
