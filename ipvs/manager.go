package ipvs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// FailReason classifies a failed kernel request; Manager counts them.
type FailReason string

// Failure reasons.
const (
	FailNoScheduler FailReason = "no-scheduler" // ENOENT adding a service
	FailNoService   FailReason = "no-service"   // ESRCH where the service should exist
	FailInvalid     FailReason = "invalid"      // EINVAL: the kernel refused the values
	FailOther       FailReason = "other"
)

func classify(op Op, err error) FailReason {
	switch {
	case op.Kind == OpAddService && errors.Is(err, unix.ENOENT):
		return FailNoScheduler
	case errors.Is(err, unix.ESRCH):
		return FailNoService
	case errors.Is(err, unix.EINVAL):
		return FailInvalid
	}
	return FailOther
}

// Manager owns lvsd's part of the kernel's IPVS table. It remembers the
// services it owns and the table it last wrote, so that a change of desired
// state costs exactly the requests Diff returns; Reconcile re-reads the
// kernel to undo changes made behind its back. Safe for concurrent use.
type Manager struct {
	client Client
	log    *slog.Logger

	mu sync.Mutex // serialises every operation on the kernel; guards the fields below
	// owned are the services lvsd created or manages (the configuration's);
	// a service leaves the set only once deleted.
	owned map[ServiceKey]bool
	// desired is the table given to the last Apply.
	desired Table
	// known is the kernel's table as last read or written, owned services
	// only; nil when unknown (at start, or after a failed request).
	known Table
	// fails counts failed requests by reason.
	fails map[FailReason]uint64
	// requests counts the mutating requests issued.
	requests uint64
	// daemonStarted is when lvsd started each sync daemon state.
	daemonStarted map[SyncState]time.Time
	// origTimeouts are the kernel's timeouts before lvsd's first change
	// (keepalived's orig_ipvs_timeouts); nil until then.
	origTimeouts *Timeouts
	// lastLog and suppressed rate-limit the failure log per reason.
	lastLog    map[FailReason]time.Time
	suppressed map[FailReason]int
	// fp is the client's fingerprint of the kernel's table as lvsd last
	// knew it whole: taken just before a full read that found nothing to
	// change, or just after lvsd's own changes were all applied; fpValid
	// is false when unknown (nothing read yet, a failed request, a flush).
	fp      uint64
	fpValid bool
	// fullReads and cheapChecks count Run's reconciles: full re-reads and
	// fingerprint comparisons that found the table unchanged.
	fullReads, cheapChecks uint64
}

// failLogInterval is the minimum time between two log lines for failures
// of the same reason; the ones in between are counted and reported with
// the next line.
const failLogInterval = 10 * time.Second

// logFailure counts a failed request and logs it, rate-limited per reason;
// mu must be held.
func (m *Manager) logFailure(op Op, reason FailReason, err error) {
	m.fails[reason]++
	now := time.Now()
	if t, ok := m.lastLog[reason]; ok && now.Sub(t) < failLogInterval {
		m.suppressed[reason]++
		return
	}
	if m.lastLog == nil {
		m.lastLog, m.suppressed = map[FailReason]time.Time{}, map[FailReason]int{}
	}
	m.log.Warn("ipvs request failed", "op", op.String(), "reason", string(reason), "err", err,
		"suppressed_since_last", m.suppressed[reason])
	m.lastLog[reason], m.suppressed[reason] = now, 0
}

// syncSettle is how long a sync daemon runs before lvsd stops it: stopping
// one whose kernel thread has not run yet can block the netlink request
// forever (seen with kernel 6.1: TestKernelTimeoutsFlushSyncDaemon).
const syncSettle = time.Second

// NewManager returns a manager over client. It makes no request until used.
func NewManager(client Client, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{client: client, log: log, owned: map[ServiceKey]bool{}, desired: Table{}, fails: map[FailReason]uint64{}}
}

// Apply makes the kernel's owned table equal to desired. The first call, and
// any call after a failure, reads the kernel first; later calls diff against
// what the manager last wrote. Failed requests are logged with what they
// tried and returned joined; the caller retries (Run does, with back-off).
// desired is kept (and its destination lists shared): the caller must not
// change it afterwards.
func (m *Manager) Apply(ctx context.Context, desired Table) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.desired = desired
	for k := range desired {
		m.owned[k] = true
	}
	return m.sync(ctx, m.known == nil)
}

// Reconcile re-reads the kernel and restores the last desired table: a
// service or destination removed, added or changed by hand is put back.
func (m *Manager) Reconcile(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sync(ctx, true)
}

// sync diffs and applies; mu must be held.
func (m *Manager) sync(ctx context.Context, read bool) error {
	if read {
		t, err := m.observe()
		if err != nil {
			m.known = nil
			return err
		}
		m.known = t
	}
	ops := Diff(m.desired, m.known, m.owned)
	if len(ops) > 0 {
		m.fpValid = false
	}
	var first []error // the first attempt's error per op, nil = done
	if b, ok := m.client.(batcher); ok && len(ops) > 1 {
		m.requests += uint64(len(ops))
		first = b.Batch(ops)
	}
	var errs []error
	failedSvc := map[ServiceKey]bool{}
	for i, op := range ops {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		k := op.Service.ServiceKey
		if failedSvc[k] && op.Kind >= OpDeleteDestination {
			continue
		}
		var err error
		if first == nil {
			m.requests++
			err = m.do(op, nil)
		} else if first[i] != nil {
			err = m.do(op, first[i])
		}
		if err != nil {
			m.logFailure(op, classify(op, err), err)
			errs = append(errs, err)
			if op.Kind == OpAddService {
				failedSvc[k] = true
			}
			continue
		}
		applyOp(m.known, op)
		if op.Kind == OpDeleteService {
			delete(m.owned, k)
		}
	}
	for k := range m.owned {
		_, want := m.desired[k]
		_, have := m.known[k]
		if !want && !have {
			delete(m.owned, k) // deleted, by us or by hand
		}
	}
	if len(errs) > 0 {
		m.known = nil // the next call reads the kernel again
		return errors.Join(errs...)
	}
	shareDestinations(m.known, m.desired)
	if len(ops) > 0 {
		// The kernel now holds what was just written: its fingerprint is
		// the next reconcile's baseline, so that lvsd's own changes (the
		// start's whole table) cost no full read. A change by hand in the
		// instant between the last request and this read would wait for
		// the hourly full read.
		if fp, ok := m.client.(fingerprinter); ok {
			if f, err := fp.Fingerprint(); err == nil {
				m.fp, m.fpValid = f, true
			}
		}
	}
	return nil
}

// batcher is implemented by clients that can send many operations in one
// go (the netlink client: one syscall per batch); errs[i] is ops[i]'s.
type batcher interface {
	Batch(ops []Op) (errs []error)
}

// do performs one operation, treating EEXIST/ENOENT as convergence: an add
// that finds the object becomes an update, an update that misses it becomes
// an add, a delete that misses it succeeds. With prior set, the operation
// was already tried (in a batch) and failed with prior: only the fallback
// runs.
func (m *Manager) do(op Op, prior error) error {
	c, k, d := m.client, op.Service.ServiceKey, op.Dest
	try := func(f func() error) error {
		if prior != nil {
			err := prior
			prior = nil
			return err
		}
		return f()
	}
	var err error
	switch op.Kind {
	case OpAddService:
		if err = try(func() error { return c.AddService(op.Service) }); isExist(err) {
			m.requests++
			err = c.UpdateService(op.Service)
		}
	case OpUpdateService:
		if err = try(func() error { return c.UpdateService(op.Service) }); errors.Is(err, unix.ESRCH) {
			m.requests++
			err = c.AddService(op.Service)
		}
	case OpDeleteService:
		if err = try(func() error { return c.DeleteService(k) }); isNotExist(err) {
			err = nil
		}
	case OpAddDestination:
		if err = try(func() error { return c.AddDestination(k, d) }); isExist(err) {
			m.requests++
			err = c.UpdateDestination(k, d)
		}
	case OpUpdateDestination:
		if err = try(func() error { return c.UpdateDestination(k, d) }); errors.Is(err, unix.ENOENT) {
			m.requests++
			err = c.AddDestination(k, d)
		}
	case OpDeleteDestination:
		if err = try(func() error { return c.DeleteDestination(k, d.DestKey) }); errors.Is(err, unix.ENOENT) {
			err = nil
		}
	}
	return err
}

// observe reads the kernel's services that are owned or desired, with their
// destinations; mu must be held.
func (m *Manager) observe() (Table, error) {
	svcs, err := m.client.Services()
	if err != nil {
		return nil, err
	}
	t := Table{}
	for _, s := range svcs {
		k := s.ServiceKey
		if !m.owned[k] {
			if _, ok := m.desired[k]; !ok {
				continue // foreign
			}
		}
		ds, err := m.client.Destinations(k)
		if err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		vs := VirtualService{Service: s.Service}
		for _, d := range ds {
			vs.Destinations = append(vs.Destinations, d.Destination)
		}
		slices.SortFunc(vs.Destinations, func(a, b Destination) int { return a.DestKey.Compare(b.DestKey) })
		t[k] = vs
	}
	return t, nil
}

// Release deletes every service the manager owns, with its destinations
// (one request per service, batched); services it does not own stay. It
// reads the kernel first only when the last write failed (as Apply). This
// is keepalived's stop (unless --dont-release-ipvs).
func (m *Manager) Release(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.desired = Table{}
	if err := m.sync(ctx, m.known == nil); err != nil {
		return fmt.Errorf("ipvs: release: %w", err)
	}
	return nil
}

// Owned returns the keys of the services lvsd owns, sorted.
func (m *Manager) Owned() []ServiceKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedKeys(m.owned)
}

// Failures returns the count of failed requests by reason.
func (m *Manager) Failures() map[FailReason]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.fails)
}

// Requests returns the number of mutating requests issued so far.
func (m *Manager) Requests() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

// VirtualServiceStats are one owned service's counters with its destinations'.
type VirtualServiceStats struct {
	ServiceStats
	Destinations []DestinationStats
}

// Stats reads the counters of the owned services from the kernel.
func (m *Manager) Stats() ([]VirtualServiceStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	svcs, err := m.client.Services()
	if err != nil {
		return nil, err
	}
	var out []VirtualServiceStats
	for _, s := range svcs {
		if !m.owned[s.ServiceKey] {
			continue
		}
		ds, err := m.client.Destinations(s.ServiceKey)
		if err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue
			}
			return nil, err
		}
		slices.SortFunc(ds, func(a, b DestinationStats) int { return a.DestKey.Compare(b.DestKey) })
		out = append(out, VirtualServiceStats{ServiceStats: s, Destinations: ds})
	}
	slices.SortFunc(out, func(a, b VirtualServiceStats) int { return a.ServiceKey.Compare(b.ServiceKey) })
	return out, nil
}

// Flush deletes every IPVS service, foreign ones included (lvs_flush).
func (m *Manager) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.known, m.fpValid = nil, false
	m.requests++
	return m.client.Flush()
}

// SetTimeouts applies lvs_timeouts as keepalived does: the kernel's values
// are read and kept before the first change, and a value left at 0 gets
// its original back (all zero: every original, or no request when nothing
// was changed yet).
func (m *Manager) SetTimeouts(t Timeouts) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.origTimeouts == nil {
		if t == (Timeouts{}) {
			return nil
		}
		orig, err := m.client.Timeouts()
		if err != nil {
			return err
		}
		m.origTimeouts = &orig
	}
	o := m.origTimeouts
	m.requests++
	return m.client.SetTimeouts(Timeouts{TCP: cmp.Or(t.TCP, o.TCP), TCPFin: cmp.Or(t.TCPFin, o.TCPFin), UDP: cmp.Or(t.UDP, o.UDP)})
}

// RestoreTimeouts puts back the timeouts the kernel had before the first
// SetTimeouts (keepalived does at stop); without one it does nothing.
func (m *Manager) RestoreTimeouts() error { return m.SetTimeouts(Timeouts{}) }

// SetSyncDaemons makes the running sync daemons equal to want (at most one
// per state): daemons that differ are stopped, missing ones started. An
// empty want stops all.
func (m *Manager) SetSyncDaemons(want []SyncDaemon) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	have, err := m.client.SyncDaemons()
	if err != nil {
		return err
	}
	wantBy := map[SyncState]SyncDaemon{}
	for _, d := range want {
		wantBy[d.State] = d
	}
	running := map[SyncState]bool{}
	var errs []error
	for _, h := range have {
		w, ok := wantBy[h.State]
		if ok && w.Matches(h) {
			running[h.State] = true
			continue
		}
		if t, ok := m.daemonStarted[h.State]; ok {
			time.Sleep(syncSettle - time.Since(t)) // no-op once settled
		}
		m.requests++
		if err := m.client.StopSyncDaemon(h.State); err != nil && !isNotExist(err) {
			errs = append(errs, err)
		}
	}
	for _, st := range []SyncState{SyncMaster, SyncBackup} {
		if w, ok := wantBy[st]; ok && !running[st] {
			m.requests++
			if err := m.client.StartSyncDaemon(w); err != nil && !isExist(err) {
				errs = append(errs, err)
			} else {
				if m.daemonStarted == nil {
					m.daemonStarted = map[SyncState]time.Time{}
				}
				m.daemonStarted[w.State] = time.Now()
			}
		}
	}
	return errors.Join(errs...)
}

// Close removes lvsd's services when flush is set (lvs_flush_on_stop) and
// closes the client. Without flush the table stays, as keepalived leaves it.
func (m *Manager) Close(flush bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	if flush {
		err = m.client.Flush()
	}
	return errors.Join(err, m.client.Close())
}

// Backoff is the retry delay after n consecutive failures: 1 s doubling to
// at most max.
func Backoff(n int, max time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// fullEvery: Run re-reads the whole table at least every fullEvery-th
// interval even when the fingerprint has not changed, for the fields the
// fingerprint does not cover (service flags other than persistence, the
// persistence engine, destination thresholds and tunnel settings): with
// lvsd's 30 s, once an hour. A full read of 1,000 services x 10
// destinations costs about 8 s of CPU in the emulated test VM, the
// fingerprint 0.14 s (BenchmarkKernelReconcile).
const fullEvery = 120

// reconcileTick is one of Run's reconciles. It is a full one (Reconcile)
// when full is set, when the client cannot fingerprint the table, or when
// the fingerprint differs from the one taken before the last full read
// that found nothing to change; otherwise it reads only the fingerprint
// (one read of /proc/net/ip_vs instead of a dump per service).
func (m *Manager) reconcileTick(ctx context.Context, full bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ferr := uint64(0), error(nil)
	if fp, ok := m.client.(fingerprinter); ok {
		f, ferr = fp.Fingerprint()
	} else {
		ferr = errors.ErrUnsupported
	}
	if !full && ferr == nil && m.fpValid && f == m.fp {
		m.cheapChecks++
		return nil
	}
	m.fullReads++
	// Taken before the read: a change made after it makes the next
	// fingerprint differ, one made before it is seen by the read (and
	// undone: sync then takes the fingerprint of the result).
	m.fp, m.fpValid = f, ferr == nil
	err := m.sync(ctx, true)
	if err != nil {
		m.fpValid = false
	}
	return err
}

// Run reconciles every interval until ctx ends; after a failure it retries
// sooner, with exponential back-off up to interval. It returns ctx's error.
// While the client's fingerprint of the table (fingerprinter) shows no
// change since the last full read, a reconcile costs one fingerprint; the
// table is read in full after any change, after a failure, and every
// fullEvery-th interval.
func (m *Manager) Run(ctx context.Context, interval time.Duration) error {
	failures, n := 0, 0
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		next := interval
		n++
		if err := m.reconcileTick(ctx, failures > 0 || n%fullEvery == 0); err != nil {
			failures++
			next = Backoff(failures, interval)
			m.log.Warn("ipvs reconcile failed, retrying", "in", next, "failures", failures, "err", err)
		} else if failures > 0 {
			m.log.Info("ipvs reconcile recovered", "after_failures", failures)
			failures = 0
		}
		t.Reset(next)
	}
}

// String describes a failure count map for logs.
func (r FailReason) String() string { return string(r) }

var _ fmt.Stringer = FailReason("")

// shareDestinations makes known's destination lists that are equal to
// desired's the same slices, so that the two tables the Manager keeps for
// the daemon's life hold one copy of the converged destinations, not two
// (1,000 x 10: 0.9 MB); a reload's unchanged table takes the place of the
// previous one instead of keeping both. Neither table's slices are ever
// written in place: applyOp copies on write, and Apply's caller hands
// desired over.
func shareDestinations(known, desired Table) {
	for k, vs := range known {
		d, ok := desired[k]
		if !ok || len(d.Destinations) == 0 || len(d.Destinations) != len(vs.Destinations) ||
			&d.Destinations[0] == &vs.Destinations[0] || !slices.Equal(d.Destinations, vs.Destinations) {
			continue
		}
		vs.Destinations = d.Destinations
		known[k] = vs
	}
}
