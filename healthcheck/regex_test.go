package healthcheck

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNginxRegex: url regex cases against nginx pages (page is
// "<html>lvsd health page</html>\n"): a match, no match, regex_no_match,
// offsets, options, a page that changes to fail and back.
func TestNginxRegex(t *testing.T) {
	n := newNginx(t)
	h := n.addr(n.httpPort)
	for _, tc := range []struct {
		name string
		u    URLSpec
		want Reason
	}{
		{"match", URLSpec{Regex: "health page"}, ReasonOK},
		{"no match", URLSpec{Regex: "sick page"}, ReasonRegexMismatch},
		{"regex_no_match, absent", URLSpec{Regex: "error", RegexNoMatch: true}, ReasonOK},
		{"regex_no_match, present", URLSpec{Regex: "health", RegexNoMatch: true}, ReasonRegexMismatch},
		{"caseless", URLSpec{Regex: "LVSD", RegexOptions: []string{"caseless"}}, ReasonOK},
		{"case matters", URLSpec{Regex: "LVSD"}, ReasonRegexMismatch},
		{"min offset passes the match", URLSpec{Regex: "<html>", RegexMin: 1}, ReasonRegexMismatch},
		{"max offset before the match", URLSpec{Regex: "page", RegexMax: 10, RegexMaxSet: true}, ReasonRegexMismatch},
		{"within the offsets", URLSpec{Regex: "lvsd", RegexMin: 6, RegexMax: 6, RegexMaxSet: true}, ReasonOK},
		{"multiline anchors", URLSpec{Regex: "^<html>.*</html>$", RegexOptions: []string{"multiline"}}, ReasonOK},
		{"status fails first", URLSpec{Path: "/503", Regex: "busy"}, ReasonBadStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.u.Path == "" {
				tc.u.Path = "/index.html"
			}
			c, err := NewHTTPChecker(HTTPSpec{Target: h, Timeout: 2 * time.Second, URLs: []URLSpec{tc.u}})
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Check(context.Background()); r.Reason != tc.want {
				t.Errorf("got %s, want %s", r.Detail(), tc.want)
			}
		})
	}
	// The page changes: down regex_mismatch, then back.
	c, _ := NewHTTPChecker(HTTPSpec{Target: h, Timeout: 2 * time.Second, URLs: []URLSpec{{Path: "/index.html", Regex: `status: (ok|degraded)\b`}}})
	idx := filepath.Join(n.dir, "www", "index.html")
	for _, step := range []struct {
		body string
		want Reason
	}{{"status: ok\n", ReasonOK}, {"status: failed\n", ReasonRegexMismatch}, {"status: degraded\n", ReasonOK}} {
		os.WriteFile(idx, []byte(step.body), 0o644)
		if r := c.Check(context.Background()); r.Reason != step.want {
			t.Errorf("page %q: got %s, want %s", step.body, r.Detail(), step.want)
		}
	}
	os.WriteFile(idx, page, 0o644)
}

func TestHTTPRegexRefused(t *testing.T) {
	for _, u := range []URLSpec{{Path: "/", Regex: `(a)\1`}, {Path: "/", Regex: "x", RegexOptions: []string{"ucp"}}} {
		if _, err := NewHTTPChecker(HTTPSpec{Target: loopbackPort(80), URLs: []URLSpec{u}}); err == nil {
			t.Errorf("%+v accepted", u)
		}
	}
}

func loopbackPort(p uint16) netip.AddrPort { return netip.AddrPortFrom(loopback, p) }

// TestNginxSNIName: sni_name is the name sent (nginx's a.example server
// echoes it, the regex checks it); tls_compliant exchanges still pass.
func TestNginxSNIName(t *testing.T) {
	n := newNginx(t)
	for _, tc := range []struct {
		spec HTTPSpec
		want Reason
	}{
		{HTTPSpec{SNIName: "a.example"}, ReasonOK},
		{HTTPSpec{SNIName: "a.example", TLSCompliant: true}, ReasonOK},
		{HTTPSpec{SNI: true, VirtualHost: "b.example"}, ReasonRegexMismatch}, // b.example echoes its own name
	} {
		tc.spec.Target, tc.spec.Timeout, tc.spec.TLS = n.addr(n.tlsPort), 2*time.Second, true
		tc.spec.URLs = []URLSpec{{Path: "/sni", Regex: `^sni=a\.example$`, RegexOptions: []string{"multiline"}}}
		c, err := NewHTTPChecker(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if r := c.Check(context.Background()); r.Reason != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.spec, r.Detail(), tc.want)
		}
	}
}
