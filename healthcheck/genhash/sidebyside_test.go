package genhash

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/integration/testenv"
)

// runBinary runs a genhash binary and returns stdout, stderr and exit code.
func runBinary(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return o.String(), e.String(), code
}

// lvsdAsGenhash links the lvsd binary as "genhash" so argv[0] dispatch is
// exercised too.
func lvsdAsGenhash(t *testing.T) string {
	bin := testenv.LvsdBinary(t)
	link := filepath.Join(t.TempDir(), "genhash")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestSideBySideWithKeepalived runs keepalived's genhash and lvsd's on the
// same pages (loopback only) and requires identical digests on stdout and
// identical request bytes on the wire.
func TestSideBySideWithKeepalived(t *testing.T) {
	ka := testenv.NeedBinary(t, "genhash")
	ours := lvsdAsGenhash(t)

	big := bigBody()
	mux := http.NewServeMux()
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { w.Write(testBody) })
	mux.HandleFunc("/large.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(bytes.Repeat([]byte("<p>lvsd large page</p>\n"), 20000))
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.Write(big)
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			w.Write([]byte(strings.Repeat("chunk ", i+1) + "\n"))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/vhost", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("host=" + r.Host + "\n")) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such page: "+r.URL.Path, http.StatusNotFound)
	})
	plain := httptest.NewServer(mux)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	raw := newRawServer(t)
	raw6 := newRawServerOn(t, "[::1]:0")

	port := func(s *httptest.Server) string { return s.URL[strings.LastIndex(s.URL, ":")+1:] }
	pp, tp, rp := port(plain), port(tlsSrv), strconv.Itoa(int(raw.port()))
	cases := []struct {
		name string
		args []string
	}{
		{"empty", []string{"-p", pp, "-u", "/empty"}},
		{"small", []string{"-p", pp, "-u", "/small"}},
		{"large", []string{"-p", pp, "-u", "/large.html"}},
		{"binary", []string{"-p", pp, "-u", "/binary"}},
		{"chunked 1.1", []string{"-p", pp, "-u", "/chunked", "-P", "1.1"}},
		{"404 body", []string{"-p", pp, "-u", "/nonexistent"}},
		{"http 1.0c", []string{"-p", pp, "-u", "/small", "-P", "1.0c"}},
		{"virtualhost", []string{"-p", pp, "-u", "/vhost", "-V", "www.example.com"}},
		{"tls", []string{"-S", "-p", tp, "-u", "/small"}},
		{"tls large", []string{"-S", "-p", tp, "-u", "/large.html"}},
		{"tls sni vhost", []string{"-S", "-I", "-V", "www.example.com", "-p", tp, "-u", "/vhost"}},
		{"raw chunked", []string{"-p", rp, "-u", "/chunked"}},
		{"raw no length", []string{"-p", rp, "-u", "/nolen"}},
		{"raw 500", []string{"-p", rp, "-u", "/500"}},
		{"raw redirect", []string{"-p", rp, "-u", "/redirect"}},
		{"raw 1.1", []string{"-p", rp, "-u", "/file", "-P", "1.1"}},
		{"raw vhost", []string{"-p", rp, "-u", "/file", "-V", "v.example"}},
	}
	r6 := strconv.Itoa(int(raw6.port()))
	cases = append(cases,
		struct {
			name string
			args []string
		}{"ipv6", []string{"-s", "::1", "-p", r6, "-u", "/file"}},
		struct {
			name string
			args []string
		}{"ipv6 vhost 1.1", []string{"-s", "::1", "-p", r6, "-u", "/file", "-V", "v6.example", "-P", "1.1"}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-s", "127.0.0.1", "-t", "5"}, c.args...)
			srv := raw
			if strings.HasPrefix(c.name, "ipv6") {
				args, srv = append([]string{"-t", "5"}, c.args...), raw6
			}
			before := len(srv.requests())
			kOut, kErr, kCode := runBinary(t, ka, args...)
			oOut, oErr, oCode := runBinary(t, ours, args...)
			if kCode != 0 || len(kOut) != 33 {
				t.Fatalf("keepalived genhash: code %d stdout %q stderr %q", kCode, kOut, kErr)
			}
			if oOut != kOut || oCode != 0 {
				t.Fatalf("lvsd genhash: code %d stdout %q stderr %q; keepalived stdout %q", oCode, oOut, oErr, kOut)
			}
			if reqs := srv.requests()[before:]; len(reqs) > 0 {
				if len(reqs) != 2 || !bytes.Equal(reqs[0], reqs[1]) {
					t.Fatalf("requests differ:\nkeepalived %q\nlvsd       %q", reqs[0], reqs[len(reqs)-1])
				}
			}
		})
	}
}

// TestVerboseSideBySide compares the verbose output shape with keepalived's
// on a response sent in one write (where keepalived's output is stable).
func TestVerboseSideBySide(t *testing.T) {
	ka := testenv.NeedBinary(t, "genhash")
	ours := lvsdAsGenhash(t)
	raw := newRawServer(t)
	args := []string{"-s", "127.0.0.1", "-p", strconv.Itoa(int(raw.port())), "-u", "/file", "-v"}
	kOut, _, _ := runBinary(t, ka, args...)
	oOut, _, _ := runBinary(t, ours, args...)
	k := usecs.ReplaceAllString(kOut, "= N usecs")
	o := usecs.ReplaceAllString(oOut, "= N usecs")
	if k != o {
		t.Fatalf("verbose output differs:\nkeepalived:\n%s\nlvsd:\n%s", k, o)
	}
}

// TestSubcommand: `lvsd genhash ARGS` and the binary called as genhash
// print the same.
func TestSubcommand(t *testing.T) {
	lvsd := testenv.LvsdBinary(t)
	raw := newRawServer(t)
	args := []string{"-s", "127.0.0.1", "-p", strconv.Itoa(int(raw.port())), "-u", "/file"}
	out, errOut, code := runBinary(t, lvsd, append([]string{"genhash"}, args...)...)
	if code != 0 || out != "200c50bfba8711f7a839fcf8a7712be4\n" || errOut != "" {
		t.Fatalf("lvsd genhash: code %d stdout %q stderr %q", code, out, errOut)
	}
	if _, errOut, code := runBinary(t, lvsd, "genhash", "-s", "localhost", "-p", "80", "-u", "/"); code != 1 || !strings.HasPrefix(errOut, "server should be an IP, not localhost\nUsage: genhash") {
		t.Fatalf("lvsd genhash usage error: code %d stderr %q", code, errOut)
	}
}
