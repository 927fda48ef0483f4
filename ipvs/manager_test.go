package ipvs

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func callStrings(cs []Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestManagerApplyAndReconcile(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	a, foreign := svcKey("10.0.0.1", 80), svcKey("10.9.9.9", 80)
	if err := f.AddService(Service{ServiceKey: foreign, Scheduler: "rr"}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(f, nil)
	desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 1)))
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	got := f.Table()
	if len(got[a].Destinations) != 2 || got[foreign].Scheduler != "rr" {
		t.Fatalf("table after apply: %+v", got)
	}

	// One weight change: exactly one request, no dump.
	f.ResetCalls()
	desired = table(vsvc(a, "rr", dest("10.1.0.1", 80, 7), dest("10.1.0.2", 80, 1)))
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UpdateDestination TCP 10.0.0.1:80 -> 10.1.0.1:80"}, callStrings(f.Calls())); diff != "" {
		t.Errorf("requests for one weight (-want +got):\n%s", diff)
	}

	// Removed by hand: restored at the next Reconcile; the foreign service stays.
	if err := f.DeleteDestination(a, dest("10.1.0.2", 80, 1).DestKey); err != nil {
		t.Fatal(err)
	}
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.DeleteService(a); err != nil {
		t.Fatal(err)
	}
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got = f.Table()
	if diff := cmp.Diff(desired[a].Destinations, got[a].Destinations, addrCmp); diff != "" {
		t.Errorf("restored destinations (-want +got):\n%s", diff)
	}
	if _, ok := got[foreign]; !ok {
		t.Error("foreign service deleted")
	}

	// Removed from config: deleted; the foreign one still untouched.
	if err := m.Apply(ctx, Table{}); err != nil {
		t.Fatal(err)
	}
	got = f.Table()
	if _, ok := got[a]; ok || len(got) != 1 {
		t.Errorf("after removal from config: %+v", got)
	}
	if len(m.Owned()) != 0 {
		t.Errorf("still owned: %v", m.Owned())
	}
}

func TestManagerConvergenceErrors(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	a := svcKey("10.0.0.1", 80)
	m := NewManager(f, nil)
	desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 1)))
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	// Someone else adds the next destination first: EEXIST becomes an update.
	if err := f.AddDestination(a, dest("10.1.0.2", 80, 9)); err != nil {
		t.Fatal(err)
	}
	desired = table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 2)))
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatalf("EEXIST not treated as convergence: %v", err)
	}
	if w := f.Table()[a].Destinations[1].Weight; w != 2 {
		t.Errorf("weight after EEXIST: %d, want 2", w)
	}
	// Someone deletes the service: the update becomes an add (ESRCH), then
	// the destination adds follow on the next reconcile.
	if err := f.DeleteService(a); err != nil {
		t.Fatal(err)
	}
	desired = table(vsvc(a, "wrr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 2)))
	_ = m.Apply(ctx, desired)
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(desired[a].Destinations, f.Table()[a].Destinations, addrCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestManagerRetriesAfterFailure(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	a, b := svcKey("10.0.0.1", 80), svcKey("10.0.0.2", 80)
	boom := errors.New("ipvs: add destination: " + unix.ENOMEM.Error())
	failing := true
	f.SetFail(func(c Call) error {
		if failing && c.Op == "AddDestination" && c.Service == a {
			return boom
		}
		return nil
	})
	m := NewManager(f, nil)
	desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 1)), vsvc(b, "rr", dest("10.1.0.1", 80, 1)))
	if err := m.Apply(ctx, desired); !errors.Is(err, boom) {
		t.Fatalf("Apply error = %v, want %v", err, boom)
	}
	if got := f.Table(); len(got[b].Destinations) != 1 {
		t.Errorf("the other service was not applied: %+v", got)
	}
	if n := m.Failures()[FailOther]; n != 1 {
		t.Errorf("failures other = %d, want 1", n)
	}
	failing = false
	f.SetFail(nil)
	if err := m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.Table(); len(got[a].Destinations) != 1 {
		t.Errorf("not retried: %+v", got)
	}
}

func TestManagerMissingScheduler(t *testing.T) {
	f := NewFake()
	f.RemoveScheduler("twos")
	m := NewManager(f, nil)
	a := svcKey("10.0.0.1", 80)
	err := m.Apply(context.Background(), table(vsvc(a, "twos", dest("10.1.0.1", 80, 1))))
	if !errors.Is(err, unix.ENOENT) || err == nil || !contains(err.Error(), `scheduler "twos" not in this kernel`) {
		t.Fatalf("err = %v", err)
	}
	if m.Failures()[FailNoScheduler] != 1 {
		t.Errorf("failures: %v", m.Failures())
	}
	// No destination add was attempted for the missing service.
	for _, c := range f.Calls() {
		if c.Op == "AddDestination" {
			t.Errorf("unexpected %v", c)
		}
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestManagerSyncDaemons(t *testing.T) {
	f := NewFake()
	m := NewManager(f, nil)
	master := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 51}
	backup := SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 51}
	if err := m.SetSyncDaemons([]SyncDaemon{backup}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetSyncDaemons([]SyncDaemon{master}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.SyncDaemons()
	// the fake reports the kernel's defaults for the settings left at zero
	reported := master
	reported.Group, reported.Port, reported.TTL, reported.MaxLen = netip.MustParseAddr("224.0.0.81"), 8848, 1, 1472
	if diff := cmp.Diff([]SyncDaemon{reported}, got, addrCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	f.ResetCalls()
	if err := m.SetSyncDaemons([]SyncDaemon{master}); err != nil || len(f.Calls()) != 0 {
		t.Errorf("idempotent call issued %v (err %v)", f.Calls(), err)
	}
	// the defaults given explicitly are the same daemon
	explicit := reported
	explicit.MaxLen = 0
	if err := m.SetSyncDaemons([]SyncDaemon{explicit}); err != nil || len(f.Calls()) != 0 {
		t.Errorf("same daemon with explicit defaults issued %v (err %v)", f.Calls(), err)
	}
	// any other changed setting restarts it
	prev := master
	for _, change := range []func(*SyncDaemon){
		func(d *SyncDaemon) { d.SyncID = 52 },
		func(d *SyncDaemon) { d.Interface = "eth1" },
		func(d *SyncDaemon) { d.Port = 8849 },
		func(d *SyncDaemon) { d.TTL = 2 },
		func(d *SyncDaemon) { d.Group = netip.MustParseAddr("239.1.1.1") },
		func(d *SyncDaemon) { d.MaxLen = 1000 },
	} {
		want := prev
		change(&want)
		f.ResetCalls()
		if err := m.SetSyncDaemons([]SyncDaemon{want}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range f.Calls() {
			got = append(got, c.Op)
		}
		if !slices.Equal(got, []string{"StopSyncDaemon", "StartSyncDaemon"}) {
			t.Errorf("%+v after %+v: requests %v, want stop+start", want, prev, got)
		}
		prev = want
	}
}

// TestManagerTimeouts: as keepalived, a timeout left at 0 gets the value the
// kernel had before lvsd's first change, and RestoreTimeouts puts them all
// back; nothing is sent before a first change.
func TestManagerTimeouts(t *testing.T) {
	f := NewFake()
	orig, _ := f.Timeouts()
	m := NewManager(f, nil)
	if err := m.SetTimeouts(Timeouts{}); err != nil || len(f.Calls()) != 0 {
		t.Fatalf("nothing to set: %v (err %v)", f.Calls(), err)
	}
	if err := m.RestoreTimeouts(); err != nil || len(f.Calls()) != 0 {
		t.Fatalf("nothing to restore: %v (err %v)", f.Calls(), err)
	}
	steps := []struct {
		set, want Timeouts
	}{
		{Timeouts{TCP: 1000, UDP: 50}, Timeouts{TCP: 1000, TCPFin: orig.TCPFin, UDP: 50}},
		{Timeouts{TCP: 1000}, Timeouts{TCP: 1000, TCPFin: orig.TCPFin, UDP: orig.UDP}}, // udp removed: original
		{Timeouts{TCPFin: 7}, Timeouts{TCP: orig.TCP, TCPFin: 7, UDP: orig.UDP}},
		{Timeouts{}, orig},
	}
	for _, st := range steps {
		f.ResetCalls()
		if err := m.SetTimeouts(st.set); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Timeouts(); got != st.want || len(f.Calls()) != 1 {
			t.Errorf("SetTimeouts(%+v): kernel %+v with %v, want %+v with one request", st.set, got, f.Calls(), st.want)
		}
	}
	if err := m.SetTimeouts(Timeouts{UDP: 9}); err != nil {
		t.Fatal(err)
	}
	if err := m.RestoreTimeouts(); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Timeouts(); got != orig {
		t.Errorf("after RestoreTimeouts: %+v, want %+v", got, orig)
	}
}

func TestSyncDaemonMatches(t *testing.T) {
	want := SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7}
	for _, c := range []struct {
		have SyncDaemon
		ok   bool
	}{
		{SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7}, true}, // Linux < 4.3 reports no more
		{SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7, MaxLen: 1450, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1}, true},
		{SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 7}, false},
		{SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7, Group: netip.MustParseAddr("224.0.0.82")}, false},
		{SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7, Port: 1}, false},
		{SyncDaemon{State: SyncBackup, Interface: "eth0", SyncID: 7, TTL: 3}, false},
	} {
		if got := want.Matches(c.have); got != c.ok {
			t.Errorf("%+v.Matches(%+v) = %v", want, c.have, got)
		}
	}
}

// batchingFake gives the fake a Batch method, so the Manager's batch path
// (first attempt in a batch, fallbacks one by one) runs on the host.
type batchingFake struct{ *Fake }

func (b batchingFake) Batch(ops []Op) []error {
	errs := make([]error, len(ops))
	for i, op := range ops {
		k := op.Service.ServiceKey
		switch op.Kind {
		case OpAddService:
			errs[i] = b.AddService(op.Service)
		case OpUpdateService:
			errs[i] = b.UpdateService(op.Service)
		case OpDeleteService:
			errs[i] = b.DeleteService(k)
		case OpAddDestination:
			errs[i] = b.AddDestination(k, op.Dest)
		case OpUpdateDestination:
			errs[i] = b.UpdateDestination(k, op.Dest)
		case OpDeleteDestination:
			errs[i] = b.DeleteDestination(k, op.Dest.DestKey)
		}
	}
	return errs
}

func TestManagerBatchFallbacks(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	a := svcKey("10.0.0.1", 80)
	// Present already, unknown to a fresh Manager that trusts an empty cache
	// after a flush: adds hit EEXIST and fall back to updates.
	if err := f.AddService(Service{ServiceKey: a, Scheduler: "wlc"}); err != nil {
		t.Fatal(err)
	}
	if err := f.AddDestination(a, dest("10.1.0.1", 80, 9)); err != nil {
		t.Fatal(err)
	}
	m := NewManager(batchingFake{f}, nil)
	m.known = Table{} // as after a Flush that someone undid
	desired := table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 2)))
	if err := m.Apply(ctx, desired); err != nil {
		t.Fatal(err)
	}
	got := f.Table()[a]
	if got.Scheduler != "rr" || len(got.Destinations) != 2 || got.Destinations[0].Weight != 1 {
		t.Errorf("after batch with fallbacks: %+v", got)
	}
	if n := m.Requests(); n != 5 {
		t.Errorf("requests = %d, want 5 (3 in the batch, 2 fallbacks)", n)
	}
}

// TestManagerRelease: Release deletes the owned services, one request each
// (their destinations go with them), and leaves the foreign ones.
func TestManagerRelease(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	a, b, foreign := svcKey("10.0.0.1", 80), svcKey("10.0.0.2", 80), svcKey("10.9.9.9", 80)
	if err := f.AddService(Service{ServiceKey: foreign, Scheduler: "rr"}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(f, nil)
	if err := m.Apply(ctx, table(vsvc(a, "rr", dest("10.1.0.1", 80, 1), dest("10.1.0.2", 80, 1)), vsvc(b, "rr", dest("10.1.0.3", 80, 1)))); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
	if err := m.Release(ctx); err != nil {
		t.Fatal(err)
	}
	var mutating []string
	for _, c := range callStrings(f.Calls()) {
		if strings.HasPrefix(c, "Delete") || strings.HasPrefix(c, "Add") || strings.HasPrefix(c, "Update") {
			mutating = append(mutating, c)
		}
	}
	if diff := cmp.Diff([]string{"DeleteService TCP 10.0.0.1:80", "DeleteService TCP 10.0.0.2:80"}, mutating); diff != "" {
		t.Errorf("release requests (-want +got):\n%s", diff)
	}
	if got := f.Table(); len(got) != 1 || got[foreign].Scheduler != "rr" {
		t.Errorf("after release: %+v, want only the foreign service", got)
	}
}
