package netlab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/vishvananda/netns"
)

// Lab is a set of namespaces joined by one bridge.
type Lab struct {
	t      testing.TB
	Prefix string // unique per lab, e.g. "lv3f9a-"
	Switch string // name of the namespace holding bridge br0
	IPv6   bool

	mu    sync.Mutex
	nodes map[string]*Node
	procs []*Process
}

// Node is one namespace with an eth0 port on the lab bridge.
type Node struct {
	lab   *Lab
	Name  string     // short name given to New, e.g. "n1"
	NS    string     // namespace name
	Index int        // 1-based position
	IP    netip.Addr // 10.99.0.Index
	IP6   netip.Addr // fd99::Index (only when the lab has IPv6)
	MAC   string     // 02:99:00:00:00:Index
}

// Options tunes a lab.
type Options struct {
	// IPv6 enables IPv6 on the nodes with fd99::i/64 (nodad) on eth0.
	IPv6 bool
	// Tag goes into every namespace name of the lab after the random part
	// (e.g. "chaosL" gives lv3f9a-chaosL-sw), to tell a suite's namespaces apart.
	Tag string
}

// New creates a lab with one node per name, skipping (or failing under
// LVSD_REQUIRE=netns) when namespaces are unavailable.
func New(t testing.TB, names ...string) *Lab {
	return NewWithOptions(t, Options{}, names...)
}

// NewWithOptions is New with options.
func NewWithOptions(t testing.TB, opt Options, names ...string) *Lab {
	t.Helper()
	testenv.NeedNetns(t)
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("netlab: random prefix: %v", err)
	}
	prefix := "lv" + hex.EncodeToString(b[:]) + "-"
	if opt.Tag != "" {
		prefix += opt.Tag + "-"
	}
	l := &Lab{t: t, Prefix: prefix, IPv6: opt.IPv6, nodes: map[string]*Node{}}
	l.Switch = l.Prefix + "sw"
	sweepStale()
	claim(l.Prefix)
	t.Cleanup(l.destroy)

	l.mustIP("netns", "add", l.Switch)
	l.mustIP("-n", l.Switch, "link", "set", "lo", "up")
	l.mustIP("-n", l.Switch, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
	l.mustIP("-n", l.Switch, "link", "set", "br0", "up")
	for i, name := range names {
		n := &Node{lab: l, Name: name, NS: l.Prefix + name, Index: i + 1}
		n.IP = netip.AddrFrom4([4]byte{10, 99, 0, byte(i + 1)})
		n.MAC = fmt.Sprintf("02:99:00:00:00:%02x", i+1)
		l.nodes[name] = n
		l.mustIP("netns", "add", n.NS)
		if !opt.IPv6 {
			l.must("ip", "netns", "exec", n.NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		}
		l.mustIP("link", "add", "eth0", "netns", n.NS, "address", n.MAC, "type", "veth", "peer", "name", "p-"+name, "netns", l.Switch)
		l.mustIP("-n", l.Switch, "link", "set", "p-"+name, "master", "br0", "up")
		l.mustIP("-n", n.NS, "link", "set", "lo", "up")
		l.mustIP("-n", n.NS, "addr", "add", n.IP.String()+"/24", "dev", "eth0")
		if opt.IPv6 {
			n.IP6 = netip.MustParseAddr(fmt.Sprintf("fd99::%x", i+1))
			l.mustIP("-n", n.NS, "addr", "add", n.IP6.String()+"/64", "dev", "eth0", "nodad")
		}
		l.mustIP("-n", n.NS, "link", "set", "eth0", "up")
		if opt.IPv6 {
			// the link-local address must finish DAD before it can be bound
			l.waitLinkLocal(n)
		}
	}
	// Frames sent before the kernel's link watcher has marked a fresh veth
	// operational are dropped (its queue is still the no-op one): wait for
	// every end to be UP so that a test's first packet is not lost.
	for _, name := range names {
		l.waitOperUp(l.Prefix+name, "eth0")
		l.waitOperUp(l.Switch, "p-"+name)
	}
	return l
}

// waitOperUp waits until the link's operational state is UP.
func (l *Lab) waitOperUp(ns, link string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("ip", "-n", ns, "-o", "link", "show", "dev", link).CombinedOutput()
		if bytes.Contains(out, []byte("state UP")) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.t.Fatalf("netlab: %s: %s is not operational", ns, link)
}

// Node returns the node with the given short name.
func (l *Lab) Node(name string) *Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.nodes[name]
	if !ok {
		l.t.Fatalf("netlab: no node %q", name)
	}
	return n
}

func (l *Lab) waitLinkLocal(n *Node) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("ip", "-n", n.NS, "-6", "addr", "show", "dev", "eth0", "scope", "link").CombinedOutput()
		if bytes.Contains(out, []byte("fe80")) && !bytes.Contains(out, []byte("tentative")) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.t.Fatalf("netlab: %s: link-local address not ready", n.NS)
}

func (l *Lab) mustIP(args ...string) { l.t.Helper(); l.must("ip", args...) }

func (l *Lab) must(name string, args ...string) {
	l.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		l.t.Fatalf("netlab: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// destroy kills the processes started in the lab and removes its namespaces.
func (l *Lab) destroy() {
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	nodes := l.nodes
	l.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	for _, n := range nodes {
		killNamespacePIDs(n.NS)
		_ = exec.Command("ip", "netns", "del", n.NS).Run()
	}
	killNamespacePIDs(l.Switch)
	_ = exec.Command("ip", "netns", "del", l.Switch).Run()
	release(l.Prefix)
}

// killNamespacePIDs kills what is still running in a namespace of ours
// (children of the processes we started, e.g. notify scripts).
func killNamespacePIDs(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		var pid int
		// our own process appears too when a thread of ours (Node.Do) sits
		// in the namespace
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Exec runs a command in the node's namespace and returns its combined output.
func (n *Node) Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS, name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("netlab: %s: %s %s: %w: %s", n.NS, name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// MustExec is Exec that fails the test on error, with a 30 s bound.
func (n *Node) MustExec(name string, args ...string) string {
	n.lab.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := n.Exec(ctx, name, args...)
	if err != nil {
		n.lab.t.Fatal(err)
	}
	return string(out)
}

// LinkDown sets the node's eth0 down; LinkUp brings it back.
func (n *Node) LinkDown() { n.lab.t.Helper(); n.lab.mustIP("-n", n.NS, "link", "set", "eth0", "down") }

// LinkUp sets the node's eth0 up.
func (n *Node) LinkUp() { n.lab.t.Helper(); n.lab.mustIP("-n", n.NS, "link", "set", "eth0", "up") }

// HasAddr reports whether addr is configured on any interface of the node.
func (n *Node) HasAddr(addr netip.Addr) bool {
	out, err := exec.Command("ip", "-n", n.NS, "-o", "addr", "show").Output()
	if err != nil {
		return false
	}
	for _, f := range strings.Fields(string(out)) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr() == addr {
			return true
		}
	}
	return false
}

// Do runs fn on a dedicated OS thread switched into the node's namespace.
// Sockets opened by fn stay in that namespace for their lifetime and may be
// used from any goroutine afterwards. The thread is never returned to the
// Go scheduler (it exits with its goroutine), so no other goroutine ever
// runs in the wrong namespace.
func (n *Node) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// deliberately no UnlockOSThread: the thread dies with this goroutine
		h, err := netns.GetFromName(n.NS)
		if err != nil {
			errc <- fmt.Errorf("netlab: open namespace %s: %w", n.NS, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("netlab: enter namespace %s: %w", n.NS, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Process is a command started in a node's namespace.
type Process struct {
	Cmd  *exec.Cmd
	Out  *SyncBuffer // combined stdout and stderr
	done chan struct{}
	err  error
}

// Start runs a command in the background in the node's namespace. It is
// killed by PID (SIGKILL) at cleanup if still running, before the cleanups
// registered earlier (such as the removal of a t.TempDir made for it).
func (n *Node) Start(name string, args ...string) *Process {
	n.lab.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.NS, name}, args...)...)
	p := &Process{Cmd: cmd, Out: &SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.Out
	cmd.Stderr = p.Out
	if err := cmd.Start(); err != nil {
		n.lab.t.Fatalf("netlab: start %s in %s: %v", name, n.NS, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	n.lab.mu.Lock()
	n.lab.procs = append(n.lab.procs, p)
	n.lab.mu.Unlock()
	// Cleanups run last-in first-out: killing the process here, not only
	// when the lab goes, stops it before the temporary directories made
	// for it before it started (its config, socket, state file) are
	// removed, instead of racing it writing there.
	n.lab.t.Cleanup(p.Kill)
	return p
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.Cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// Wait waits up to d for the process to exit and returns its error; it
// returns context.DeadlineExceeded if it is still running.
func (p *Process) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return context.DeadlineExceeded
	}
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor polls cond every 10 ms until it is true or d has passed.
func WaitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
