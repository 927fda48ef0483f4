package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/notify"
	"github.com/lvsd/lvsd/vrrp/script"
	"github.com/lvsd/lvsd/vrrp/track"
)

// vrrpTracking is the VRRP part's trackers (vrrp_script, vrrp_track_process,
// track_file, track_interface and each instance's own interface) and its
// notifications (notify scripts, notify FIFOs).
type vrrpTracking struct {
	log      *slog.Logger
	set      *track.Set
	notifier *notify.Notifier
	scripts  map[string]*notify.Scripts // by instance name
	groups   map[string]*notify.Scripts // by sync group name
	sync     []config.SyncGroup
	// groupInherit: sync groups that take over their predecessor's state
	// quietly in a reload hand-over (vrrp.GroupOptions.Inherit); set
	// before start.
	groupInherit map[string]vrrp.State
	// groupMail, when set before start, gets every sync group transition
	// (the e-mail alerts, mail.go).
	groupMail func(vrrp.GroupTransition)
	// prioNotify: instances with notify_priority_changes (FIFO lines
	// MASTER_PRIORITY / BACKUP_PRIORITY when tracking moves the priority).
	prioNotify map[string]bool
	runCtx     context.Context // the trackers' (run)
	cancel     context.CancelFunc
	done       chan error
	// fifoReaders are the notify FIFO scripts, run for as long as lvsd.
	fifoReaders   []script.Spec
	readersDone   chan struct{}
	readersCancel context.CancelFunc
}

// readyTimeout bounds the wait for the first result of weight-0 scripts
// before the instances start (they stay in FAULT until it comes).
const readyTimeout = 30 * time.Second

// fifoReaderGrace is how long a notify_fifo_script may take to read the last
// lines after the FIFOs are closed at stop.
const fifoReaderGrace = time.Second

// newVRRPTracking builds the trackers and notifications of cfg, the
// vrrp_scripts run by d.runScript.
func (d *daemon) newVRRPTracking(cfg *config.Config) (*vrrpTracking, error) {
	return newVRRPTrackingWith(cfg, d.log, d.runScript)
}

func newVRRPTracking(cfg *config.Config, log *slog.Logger) (*vrrpTracking, error) {
	return newVRRPTrackingWith(cfg, log, script.Run)
}

func newVRRPTrackingWith(cfg *config.Config, log *slog.Logger, run func(context.Context, script.Spec) script.Result) (*vrrpTracking, error) {
	set, err := track.FromConfigWith(cfg, log, track.Options{RunScript: run})
	if err != nil {
		return nil, err
	}
	t := &vrrpTracking{log: log, set: set, scripts: map[string]*notify.Scripts{}, groups: map[string]*notify.Scripts{}, sync: cfg.SyncGroups,
		prioNotify: map[string]bool{}}
	for _, in := range cfg.Instances {
		s, err := notify.FromConfig(in.Notify, cfg.Global)
		if err != nil {
			return nil, fmt.Errorf("vrrp_instance %s: %w", in.Name, err)
		}
		t.scripts[in.Name] = s
		t.prioNotify[in.Name] = in.Notify.PriorityChanges
	}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Group {
			t.prioNotify[m] = t.prioNotify[m] || g.Notify.PriorityChanges
		}
		s, err := notify.FromConfig(g.Notify, cfg.Global)
		if err != nil {
			return nil, fmt.Errorf("vrrp_sync_group %s: %w", g.Name, err)
		}
		t.groups[g.Name] = s
	}
	n, err := notify.New(notify.OptionsFromConfig(cfg.Global), log)
	if err != nil {
		return nil, err
	}
	t.notifier = n
	// notify_fifo_script / vrrp_notify_fifo_script: programs reading the
	// FIFOs, started now with the FIFO's path as last argument (as
	// keepalived) and killed at stop.
	for _, f := range []struct {
		path string
		cmd  config.Command
	}{{cfg.Global.NotifyFIFO, cfg.Global.NotifyFIFOScript}, {cfg.Global.VRRPNotifyFIFO, cfg.Global.VRRPNotifyFIFOScript}} {
		if f.path == "" || f.cmd.IsZero() {
			continue
		}
		s, err := notify.FromConfig(config.NotifySet{Notify: f.cmd}, cfg.Global)
		if err != nil {
			n.Close(context.Background())
			return nil, fmt.Errorf("notify_fifo_script: %w", err)
		}
		t.fifoReaders = append(t.fifoReaders, script.Spec{Args: append(s.Notify.Args, f.path), Cred: s.Notify.Cred})
	}
	return t, nil
}

func notifyState(s vrrp.State) (notify.State, bool) {
	switch s {
	case vrrp.StateMaster:
		return notify.Master, true
	case vrrp.StateBackup:
		return notify.Backup, true
	case vrrp.StateFault:
		return notify.Fault, true
	case vrrp.StateStop:
		return notify.Stop, true
	}
	return 0, false
}

// instanceOptions are the hooks of one instance.
func (t *vrrpTracking) instanceOptions(name string) vrrp.Options {
	return vrrp.Options{
		OnTransition: func(tr vrrp.Transition) {
			if st, ok := notifyState(tr.To); ok {
				t.notifier.Notify(t.scripts[tr.Instance], notify.Event{Name: tr.Instance, State: st, Priority: int(tr.Priority), Time: tr.Time})
			}
		},
		OnMasterRxLowerPri: func(instance string, _ netip.Addr, _ uint8) {
			var prio int
			if e, ok := t.set.Effect(instance); ok {
				prio = e.Priority
			}
			t.notifier.Notify(t.scripts[instance], notify.Event{Name: instance, State: notify.MasterRxLowerPri, Priority: prio})
		},
	}
}

// groupOptions are the hooks of one sync group.
func (t *vrrpTracking) groupOptions(name string) vrrp.GroupOptions {
	return vrrp.GroupOptions{
		Logger:  t.log,
		Inherit: t.groupInherit[name],
		OnTransition: func(tr vrrp.GroupTransition) {
			if st, ok := notifyState(tr.To); ok {
				t.notifier.Notify(t.groups[tr.Group], notify.Event{Group: true, Name: tr.Group, State: st, Time: tr.Time})
			}
			if t.groupMail != nil {
				t.groupMail(tr)
			}
		},
	}
}

// start ties the vrrp_sync_group members together (with the group notify
// hooks), binds the instances to their trackers, starts the trackers and
// waits (bounded) until no instance waits for a first script result.
func (t *vrrpTracking) start(targets map[string]track.Target, failed func(error)) error {
	for _, g := range t.sync {
		var members []*vrrp.Instance
		for _, name := range g.Group {
			if in, ok := targets[name].(*vrrp.Instance); ok {
				members = append(members, in)
			}
		}
		if len(members) == 0 {
			continue
		}
		if _, err := vrrp.NewSyncGroup(g.Name, t.groupOptions(g.Name), members...); err != nil {
			return err
		}
	}
	t.set.OnPriorityChange(func(name string, prio int) {
		in, ok := targets[name].(*vrrp.Instance)
		if !ok || !t.prioNotify[name] {
			return
		}
		st := notify.BackupPriority
		if in.State() == vrrp.StateMaster {
			st = notify.MasterPriority
		}
		t.notifier.Notify(t.scripts[name], notify.Event{Name: name, State: st, Priority: prio})
	})
	for name, tg := range targets {
		if err := t.set.Bind(name, tg); err != nil {
			return err
		}
	}
	if t.cancel == nil {
		t.run(failed)
		t.waitReady()
	}
	t.startReaders()
	return nil
}

// run starts the trackers, before any instance is bound to them (a reload
// hand-over runs the new trackers while the old instances still advertise,
// handoverVRRP).
func (t *vrrpTracking) run(failed func(error)) {
	ctx, cancel := context.WithCancel(context.Background())
	t.runCtx, t.cancel, t.done = ctx, cancel, make(chan error, 1)
	go func() {
		err := t.set.Run(ctx)
		if err != nil && ctx.Err() == nil {
			failed(fmt.Errorf("tracking: %w", err))
		}
		t.done <- err
	}()
}

// waitReady waits, at most readyTimeout, until no instance waits for the
// first result of a weight-0 vrrp_script.
func (t *vrrpTracking) waitReady() {
	select {
	case <-t.set.Ready():
	case <-time.After(readyTimeout):
		t.log.Warn("starting instances before every weight-0 vrrp_script has a result")
	}
}

// startReaders starts the notify FIFO readers.
func (t *vrrpTracking) startReaders() {
	ctx := t.runCtx // cancelled first at stop: the readers' end is expected then
	t.readersDone = make(chan struct{})
	rctx, rcancel := context.WithCancel(context.Background())
	t.readersCancel = rcancel
	go func() {
		defer close(t.readersDone)
		var wg sync.WaitGroup
		for _, spec := range t.fifoReaders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := script.Run(rctx, spec)
				if rctx.Err() == nil && ctx.Err() == nil {
					t.log.Warn("notify_fifo_script ended", "command", script.Quote(spec.Args), "result", res.String(), "stderr", strings.TrimSpace(string(res.Stderr)))
				}
			}()
		}
		wg.Wait()
	}()
}

// stop stops the trackers, then delivers the queued notifications (the
// instances' STOP among them) within ctx.
func (t *vrrpTracking) stop(ctx context.Context) error {
	var errs []error
	if t.cancel != nil {
		t.cancel()
		if err := <-t.done; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
		t.cancel = nil // a second stop returns at once
	}
	if err := t.notifier.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("notify: %w", err))
	}
	if t.readersDone != nil {
		// Closing the FIFOs gave the readers an end of file after the
		// last line (STOP among them): let them finish, briefly.
		select {
		case <-t.readersDone:
		case <-time.After(fifoReaderGrace):
		case <-ctx.Done():
		}
		t.readersCancel()
		<-t.readersDone
	}
	return errors.Join(errs...)
}
