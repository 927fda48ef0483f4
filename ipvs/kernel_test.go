package ipvs

// Tests against the real kernel. They need IPVS (testenv.NeedIPVS): on the
// build machines they run inside the VM (make test-vm) and skip elsewhere.
// Each test works in a network namespace of its own, so it never sees or
// touches the IPVS table of the machine it runs on.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// kernelNS creates a named network namespace and a Client connected to the
// IPVS of that namespace; both are removed at cleanup. It returns the
// client and the namespace name (for ipvsadm through "ip netns exec").
func kernelNS(t testing.TB) (Client, string) {
	t.Helper()
	testenv.NeedIPVS(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := "lvsdipvs" + hex.EncodeToString(b[:])
	type result struct {
		c   Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies in the namespace
		h, err := netns.NewNamed(name)
		if err != nil {
			ch <- result{err: err}
			return
		}
		h.Close()
		c, err := New()
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		_ = netns.DeleteNamed(name)
		t.Fatalf("namespace with IPVS client: %v", r.err)
	}
	t.Cleanup(func() {
		// Deleting the services here, synchronously, releases their
		// schedulers' modules now; a deleted namespace's table goes with
		// its asynchronous cleanup, which in the emulated VM can take
		// longer than TestKernelModuleReload waits to rmmod them.
		_ = r.c.Flush()
		r.c.Close()
		_ = netns.DeleteNamed(name)
	})
	// With lo down the namespace has no local routing table, and the kernel
	// refuses IPv4 destinations (inet_addr_type is not unicast): EINVAL.
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	return r.c, name
}

func ipvsadm(t testing.TB, ns string, args ...string) string {
	t.Helper()
	bin := testenv.NeedBinary(t, "ipvsadm")
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ipvsadm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func readService(t *testing.T, c Client, k ServiceKey) (Service, bool) {
	t.Helper()
	svcs, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.ServiceKey == k {
			return s.Service, true
		}
	}
	return Service{}, false
}

func TestKernelInfo(t *testing.T) {
	c, _ := kernelNS(t)
	i, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(i.Version, "1.") || i.ConnTableSize == 0 {
		t.Errorf("info = %+v", i)
	}
}

func TestKernelServiceKinds(t *testing.T) {
	c, ns := kernelNS(t)
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	var tests []Service
	for _, p := range []Protocol{TCP, UDP, SCTP} {
		tests = append(tests,
			Service{ServiceKey: ServiceKey{Protocol: p, Addr: v4, Port: 80}, Scheduler: "rr"},
			Service{ServiceKey: ServiceKey{Protocol: p, Addr: v6, Port: 443}, Scheduler: "wlc"})
	}
	tests = append(tests,
		Service{ServiceKey: ServiceKey{FWMark: 7}, Scheduler: "wrr"},
		Service{ServiceKey: ServiceKey{FWMark: 8, IPv6: true}, Scheduler: "lc"},
		// port 0 (all ports) needs persistence; granularity /24
		Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v4}, Scheduler: "rr", Timeout: 300, NetmaskBits: 24},
		Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v6}, Scheduler: "rr", Timeout: 60, NetmaskBits: 64},
		Service{ServiceKey: ServiceKey{Protocol: UDP, Addr: v4, Port: 53}, Scheduler: "rr", Flags: FlagOnePacket},
		Service{ServiceKey: ServiceKey{Protocol: UDP, Addr: v4, Port: 5060}, Scheduler: "rr", Timeout: 30, PE: "sip"},
		Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v4, Port: 1000}, Scheduler: "sh", Flags: FlagSched1 | FlagSched2},
		Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v4, Port: 1001}, Scheduler: "mh", Flags: FlagSched1 | FlagSched2},
	)
	for i, s := range []string{"lblc", "lblcr", "dh", "sed", "nq", "fo", "ovf"} {
		tests = append(tests, Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v4, Port: uint16(2000 + i)}, Scheduler: s})
	}
	for _, s := range tests {
		t.Run(s.ServiceKey.String()+" "+s.Scheduler, func(t *testing.T) {
			if err := c.AddService(s); err != nil {
				t.Fatal(err)
			}
			got, ok := readService(t, c, s.ServiceKey)
			if !ok {
				t.Fatalf("service %s not listed", s.ServiceKey)
			}
			if diff := cmp.Diff(s.normalized(), got, addrCmp); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if err := c.AddService(s); !errors.Is(err, unix.EEXIST) {
				t.Errorf("second add: %v, want EEXIST", err)
			}
			u := s
			u.Scheduler = "wrr"
			if u.Timeout == 0 {
				u.Timeout = 120
			} else {
				u.Timeout++
			}
			if err := c.UpdateService(u); err != nil {
				t.Fatal(err)
			}
			got, _ = readService(t, c, s.ServiceKey)
			if diff := cmp.Diff(u.normalized(), got, addrCmp); diff != "" {
				t.Errorf("after update (-want +got):\n%s", diff)
			}
			if err := c.DeleteService(s.ServiceKey); err != nil {
				t.Fatal(err)
			}
			if _, ok := readService(t, c, s.ServiceKey); ok {
				t.Error("still listed after delete")
			}
			if err := c.DeleteService(s.ServiceKey); !isNotExist(err) {
				t.Errorf("second delete: %v, want ESRCH", err)
			}
		})
	}
	// ipvsadm agrees with what we wrote.
	if err := c.AddService(Service{ServiceKey: ServiceKey{Protocol: TCP, Addr: v4, Port: 9}, Scheduler: "sh", Flags: FlagSched2, Timeout: 50, NetmaskBits: 24}); err != nil {
		t.Fatal(err)
	}
	out := ipvsadm(t, ns, "-Ln")
	if !strings.Contains(out, "TCP  192.0.2.1:9 sh (sh-port) persistent 50 mask 255.255.255.0") {
		t.Errorf("ipvsadm -Ln:\n%s", out)
	}
}

func TestKernelMissingScheduler(t *testing.T) {
	c, _ := kernelNS(t)
	err := c.AddService(Service{ServiceKey: svcKey("192.0.2.1", 80), Scheduler: "nosuch"})
	if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), `scheduler "nosuch" not in this kernel`) {
		t.Fatalf("err = %v", err)
	}
}

func TestKernelDestinationKinds(t *testing.T) {
	c, _ := kernelNS(t)
	k4 := svcKey("192.0.2.1", 80)
	k6 := ServiceKey{Protocol: TCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}
	for _, k := range []ServiceKey{k4, k6} {
		if err := c.AddService(Service{ServiceKey: k, Scheduler: "wrr"}); err != nil {
			t.Fatal(err)
		}
	}
	d := func(a string, f Forward) Destination {
		return Destination{DestKey: DestKey{Addr: netip.MustParseAddr(a), Port: 80}, Forward: f, Weight: 1}
	}
	tests := []struct {
		svc ServiceKey
		d   Destination
	}{
		{k4, d("10.0.0.1", NAT)},
		{k4, d("10.0.0.2", DR)},
		{k4, d("10.0.0.3", TUN)},
		{k4, func() Destination {
			x := d("10.0.0.4", TUN)
			x.TunnelType, x.TunnelPort, x.TunnelFlags = GUE, 6080, TunnelChecksum
			return x
		}()},
		{k4, func() Destination { x := d("10.0.0.5", TUN); x.TunnelType = GRE; return x }()},
		{k4, func() Destination { x := d("10.0.0.6", NAT); x.UThreshold, x.LThreshold = 100, 10; return x }()},
		{k6, d("2001:db8::10", NAT)},
		{k6, d("2001:db8::11", DR)},
	}
	for _, tt := range tests {
		t.Run(tt.d.DestKey.String()+" "+tt.d.Forward.String(), func(t *testing.T) {
			if err := c.AddDestination(tt.svc, tt.d); err != nil {
				t.Fatal(err)
			}
			find := func() (Destination, bool) {
				ds, err := c.Destinations(tt.svc)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range ds {
					if x.DestKey == tt.d.DestKey {
						return x.Destination, true
					}
				}
				return Destination{}, false
			}
			got, ok := find()
			if !ok {
				t.Fatal("not listed")
			}
			if diff := cmp.Diff(tt.d.normalized(), got, addrCmp); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if err := c.AddDestination(tt.svc, tt.d); !errors.Is(err, unix.EEXIST) {
				t.Errorf("second add: %v, want EEXIST", err)
			}
			u := tt.d
			u.Weight = 0
			u.UThreshold = 50
			if err := c.UpdateDestination(tt.svc, u); err != nil {
				t.Fatal(err)
			}
			if got, _ := find(); got != u.normalized() {
				t.Errorf("after update: %+v, want %+v", got, u.normalized())
			}
			if err := c.DeleteDestination(tt.svc, tt.d.DestKey); err != nil {
				t.Fatal(err)
			}
			if _, ok := find(); ok {
				t.Error("listed after delete")
			}
			if err := c.DeleteDestination(tt.svc, tt.d.DestKey); !errors.Is(err, unix.ENOENT) {
				t.Errorf("second delete: %v, want ENOENT", err)
			}
		})
	}
}

// A Manager restores what ipvsadm changed by hand and leaves a foreign
// service alone.
func TestKernelReconcileAfterIpvsadm(t *testing.T) {
	c, ns := kernelNS(t)
	ctx := context.Background()
	m := NewManager(c, nil)
	a, b := svcKey("192.0.2.1", 80), ServiceKey{FWMark: 9}
	desired := table(
		vsvc(a, "wrr", dest("10.0.0.1", 80, 1), dest("10.0.0.2", 80, 2)),
		VirtualService{Service: Service{ServiceKey: b, Scheduler: "rr", Timeout: 60}, Destinations: []Destination{
			{DestKey: DestKey{Addr: netip.MustParseAddr("10.0.0.3")}, Forward: DR, Weight: 1}}},
	)
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	ipvsadm(t, ns, "-A", "-t", "198.51.100.1:22", "-s", "rr")                        // foreign
	ipvsadm(t, ns, "-d", "-t", "192.0.2.1:80", "-r", "10.0.0.1:80")                  // removed
	ipvsadm(t, ns, "-e", "-t", "192.0.2.1:80", "-r", "10.0.0.2:80", "-m", "-w", "9") // changed
	ipvsadm(t, ns, "-a", "-t", "192.0.2.1:80", "-r", "10.0.0.99:80", "-m")           // added
	ipvsadm(t, ns, "-D", "-f", "9")                                                  // service removed
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := NewManager(c, nil).observeAll()
	if err != nil {
		t.Fatal(err)
	}
	want := Table{}
	for k, vs := range desired {
		vs.Service = vs.Service.normalized()
		want[k] = vs
	}
	want.Add(VirtualService{Service: Service{ServiceKey: svcKey("198.51.100.1", 22), Scheduler: "rr"}.normalized()})
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("after reconcile (-want +got):\n%s", diff)
	}
	// Now converged: a second reconcile writes nothing.
	before := m.Requests()
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := m.Requests() - before; n != 0 {
		t.Errorf("converged reconcile issued %d requests", n)
	}
}

// observeAll reads the whole kernel table (test helper).
func (m *Manager) observeAll() (Table, error) {
	svcs, err := m.client.Services()
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	for _, s := range svcs {
		m.owned[s.ServiceKey] = true
	}
	t, err := m.observe()
	m.mu.Unlock()
	return t, err
}

func TestKernelTimeoutsFlushSyncDaemon(t *testing.T) {
	c, ns := kernelNS(t)
	for _, args := range [][]string{
		{"-n", ns, "link", "add", "sync0", "type", "veth", "peer", "name", "sync1"},
		{"-n", ns, "addr", "add", "10.250.0.1/24", "dev", "sync0"},
		{"-n", ns, "link", "set", "sync0", "up"},
		{"-n", ns, "link", "set", "sync1", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	if err := c.SetTimeouts(Timeouts{TCP: 901, TCPFin: 121, UDP: 301}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Timeouts(); err != nil || got != (Timeouts{TCP: 901, TCPFin: 121, UDP: 301}) {
		t.Errorf("timeouts = %+v, %v", got, err)
	}
	for i := range 3 {
		if err := c.AddService(Service{ServiceKey: svcKey("192.0.2.1", uint16(80+i)), Scheduler: "rr"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Services(); len(s) != 0 {
		t.Errorf("after flush: %v", s)
	}

	m := NewManager(c, nil)
	// The Manager gives a timeout left at 0 its value from before its
	// first change, and puts them all back (keepalived's semantics).
	orig := Timeouts{TCP: 901, TCPFin: 121, UDP: 301}
	for _, st := range []struct{ set, want Timeouts }{
		{Timeouts{TCP: 902}, Timeouts{TCP: 902, TCPFin: 121, UDP: 301}},
		{Timeouts{UDP: 303}, Timeouts{TCP: 901, TCPFin: 121, UDP: 303}},
	} {
		if err := m.SetTimeouts(st.set); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Timeouts(); err != nil || got != st.want {
			t.Errorf("Manager.SetTimeouts(%+v): kernel %+v (%v), want %+v", st.set, got, err, st.want)
		}
	}
	if err := m.RestoreTimeouts(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Timeouts(); err != nil || got != orig {
		t.Errorf("after RestoreTimeouts: %+v (%v), want %+v", got, err, orig)
	}
	master := SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: 51}
	backup := SyncDaemon{State: SyncBackup, Interface: "sync0", SyncID: 51}
	if err := m.SetSyncDaemons([]SyncDaemon{backup}); err != nil {
		t.Fatal(err)
	}
	check := func(want ...SyncState) {
		t.Helper()
		ds, err := c.SyncDaemons()
		if err != nil {
			t.Fatal(err)
		}
		var got []SyncState
		for _, d := range ds {
			got = append(got, d.State)
			if d.Interface != "sync0" || d.SyncID != 51 {
				t.Errorf("daemon %+v", d)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("daemons (-want +got):\n%s", diff)
		}
	}
	check(SyncBackup)
	// The Manager lets a daemon settle before stopping it (syncSettle):
	// stopping one at once sometimes never returns on 6.1.
	if err := m.SetSyncDaemons([]SyncDaemon{master}); err != nil {
		t.Fatal(err)
	}
	check(SyncMaster)
	// The kernel reports its defaults for what was left at zero: still
	// the daemon asked for, no request.
	before := m.Requests()
	if err := m.SetSyncDaemons([]SyncDaemon{master}); err != nil || m.Requests() != before {
		t.Errorf("unchanged sync daemon: %d requests (err %v), want 0", m.Requests()-before, err)
	}
	// A changed mcast_port restarts it with the new port.
	moved := master
	moved.Port = 8849
	if err := m.SetSyncDaemons([]SyncDaemon{moved}); err != nil || m.Requests() != before+2 {
		t.Errorf("changed port: %d requests (err %v), want stop+start", m.Requests()-before, err)
	}
	if ds, err := c.SyncDaemons(); err != nil || len(ds) != 1 || ds[0].Port != 8849 {
		t.Errorf("after a port change: %+v, %v", ds, err)
	}
	// ipvsadm reads the port the kernel uses (host order on the wire)
	if out := ipvsadm(t, ns, "-L", "--daemon"); !strings.Contains(out, "port=8849") {
		t.Errorf("ipvsadm --daemon after a port change:\n%s", out)
	}
	check(SyncMaster)
	if err := m.SetSyncDaemons(nil); err != nil {
		t.Fatal(err)
	}
	check()
}

// A batch reports each failure against its own operation.
func TestKernelBatchErrors(t *testing.T) {
	c, _ := kernelNS(t)
	b, ok := c.(batcher)
	if !ok {
		t.Fatal("netlink client does not batch")
	}
	a, bk := svcKey("192.0.2.1", 80), svcKey("192.0.2.2", 80)
	if err := c.AddService(Service{ServiceKey: a, Scheduler: "rr"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddDestination(a, dest("10.0.0.1", 80, 1)); err != nil {
		t.Fatal(err)
	}
	ops := []Op{
		{Kind: OpAddService, Service: Service{ServiceKey: a, Scheduler: "rr"}},
		{Kind: OpAddDestination, Service: Service{ServiceKey: a}, Dest: dest("10.0.0.1", 80, 1)},
		{Kind: OpAddService, Service: Service{ServiceKey: bk, Scheduler: "nosuch"}},
		{Kind: OpAddDestination, Service: Service{ServiceKey: bk}, Dest: dest("10.0.0.1", 80, 1)},
		{Kind: OpAddDestination, Service: Service{ServiceKey: a}, Dest: dest("10.0.0.2", 80, 4)},
		{Kind: OpUpdateDestination, Service: Service{ServiceKey: a}, Dest: dest("10.0.0.1", 80, 7)},
	}
	// many more successful ops than one batch holds, then a failure
	for i := range 300 {
		ops = append(ops, Op{Kind: OpAddDestination, Service: Service{ServiceKey: a}, Dest: dest("10.0.1.1", uint16(1000+i), 1)})
	}
	ops = append(ops, Op{Kind: OpDeleteDestination, Service: Service{ServiceKey: a}, Dest: dest("10.9.9.9", 1, 0)})
	errs := b.Batch(ops)
	want := map[int]unix.Errno{0: unix.EEXIST, 1: unix.EEXIST, 2: unix.ENOENT, 3: unix.ESRCH, len(ops) - 1: unix.ENOENT}
	for i, err := range errs {
		if w, ok := want[i]; ok {
			if !errors.Is(err, w) {
				t.Errorf("op %d (%s): err %v, want %v", i, ops[i], err, w)
			}
		} else if err != nil {
			t.Errorf("op %d (%s): %v", i, ops[i], err)
		}
	}
	if !strings.Contains(errs[2].Error(), `scheduler "nosuch" not in this kernel`) {
		t.Errorf("scheduler error: %v", errs[2])
	}
	ds, err := c.Destinations(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 302 {
		t.Errorf("%d destinations, want 302", len(ds))
	}
}

// TestKernelRelease: Release (lvsd's stop, as keepalived's) deletes the
// 1,000 services and 10,000 destinations the manager created, and leaves a
// service added by ipvsadm.
func TestKernelRelease(t *testing.T) {
	c, ns := kernelNS(t)
	ctx := context.Background()
	m := NewManager(c, nil)
	desired := Table{}
	for i := range 1000 {
		k := svcKey(fmt.Sprintf("10.%d.%d.1", 10+i/250, i%250), 80)
		var ds []Destination
		for j := range 10 {
			ds = append(ds, dest(fmt.Sprintf("10.200.%d.%d", j, 1+i%250), 80, 1))
		}
		desired.Add(vsvc(k, "rr", ds...))
	}
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	ipvsadm(t, ns, "-A", "-t", "198.51.100.1:22", "-s", "rr") // foreign
	start := time.Now()
	if err := m.Release(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("released 1,000 services with 10,000 destinations in %v", time.Since(start).Round(time.Millisecond))
	svcs, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].ServiceKey != svcKey("198.51.100.1", 22) {
		t.Errorf("after release: %d services, want only the foreign one: %+v", len(svcs), svcs)
	}
}

// The fingerprint reads the table of the client's own namespace (the test
// thread's, not the process's), moves with a change made by hand and comes
// back when the change is undone; traffic counters do not move it.
func TestKernelFingerprint(t *testing.T) {
	c, ns := kernelNS(t)
	fp, ok := c.(fingerprinter)
	if !ok {
		t.Fatal("the netlink client has no Fingerprint")
	}
	get := func() uint64 {
		t.Helper()
		f, err := fp.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	empty := get()
	if err := NewManager(c, nil).Apply(context.Background(), bigTable(3, 2)); err != nil {
		t.Fatal(err)
	}
	full := get()
	if full == empty {
		t.Fatal("the fingerprint did not move when the table was filled")
	}
	if get() != full {
		t.Fatal("the fingerprint of an unchanged table moved")
	}
	ipvsadm(t, ns, "-e", "-t", "10.0.0.2:80", "-r", "10.1.0.1:8080", "-m", "-w", "9")
	if get() == full {
		t.Error("a weight changed by hand: same fingerprint")
	}
	ipvsadm(t, ns, "-e", "-t", "10.0.0.2:80", "-r", "10.1.0.1:8080", "-m", "-w", "1")
	if get() != full {
		t.Error("the weight put back: the fingerprint differs")
	}
	ipvsadm(t, ns, "-d", "-t", "10.0.0.3:80", "-r", "10.1.0.2:8080")
	if get() == full {
		t.Error("a destination deleted by hand: same fingerprint")
	}
}
