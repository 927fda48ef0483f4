package ipvs

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Call is one request recorded by Fake (and by Counting).
type Call struct {
	Op      string // "AddService", "UpdateDestination", ...
	Service ServiceKey
	Dest    DestKey
}

func (c Call) String() string {
	if c.Dest.Addr.IsValid() {
		return fmt.Sprintf("%s %s -> %s", c.Op, c.Service, c.Dest)
	}
	return fmt.Sprintf("%s %s", c.Op, c.Service)
}

// Fake is an in-memory Client with the kernel's error semantics (EEXIST on a
// duplicate add, ESRCH for a missing service, ENOENT for a missing
// destination or an unknown scheduler). It records every request. Safe for
// concurrent use.
type Fake struct {
	mu sync.Mutex
	// guarded by mu:
	table    Table
	calls    []Call
	timeouts Timeouts
	daemons  map[SyncState]SyncDaemon
	// Fail, when set, is consulted before each mutating request; a non-nil
	// result is returned instead of performing it.
	fail func(Call) error
	// schedulers known to the fake kernel.
	schedulers map[string]bool
}

var _ Client = (*Fake)(nil)

// NewFake returns an empty fake kernel that knows every scheduler in
// Schedulers.
func NewFake() *Fake {
	f := &Fake{table: Table{}, daemons: map[SyncState]SyncDaemon{}, schedulers: map[string]bool{},
		timeouts: Timeouts{TCP: 900, TCPFin: 120, UDP: 300}}
	for _, s := range Schedulers {
		f.schedulers[s] = true
	}
	return f
}

// SetFail installs a failure hook for mutating requests (nil removes it).
func (f *Fake) SetFail(fn func(Call) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

// RemoveScheduler makes the fake kernel lack a scheduler module.
func (f *Fake) RemoveScheduler(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.schedulers, name)
}

// Calls returns the requests recorded since the last ResetCalls.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ResetCalls forgets the recorded requests.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// Table returns a copy of the fake kernel's table, normalized as the kernel
// reports it.
func (f *Fake) Table() Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := Table{}
	for k, vs := range f.table {
		vs.Destinations = slices.Clone(vs.Destinations)
		t[k] = vs
	}
	return t
}

// record appends a call and runs the failure hook; mu must be held.
func (f *Fake) record(c Call) error {
	f.calls = append(f.calls, c)
	if f.fail != nil {
		return f.fail(c)
	}
	return nil
}

func (f *Fake) Info() (Info, error) {
	return Info{Version: "1.2.1", ConnTableSize: 4096}, nil
}

func (f *Fake) Services() ([]ServiceStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: "Services"})
	out := make([]ServiceStats, 0, len(f.table))
	for _, vs := range f.table {
		out = append(out, ServiceStats{Service: vs.Service})
	}
	slices.SortFunc(out, func(a, b ServiceStats) int { return a.ServiceKey.Compare(b.ServiceKey) })
	return out, nil
}

func (f *Fake) AddService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "AddService", Service: s.ServiceKey}); err != nil {
		return err
	}
	if _, ok := f.table[s.ServiceKey]; ok {
		return fmt.Errorf("ipvs: add service %s: %w", s.ServiceKey, unix.EEXIST)
	}
	if s = s.normalized(); !f.schedulers[s.Scheduler] {
		return schedulerError(s, unix.ENOENT)
	}
	f.table[s.ServiceKey] = VirtualService{Service: s}
	return nil
}

func (f *Fake) UpdateService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "UpdateService", Service: s.ServiceKey}); err != nil {
		return err
	}
	vs, ok := f.table[s.ServiceKey]
	if !ok {
		return fmt.Errorf("ipvs: update service %s: %w", s.ServiceKey, unix.ESRCH)
	}
	if s = s.normalized(); !f.schedulers[s.Scheduler] {
		return fmt.Errorf("ipvs: update service %s: %w", s.ServiceKey, unix.ENOENT)
	}
	vs.Service = s
	f.table[s.ServiceKey] = vs
	return nil
}

func (f *Fake) DeleteService(k ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "DeleteService", Service: k}); err != nil {
		return err
	}
	if _, ok := f.table[k]; !ok {
		return fmt.Errorf("ipvs: delete service %s: %w", k, unix.ESRCH)
	}
	delete(f.table, k)
	return nil
}

func (f *Fake) Destinations(k ServiceKey) ([]DestinationStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: "Destinations", Service: k})
	vs, ok := f.table[k]
	if !ok {
		return nil, fmt.Errorf("ipvs: list destinations of %s: %w", k, unix.ESRCH)
	}
	out := make([]DestinationStats, 0, len(vs.Destinations))
	for _, d := range vs.Destinations {
		out = append(out, DestinationStats{Destination: d})
	}
	return out, nil
}

func (f *Fake) destOp(op string, k ServiceKey, d Destination, fn func(vs *VirtualService, i int, found bool) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: op, Service: k, Dest: d.DestKey}); err != nil {
		return err
	}
	vs, ok := f.table[k]
	if !ok {
		return fmt.Errorf("ipvs: %s %s: %w", op, k, unix.ESRCH)
	}
	i, found := slices.BinarySearchFunc(vs.Destinations, d.DestKey, func(e Destination, k DestKey) int { return e.DestKey.Compare(k) })
	if err := fn(&vs, i, found); err != nil {
		return fmt.Errorf("ipvs: %s %s -> %s: %w", op, k, d.DestKey, err)
	}
	f.table[k] = vs
	return nil
}

func (f *Fake) AddDestination(k ServiceKey, d Destination) error {
	return f.destOp("AddDestination", k, d, func(vs *VirtualService, i int, found bool) error {
		if found {
			return unix.EEXIST
		}
		// Exactly as long as needed (copy on write, as before): the fake
		// kernel's table is in the director benchmarks' live heap, which
		// should be the daemon's.
		old := vs.Destinations
		ds := make([]Destination, len(old)+1)
		copy(ds, old[:i])
		ds[i] = d.normalized()
		copy(ds[i+1:], old[i:])
		vs.Destinations = ds
		return nil
	})
}

func (f *Fake) UpdateDestination(k ServiceKey, d Destination) error {
	return f.destOp("UpdateDestination", k, d, func(vs *VirtualService, i int, found bool) error {
		if !found {
			return unix.ENOENT
		}
		vs.Destinations = slices.Clone(vs.Destinations)
		vs.Destinations[i] = d.normalized()
		return nil
	})
}

func (f *Fake) DeleteDestination(k ServiceKey, d DestKey) error {
	return f.destOp("DeleteDestination", k, Destination{DestKey: d}, func(vs *VirtualService, i int, found bool) error {
		if !found {
			return unix.ENOENT
		}
		vs.Destinations = slices.Delete(slices.Clone(vs.Destinations), i, i+1)
		return nil
	})
}

func (f *Fake) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "Flush"}); err != nil {
		return err
	}
	f.table = Table{}
	return nil
}

func (f *Fake) Timeouts() (Timeouts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.timeouts, nil
}

func (f *Fake) SetTimeouts(t Timeouts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "SetTimeouts"}); err != nil {
		return err
	}
	if t.TCP != 0 {
		f.timeouts.TCP = t.TCP
	}
	if t.TCPFin != 0 {
		f.timeouts.TCPFin = t.TCPFin
	}
	if t.UDP != 0 {
		f.timeouts.UDP = t.UDP
	}
	return nil
}

func (f *Fake) SyncDaemons() ([]SyncDaemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []SyncDaemon
	for _, st := range []SyncState{SyncMaster, SyncBackup} {
		if d, ok := f.daemons[st]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *Fake) StartSyncDaemon(d SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "StartSyncDaemon"}); err != nil {
		return err
	}
	if _, ok := f.daemons[d.State]; ok {
		return fmt.Errorf("ipvs: start sync daemon %s: %w", d.State, unix.EEXIST)
	}
	// reported back as the kernel does: with its defaults filled in (the
	// kernel derives sync_maxlen from the MTU; 1472 stands for it)
	if !d.Group.IsValid() {
		d.Group = defaultSyncGroup
	}
	d.Port, d.TTL, d.MaxLen = cmp.Or(d.Port, defaultSyncPort), cmp.Or(d.TTL, defaultSyncTTL), cmp.Or(d.MaxLen, 1472)
	f.daemons[d.State] = d
	return nil
}

func (f *Fake) StopSyncDaemon(st SyncState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "StopSyncDaemon"}); err != nil {
		return err
	}
	if _, ok := f.daemons[st]; !ok {
		return fmt.Errorf("ipvs: stop sync daemon %s: %w", st, unix.ESRCH)
	}
	delete(f.daemons, st)
	return nil
}

func (f *Fake) Close() error { return nil }
