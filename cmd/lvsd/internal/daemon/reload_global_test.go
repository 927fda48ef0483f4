package daemon

import (
	"context"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp"
)

// callOps returns the operations the fake recorded since the last reset,
// after letting the part's loop run whatever a reload kicked.
func callOps(f *ipvs.Fake) []string {
	time.Sleep(50 * time.Millisecond) // nothing else may follow
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Op)
	}
	return out
}

// TestReloadTimeouts: through the daemon's reload path, an unchanged
// lvs_timeouts issues no request and a changed one exactly the timeout
// request; a new lvs_flush does not flush (start-time only, as keepalived);
// a removed key, then a removed lvs_timeouts, get the kernel's original
// values back (one request each), and so does the stop.
func TestReloadTimeouts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lvsd.toml")
	write := func(global string) {
		t.Helper()
		if err := os.WriteFile(file, []byte("[global]\n"+global+"\n"+reloadIPVSConfig), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`lvs_timeouts = { tcp = 1000, tcpfin = 100, udp = 200 }`)
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	f := ipvs.NewFake()
	orig, _ := f.Timeouts()
	d := newDaemon(cfg, log)
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			d.stop(context.Background())
		}
	}()
	o := newOps(file, opsFlags{}, log)
	o.d = d
	waitTable(t, f, "initial table", func(tab ipvs.Table) bool { return len(tab) == 1 })
	if got, _ := f.Timeouts(); got != (ipvs.Timeouts{TCP: 1000, TCPFin: 100, UDP: 200}) {
		t.Fatalf("timeouts at start: %+v", got)
	}
	f.ResetCalls()
	reload := func(global string) []string {
		t.Helper()
		f.ResetCalls()
		write(global)
		if err := o.reload(); err != nil {
			t.Fatal(err)
		}
		return callOps(f)
	}
	timeouts := func(want ipvs.Timeouts) {
		t.Helper()
		if got, _ := f.Timeouts(); got != want {
			t.Errorf("timeouts %+v, want %+v", got, want)
		}
	}

	if ops := reload(`lvs_timeouts = { tcp = 1000, tcpfin = 100, udp = 200 }`); len(ops) != 0 {
		t.Errorf("unchanged reload: requests %v, want none", ops)
	}
	if ops := reload(`lvs_timeouts = { tcp = 1001, tcpfin = 100, udp = 200 }`); !slices.Equal(ops, []string{"SetTimeouts"}) {
		t.Errorf("changed lvs_timeouts: requests %v, want one SetTimeouts", ops)
	}
	timeouts(ipvs.Timeouts{TCP: 1001, TCPFin: 100, UDP: 200})
	if ops := reload(`lvs_timeouts = { tcp = 1001, tcpfin = 100, udp = 200 }` + "\nlvs_flush = true"); len(ops) != 0 {
		t.Errorf("lvs_flush added: requests %v, want none (no flush)", ops)
	}
	if len(f.Table()) != 1 {
		t.Errorf("table after lvs_flush was added: %v", f.Table())
	}
	if ops := reload(`lvs_timeouts = { tcp = 1001, tcpfin = 100 }`); !slices.Equal(ops, []string{"SetTimeouts"}) {
		t.Errorf("udp removed: requests %v, want one SetTimeouts", ops)
	}
	timeouts(ipvs.Timeouts{TCP: 1001, TCPFin: 100, UDP: orig.UDP})
	if ops := reload(""); !slices.Equal(ops, []string{"SetTimeouts"}) {
		t.Errorf("lvs_timeouts removed: requests %v, want one SetTimeouts", ops)
	}
	timeouts(orig)

	// set again, then the stop restores the originals
	reload(`lvs_timeouts = { udp = 5 }`)
	timeouts(ipvs.Timeouts{TCP: orig.TCP, TCPFin: orig.TCPFin, UDP: 5})
	stopped = true
	if err := d.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	timeouts(orig)
}

const reloadSyncConfig = `
[global]
lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1", sync_id = 51 }

[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 100
virtual_ipaddress = ["192.168.200.100/24"]

[[vrrp_instance]]
name = "VI_2"
interface = "eth0"
virtual_router_id = 52
priority = 100
virtual_ipaddress = ["192.168.200.101/24"]
` + reloadIPVSConfig

// TestReloadSyncDaemon: the IPVS part's reload (d.reloadIPVS after a
// reload replaced d.cfg) leaves an unchanged lvs_sync_daemon alone (no
// request), restarts a changed one (stop+start) in the state of its VRRP
// instance, and stops a removed one.
func TestReloadSyncDaemon(t *testing.T) {
	parse := func(s string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("t.toml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	d := &daemon{cfg: parse(reloadSyncConfig), log: slog.New(slog.DiscardHandler), fatal: make(chan error, 1), scripts: scriptpool.New(scriptpool.Options{})}
	d.ipvs = newIPVSPart(d)
	f := ipvs.NewFake()
	d.ipvs.newClient = func() (ipvs.Client, error) { return f, nil }
	if err := d.ipvs.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.ipvs.stop(context.Background())
	daemons := func() []ipvs.SyncDaemon { sd, _ := f.SyncDaemons(); return sd }
	reload := func(s string) []string {
		t.Helper()
		f.ResetCalls()
		cfg := parse(s)
		specs, err := ipvs.FromConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d.cfg = cfg
		if err := d.reloadIPVS(specs); err != nil {
			t.Fatalf("reload: %v", err)
		}
		return callOps(f)
	}
	if sd := daemons(); len(sd) != 1 || sd[0].State != ipvs.SyncBackup || sd[0].SyncID != 51 {
		t.Fatalf("sync daemons at start: %+v", sd)
	}

	if ops := reload(reloadSyncConfig); len(ops) != 0 {
		t.Errorf("unchanged reload: requests %v, want none", ops)
	}
	stopStart := []string{"StopSyncDaemon", "StartSyncDaemon"}
	changed := strings.Replace(reloadSyncConfig, "sync_id = 51", "sync_id = 61", 1)
	if ops := reload(changed); !slices.Equal(ops, stopStart) {
		t.Errorf("changed sync_id: requests %v, want %v", ops, stopStart)
	}
	if sd := daemons(); len(sd) != 1 || sd[0].State != ipvs.SyncBackup || sd[0].SyncID != 61 {
		t.Errorf("after a changed sync_id: %+v", sd)
	}

	// VI_1 becomes master: the daemon follows; then the daemon moves to
	// VI_2 (backup) and starts as backup.
	d.ipvs.vrrpTransition(vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
	deadline := time.Now().Add(5 * time.Second)
	for sd := daemons(); len(sd) != 1 || sd[0].State != ipvs.SyncMaster; sd = daemons() {
		if time.Now().After(deadline) {
			t.Fatalf("sync daemon not switched to master: %+v", sd)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ops := reload(changed); len(ops) != 0 {
		t.Errorf("unchanged reload while master: requests %v, want none", ops)
	}
	moved := strings.Replace(changed, `vrrp_instance = "VI_1"`, `vrrp_instance = "VI_2"`, 1)
	if ops := reload(moved); !slices.Equal(ops, stopStart) {
		t.Errorf("sync daemon moved to a backup instance: requests %v, want %v", ops, stopStart)
	}
	if sd := daemons(); len(sd) != 1 || sd[0].State != ipvs.SyncBackup || sd[0].SyncID != 61 {
		t.Errorf("after moving to VI_2: %+v", sd)
	}
	moved = strings.Replace(moved, "sync_id = 61", "sync_id = 61, port = 8849, ttl = 2", 1)
	if ops := reload(moved); !slices.Equal(ops, stopStart) {
		t.Errorf("changed port and ttl: requests %v, want %v", ops, stopStart)
	}
	if sd := daemons(); len(sd) != 1 || sd[0].Port != 8849 || sd[0].TTL != 2 {
		t.Errorf("after changing port and ttl: %+v", sd)
	}

	removed := strings.Replace(reloadSyncConfig, `lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1", sync_id = 51 }`, "", 1)
	if ops := reload(removed); !slices.Equal(ops, []string{"StopSyncDaemon"}) {
		t.Errorf("lvs_sync_daemon removed: requests %v, want one StopSyncDaemon", ops)
	}
	if sd := daemons(); len(sd) != 0 {
		t.Errorf("after removing lvs_sync_daemon: %+v", sd)
	}
	if ops := reload(reloadSyncConfig); !slices.Equal(ops, []string{"StartSyncDaemon"}) {
		t.Errorf("lvs_sync_daemon back: requests %v, want one StartSyncDaemon", ops)
	}
	if sd := daemons(); len(sd) != 1 || sd[0].State != ipvs.SyncMaster || sd[0].SyncID != 51 {
		t.Errorf("lvs_sync_daemon back on VI_1 (master): %+v", sd)
	}
}
