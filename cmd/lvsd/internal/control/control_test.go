package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type fakeHandler struct {
	status  *Status
	reloads atomic.Int32
	stops   atomic.Int32
	reload  error
}

func (f *fakeHandler) Status(context.Context) (*Status, error) { return f.status, nil }
func (f *fakeHandler) Reload(context.Context) error            { f.reloads.Add(1); return f.reload }
func (f *fakeHandler) Stop(context.Context) error              { f.stops.Add(1); return nil }
func (f *fakeHandler) Upgrade(context.Context) (string, error) {
	return "upgraded: pid 1 -> pid 2", nil
}

var t0 = time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC)

func sample() *Status {
	return &Status{
		Version: "test", PID: 42, Started: t0, ConfigFile: "/etc/lvsd/lvsd.toml", ConfigLoaded: t0,
		Instances: []Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "MASTER",
			BasePriority: 244, EffectivePriority: 249, Master: "10.99.0.1",
			LastTransition: t0.Add(time.Minute), LastCause: "master down timer expired",
			Trackers: []Tracker{{Name: "chk_nginx", Kind: "script", State: "OK", Weight: -20}},
		}},
		VRRPSockets: []VRRPSocket{
			{Interface: "eth0", Family: "inet", VRIDs: []int{51}, Instances: []string{"VI_1"}, UnknownVRID: 17},
			{Interface: "eth1", Family: "inet6", VRIDs: []int{52}, Instances: []string{"VI_6"}},
		},
		VirtualServers: []VirtualServer{{
			Protocol: "TCP", Address: "192.168.200.100:443", Scheduler: "rr", Persistence: 50, InKernel: true,
			RealServers: []RealServer{
				{Address: "192.168.201.100:443", Forward: "Masq", Health: "UP", ConfiguredWeight: 1, Weight: 1, ActiveConns: 3,
					LastCheck: t0.Add(2 * time.Minute), LastResult: "ok"},
				{Address: "192.168.201.101:443", Forward: "Masq", Health: "DOWN", ConfiguredWeight: 2, Weight: 0,
					LastCheck: t0.Add(2 * time.Minute), LastResult: "connection refused"},
			},
		}},
	}
}

func TestCallStatusReloadStop(t *testing.T) {
	h := &fakeHandler{status: sample()}
	path := filepath.Join(t.TempDir(), "run", "lvsd.sock")
	srv, err := Listen(path, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode %o, want 600", perm)
	}
	di, _ := os.Stat(filepath.Dir(path))
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("socket directory mode %o, want 700", perm)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := Call(ctx, path, CmdStatus)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sample(), resp.Status); !resp.OK || diff != "" {
		t.Fatalf("status ok=%v err=%q (-want +got):\n%s", resp.OK, resp.Error, diff)
	}
	if resp, err := Call(ctx, path, CmdReload); err != nil || !resp.OK || h.reloads.Load() != 1 {
		t.Fatalf("reload: %+v %v (reloads %d)", resp, err, h.reloads.Load())
	}
	h.reload = errors.New("lvsd.toml:3:1: bogus: unknown key")
	if resp, err := Call(ctx, path, CmdReload); err != nil || resp.OK || !strings.Contains(resp.Error, "unknown key") {
		t.Fatalf("failed reload: %+v %v", resp, err)
	}
	if resp, err := Call(ctx, path, CmdStop); err != nil || !resp.OK || h.stops.Load() != 1 {
		t.Fatalf("stop: %+v %v", resp, err)
	}
	if resp, err := Call(ctx, path, CmdUpgrade); err != nil || !resp.OK || resp.Message != "upgraded: pid 1 -> pid 2" {
		t.Fatalf("upgrade: %+v %v", resp, err)
	}
	if resp, err := Call(ctx, path, "dance"); err != nil || resp.OK || !strings.Contains(resp.Error, `unknown command "dance"`) {
		t.Fatalf("unknown command: %+v %v", resp, err)
	}

	// A second daemon must not steal the socket of a running one.
	if _, err := Listen(path, h, slog.Default()); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Fatalf("second Listen: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Call(ctx, path, CmdStatus); err == nil || !strings.Contains(err.Error(), "is lvsd running?") {
		t.Fatalf("call after close: %v", err)
	}
	// A stale socket file (crashed daemon) is replaced.
	srv2, err := Listen(path, h, slog.Default())
	if err != nil {
		t.Fatalf("listen over stale socket: %v", err)
	}
	srv2.Close()
}

func TestRender(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, sample(), t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"lvsd test, pid 42, up 3m0s",
		"VI_1", "MASTER", "249 (base 244)", "10.99.0.1", "2m0s ago: master down timer expired",
		"track script chk_nginx", "weight -20",
		"TCP  192.168.200.100:443", "rr", "persistent 50",
		"-> 192.168.201.100:443", "UP", "1m0s ago: ok",
		"-> 192.168.201.101:443", "0 (2)", "DOWN", "connection refused",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	// adverts for unknown VRIDs are shown per socket, when there are any
	if !strings.Contains(out, "eth0 inet: 17 adverts for a VRID no instance here has") {
		t.Errorf("render lacks the unknown VRID count:\n%s", out)
	}
	if strings.Contains(out, "eth1 inet6") {
		t.Errorf("render shows a socket without unknown VRIDs:\n%s", out)
	}
}

func TestStatusJSONSockets(t *testing.T) {
	b, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	want := `"vrrp_sockets":[{"interface":"eth0","family":"inet","virtual_router_ids":[51],"instances":["VI_1"],"unknown_vrid_adverts":17},` +
		`{"interface":"eth1","family":"inet6","virtual_router_ids":[52],"instances":["VI_6"],"unknown_vrid_adverts":0}]`
	if !strings.Contains(string(b), want) {
		t.Errorf("JSON lacks %s:\n%s", want, b)
	}
}

// TestRenderReloadRefused: a refused reload is the second line of the
// status, and absent otherwise.
func TestRenderReloadRefused(t *testing.T) {
	s := sample()
	var b bytes.Buffer
	Render(&b, s, t0.Add(time.Minute))
	if strings.Contains(b.String(), "reload was refused") {
		t.Errorf("a status without a refused reload says one was:\n%s", b.String())
	}
	s.LastReloadFailed = true
	b.Reset()
	Render(&b, s, t0.Add(time.Minute))
	if lines := strings.Split(b.String(), "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], "the last reload was refused") {
		t.Errorf("status after a refused reload:\n%s", b.String())
	}
}

func TestRenderBGP(t *testing.T) {
	s := sample()
	s.BGP = &BGP{ASN: 65001, RouterID: "10.0.0.11", Announcements: 1,
		Neighbors: []BGPNeighbor{{Address: "10.0.0.1", PeerASN: 65000, State: "active", Since: t0,
			LastError: "failed to connect: i/o timeout"}},
		Prefixes: []BGPPrefix{{Prefix: "192.0.2.10/32", Announced: false, Reason: "not-master", Detail: "vrrp_instance VI_1 is not MASTER", Since: t0}},
	}
	var b bytes.Buffer
	if err := Render(&b, s, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"BGP: AS 65001, router id 10.0.0.11, 1 announcements, 0 withdrawals",
		"10.0.0.1", "65000", "active", "3m0s", "failed to connect: i/o timeout",
		"192.0.2.10/32", "no", "not-master", "vrrp_instance VI_1 is not MASTER",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
}

// TestSocketHandedOver: a successor serves the socket it inherited (File,
// then Serve) while the predecessor's Close, after KeepSocket, leaves the
// path in place; the successor's Close removes it.
func TestSocketHandedOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lvsd.sock")
	h := &fakeHandler{status: sample()}
	old, err := Listen(path, h, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	f, err := old.File()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	next := Serve(ln.(*net.UnixListener), h, slog.Default())
	old.KeepSocket()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if resp, err := Call(ctx, path, CmdStatus); err != nil || !resp.OK {
		t.Fatalf("status through the inherited socket: %+v %v", resp, err)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket path after the successor's Close: %v, want it removed", err)
	}
}
