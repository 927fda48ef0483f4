package scripts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/lvsd/lvsd/integration/testenv"
)

// fakeCloud is a provider API on loopback holding one floating IP. The
// first failAssigns assign calls fail with 500.
type fakeCloud struct {
	mu          sync.Mutex
	holder      string
	failAssigns int
	assigns     int
	token       string
}

func (f *fakeCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/floating_ips/10.0.1.100":
		fmt.Fprintf(w, `{"ip": "10.0.1.100", "assigned_to": %q}`, f.holder)
	case r.Method == http.MethodPost && r.URL.Path == "/floating_ips/10.0.1.100/assign":
		f.assigns++
		if f.assigns <= f.failAssigns {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		var body struct {
			AssignTo string `json:"assign_to"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AssignTo == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f.holder = body.AssignTo
	default:
		http.NotFound(w, r)
	}
}

func TestCloudFloatingIP(t *testing.T) {
	testenv.NeedBinary(t, "curl")
	tests := []struct {
		name        string
		holder      string
		failAssigns int
		wantAssigns int
		wantExit    int
		wantLog     string
	}{
		{"already held: no API change", "node-a", 0, 0, 0, "already held by this node"},
		{"held by the peer: moved", "node-b", 0, 1, 0, "after 1 attempt(s)"},
		{"API fails twice", "node-b", 2, 3, 0, "after 3 attempt(s)"},
		{"API always fails: 10 tries", "node-b", 1000, 10, 1, "giving up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cloud := &fakeCloud{holder: tt.holder, failAssigns: tt.failAssigns, token: "s3cret"}
			srv := httptest.NewServer(cloud)
			defer srv.Close()
			cmd := exec.Command("./cloud-floating-ip.sh", "10.0.1.100")
			cmd.Env = append(os.Environ(),
				"CLOUD_API="+srv.URL, "CLOUD_TOKEN=s3cret", "THIS_NODE_ID=node-a",
				"DELAY=0", "CLOUD_ENV_FILE=/nonexistent")
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			cloud.mu.Lock()
			defer cloud.mu.Unlock()
			if code != tt.wantExit || cloud.assigns != tt.wantAssigns || !strings.Contains(string(out), tt.wantLog) {
				t.Errorf("exit %d (want %d), %d assign calls (want %d), output:\n%s", code, tt.wantExit, cloud.assigns, tt.wantAssigns, out)
			}
			if tt.wantExit == 0 && cloud.holder != "node-a" {
				t.Errorf("holder %q after success", cloud.holder)
			}
		})
	}
}

func TestNotifyLogArguments(t *testing.T) {
	log := t.TempDir() + "/notify.log"
	cmd := exec.Command("./notify-log.sh", "INSTANCE", "VI_1", "MASTER", "249")
	cmd.Env = append(os.Environ(), "LVSD_NOTIFY_LOG="+log)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, _ := os.ReadFile(log)
	if !strings.HasSuffix(string(b), " INSTANCE VI_1 MASTER 249\n") {
		t.Errorf("log %q", b)
	}
	if err := exec.Command("./notify-log.sh", "INSTANCE").Run(); err == nil {
		t.Error("too few arguments accepted")
	}
}

func TestNotifyState(t *testing.T) {
	dir := t.TempDir()
	for _, st := range []string{"MASTER", "BACKUP", "FAULT", "STOP"} {
		cmd := exec.Command("./notify-state.sh", st)
		cmd.Env = append(os.Environ(), "LVSD_STATE_DIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", st, err, out)
		}
		b, _ := os.ReadFile(dir + "/vrrp-state")
		if !strings.HasSuffix(string(b), " "+st+"\n") {
			t.Errorf("state file %q after %s", b, st)
		}
	}
	cmd := exec.Command("./notify-state.sh", "BOGUS")
	cmd.Env = append(os.Environ(), "LVSD_STATE_DIR="+dir)
	if err := cmd.Run(); err == nil {
		t.Error("unknown state accepted")
	}
}
