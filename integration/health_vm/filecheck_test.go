package health_vm

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/lvsd/lvsd/ipvs"
)

// fileRegexConf: port 80 is kept by an http_get whose url has a regex (the
// body must say "status: ok" or "status: fine"); port 8080 by a file_check
// per real server (weight 0: a non-zero number in the file fails it).
const fileRegexConf = `
[[track_file]]
name = "rs1_maint"
file = "%s"
init_file = true

[[track_file]]
name = "rs2_maint"
file = "%s"
init_file = true

[[virtual_server]]
ip = "172.16.0.100"
port = 80
lb_algo = "rr"
lb_kind = "NAT"
delay_loop = 1

[[virtual_server.real_server]]
ip = "10.99.0.2"
[[virtual_server.real_server.http_get]]
url = [{ path = "/health", regex = "status: (ok|fine)" }]
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server.real_server]]
ip = "10.99.0.3"
[[virtual_server.real_server.http_get]]
url = [{ path = "/health", regex = "status: (ok|fine)" }]
connect_timeout = 1
retry = 1
delay_before_retry = 1

[[virtual_server]]
ip = "172.16.0.100"
port = 8080
lb_algo = "rr"
lb_kind = "NAT"

[[virtual_server.real_server]]
ip = "10.99.0.2"
[[virtual_server.real_server.file_check]]
track_file = "rs1_maint"
weight = 0

[[virtual_server.real_server]]
ip = "10.99.0.3"
[[virtual_server.real_server.file_check]]
track_file = "rs2_maint"
weight = 0
`

// TestFileAndRegexCheckersDriveIPVS: an http_get url regex and a
// file_check keep real servers in the kernel's IPVS table: rs1's page stops
// matching => rs1 leaves port 80 only (regex_mismatch); "1" written into
// rs1's track file => rs1 leaves port 8080 too (file_fault); page and file
// restored => rs1 is back in both.
func TestFileAndRegexCheckersDriveIPVS(t *testing.T) {
	testenv.NeedIPVS(t)
	testenv.NeedNetns(t)
	lvsd := testenv.LvsdBinary(t)
	lab := netlab.New(t, "dir", "rs1", "rs2")
	dir, rs1, rs2 := lab.Node("dir"), lab.Node("rs1"), lab.Node("rs2")
	for _, c := range [][]string{
		{"ip", "addr", "add", "172.16.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", vip.String() + "/32", "dev", "eth0"},
	} {
		dir.MustExec(c[0], c[1:]...)
	}
	bodies := map[string]*atomic.Pointer[string]{}
	for _, n := range []*netlab.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "10.99.0.1")
		body := &atomic.Pointer[string]{}
		ok := "status: ok\n"
		body.Store(&ok)
		bodies[n.Name] = body
		var ln net.Listener
		if err := n.Do(func() (err error) { ln, err = net.Listen("tcp4", ":80"); return err }); err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, *body.Load()) }), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	tmp := t.TempDir()
	file1, file2 := filepath.Join(tmp, "rs1_maint"), filepath.Join(tmp, "rs2_maint")
	p, c := startDirector(t, dir, lvsd, fmt.Sprintf(fileRegexConf, file1, file2))
	dests := func(port uint16) string {
		return destsOf(c, ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vip, Port: port})
	}
	wait := func(what, want80, want8080 string) {
		t.Helper()
		start := time.Now()
		if !netlab.WaitFor(30*time.Second, func() bool { return dests(80) == want80 && dests(8080) == want8080 }) {
			t.Fatalf("%s: port 80 %q (want %q), port 8080 %q (want %q)", what, dests(80), want80, dests(8080), want8080)
		}
		t.Logf("%s: table as expected after %v", what, time.Since(start).Round(10*time.Millisecond))
	}
	both80, both8080 := "10.99.0.2:80,10.99.0.3:80", "10.99.0.2:8080,10.99.0.3:8080"
	wait("start", both80, both8080)
	broken := "status: broken\n"
	bodies["rs1"].Store(&broken)
	wait("rs1 page no longer matches", "10.99.0.3:80", both8080)
	if err := os.WriteFile(file1, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wait("rs1 track file 1", "10.99.0.3:80", "10.99.0.3:8080")
	fine := "status: fine\n"
	bodies["rs1"].Store(&fine)
	if err := os.WriteFile(file1, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wait("rs1 restored", both80, both8080)
	out := p.Out.String()
	for _, r := range []string{"reason=regex_mismatch", "reason=file_fault"} {
		if !strings.Contains(out, r) {
			t.Errorf("lvsd did not log %s:\n%s", r, out)
		}
	}
}
