package daemon

import (
	"github.com/lvsd/lvsd/vrrp"
	"github.com/lvsd/lvsd/vrrp/notify"
)

// fifoStatesOnReload writes, with fifo_write_vrrp_states_on_reload, every
// running instance's state and priority to the notify FIFOs after a reload
// (keepalived writes the instances whose state the reload did not change;
// lvsd writes them all, a changed one once more). No script runs.
func (d *daemon) fifoStatesOnReload() {
	v := d.vrrp
	if !d.cfg.Global.FIFOWriteVRRPStatesOnReload || v == nil || v.trk == nil {
		return
	}
	for _, inst := range v.insts {
		in, ok := inst.run.(*vrrp.Instance)
		if !ok {
			continue
		}
		s := in.Stats()
		st, ok := notifyState(s.State)
		if !ok {
			continue
		}
		v.trk.notifier.Notify(nil, notify.Event{Name: in.Config().Name, State: st, Priority: int(s.Priority)})
	}
}
