package cloudfip

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

func TestConfigsLoad(t *testing.T) {
	for _, f := range []string{"lvsd-a.toml", "lvsd-b.toml"} {
		c, err := config.Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		in := c.Instances[0]
		if len(in.UnicastPeers) != 1 || in.Notify.Master.IsZero() || len(in.TrackScripts) != 2 {
			t.Errorf("%s: unicast peers %v, notify_master %q, track_script %v", f, in.UnicastPeers, in.Notify.Master.Line, in.TrackScripts)
		}
	}
}

// fakeCloud is a provider API: who holds 10.0.1.100, and an assign call.
type fakeCloud struct {
	mu      sync.Mutex
	holder  string
	refuse  bool
	assigns int
	gets    int
}

func (f *fakeCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/floating_ips/10.0.1.100":
		f.gets++
		fmt.Fprintf(w, `{"ip": "10.0.1.100", "assigned_to": %q}`, f.holder)
	case r.Method == http.MethodPost && r.URL.Path == "/floating_ips/10.0.1.100/assign":
		f.assigns++
		if f.refuse {
			http.Error(w, "quota", http.StatusForbidden)
			return
		}
		var body struct {
			AssignTo string `json:"assign_to"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		f.holder = body.AssignTo
	default:
		http.NotFound(w, r)
	}
}

// TestCheckFloatingIP runs check-floating-ip.sh (with contrib/scripts'
// mover) in a namespace against the fake API served inside it.
func TestCheckFloatingIP(t *testing.T) {
	testenv.NeedNetns(t)
	for _, bin := range []string{"curl", "ip"} {
		testenv.NeedBinary(t, bin)
	}
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	cloud := &fakeCloud{}
	var ln net.Listener
	if err := n.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: cloud}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	check, _ := filepath.Abs("check-floating-ip.sh")
	mover, _ := filepath.Abs("../scripts/cloud-floating-ip.sh")
	run := func() (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := n.Exec(ctx, "env", "CLOUD_API=http://"+ln.Addr().String(), "CLOUD_TOKEN=tok",
			"THIS_NODE_ID=node-a", "CLOUD_ENV_FILE=/nonexistent", check, "10.0.1.100", mover)
		code := 0
		if err != nil {
			code = 1
			if ee, ok := err.(interface{ ExitCode() int }); ok {
				code = ee.ExitCode()
			}
		}
		return code, string(out)
	}
	state := func() (string, int, int) {
		cloud.mu.Lock()
		defer cloud.mu.Unlock()
		return cloud.holder, cloud.assigns, cloud.gets
	}

	// Not master: nothing to check, no API call.
	cloud.holder = "node-b"
	if code, out := run(); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, out)
	}
	if _, a, g := state(); a != 0 || g != 0 {
		t.Fatalf("backup called the API: %d assigns %d gets", a, g)
	}

	// Master, but the provider routes the IP to the peer: re-assigned.
	n.MustExec("ip", "addr", "add", "10.0.1.100/24", "dev", "eth0")
	if code, out := run(); code != 0 {
		t.Fatalf("master, IP elsewhere: exit %d: %s", code, out)
	}
	if h, a, _ := state(); h != "node-a" || a != 1 {
		t.Fatalf("master, IP elsewhere: holder %s after %d assigns", h, a)
	}

	// Master holding the IP: no assign call.
	if code, out := run(); code != 0 {
		t.Fatalf("master holding the IP: exit %d: %s", code, out)
	}
	if _, a, _ := state(); a != 1 {
		t.Fatalf("master holding the IP called assign (%d calls)", a)
	}

	// Master, the IP elsewhere and the API refusing: failure (the
	// vrrp_script's weight then hands over after `fall` failures).
	cloud.mu.Lock()
	cloud.holder, cloud.refuse = "node-b", true
	cloud.mu.Unlock()
	code, out := run()
	if code == 0 {
		t.Fatalf("master, API refusing: exit 0: %s", out)
	}
	if !strings.Contains(out, "giving up") {
		t.Errorf("no 'giving up' in the output: %s", out)
	}
}
