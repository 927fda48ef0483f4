package healthcheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"time"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck/genhash"
)

// StatusRange is an inclusive range of HTTP status codes, as package config
// parses status_code.
type StatusRange = config.StatusRange

// DefaultStatus is keepalived's default status_code: 200-299.
var DefaultStatus = config.DefaultStatusCodes

// URLSpec is one url of an http_get/ssl_get checker.
type URLSpec struct {
	Path        string
	Digest      string        // 32 hex digits, "" = not checked
	Status      []StatusRange // empty: DefaultStatus
	VirtualHost string        // "" = the checker's

	Regex        string   // "" = no regex check
	RegexOptions []string // keepalived's names (config.CompileRegex)
	RegexNoMatch bool     // up when the body does not match
	RegexMin     int      // the match starts at or after this offset
	RegexMax     int      // ... and at or before this one, when RegexMaxSet
	RegexMaxSet  bool
	TLSCompliant bool // send close_notify (also when the checker's is set)
}

// HTTPSpec is an http_get or ssl_get checker.
type HTTPSpec struct {
	Target      netip.AddrPort // connect_ip:connect_port
	Bind        netip.AddrPort // bindto:bind_port (zero: none)
	BindIf      string         // bind_if: SO_BINDTODEVICE ("" = none)
	Fwmark      uint32
	Timeout     time.Duration // connect_timeout: deadline of each url's whole exchange
	Protocol    genhash.Protocol
	VirtualHost string // default Host header
	URLs        []URLSpec

	// TLS (ssl_get).
	TLS          bool
	SNI          bool   // enable_sni: send the virtual host as SNI
	SNIName      string // sni_name: send this instead of the virtual host
	TLSCompliant bool   // tls_compliant: end every url with a close_notify
	CAFile       string // verify the server's chain against this CA file ("" = no verification, as keepalived)
	Cert         string // client certificate file
	Key          string // client key file
}

// HTTPChecker is an http_get/ssl_get checker. Redirects are not followed.
type HTTPChecker struct {
	spec HTTPSpec
	key  string
	urls []httpURL
}

type httpURL struct {
	target genhash.Target
	digest [16]byte
	check  bool
	status []StatusRange

	re        *regexp.Regexp // nil: no regex check
	firstline bool
	noMatch   bool
	min, max  int // max < 0: no limit
}

// regexBodyMax is how much of a body a regex sees.
const regexBodyMax = 1 << 20

var _ Checker = (*HTTPChecker)(nil)

// NewHTTPChecker validates spec and loads the TLS material once.
func NewHTTPChecker(spec HTTPSpec) (*HTTPChecker, error) {
	if len(spec.URLs) == 0 {
		return nil, errors.New("healthcheck: http check: no url")
	}
	if !spec.Target.IsValid() {
		return nil, fmt.Errorf("healthcheck: http check: invalid target %v", spec.Target)
	}
	var base *tls.Config
	if spec.TLS {
		var err error
		if base, err = clientTLS(spec.CAFile, spec.Cert, spec.Key); err != nil {
			return nil, err
		}
	}
	c := &HTTPChecker{spec: spec, key: fmt.Sprintf("http%+v", spec)}
	for _, u := range spec.URLs {
		hu := httpURL{status: u.Status, max: -1}
		if u.Regex != "" {
			re, firstline, err := config.CompileRegex(u.Regex, u.RegexOptions)
			if err != nil {
				return nil, fmt.Errorf("healthcheck: url %s: %w", u.Path, err)
			}
			hu.re, hu.firstline, hu.noMatch, hu.min = re, firstline, u.RegexNoMatch, u.RegexMin
			if u.RegexMaxSet {
				hu.max = u.RegexMax
			}
		}
		if len(hu.status) == 0 {
			hu.status = DefaultStatus
		}
		if u.Digest != "" {
			b, err := hex.DecodeString(u.Digest)
			if err != nil || len(b) != 16 {
				return nil, fmt.Errorf("healthcheck: url %s: digest %q is not 32 hex digits", u.Path, u.Digest)
			}
			copy(hu.digest[:], b)
			hu.check = true
		}
		vhost := u.VirtualHost
		if vhost == "" {
			vhost = spec.VirtualHost
		}
		hu.target = genhash.Target{
			Server: spec.Target, Path: u.Path, VirtualHost: vhost, Protocol: spec.Protocol,
			Bind: spec.Bind, BindIf: spec.BindIf, Fwmark: spec.Fwmark, Timeout: spec.Timeout, ResetOnClose: true,
			TLSCloseNotify: spec.TLS && (spec.TLSCompliant || u.TLSCompliant),
		}
		if base != nil {
			cfg := base.Clone()
			switch {
			case spec.SNIName != "":
				cfg.ServerName = spec.SNIName
			case spec.SNI && vhost != "":
				cfg.ServerName = vhost
			}
			hu.target.TLS = cfg
		}
		c.urls = append(c.urls, hu)
	}
	return c, nil
}

// clientTLS builds the ssl_get client config: no verification unless a CA
// file is given (then the chain is verified, not the name: a real server is
// addressed by IP), optional client certificate.
func clientTLS(caFile, cert, key string) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: true}
	if cert != "" || key != "" {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("healthcheck: load client certificate %s: %w", cert, err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("healthcheck: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("healthcheck: CA file %s: no PEM certificate", caFile)
		}
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no server certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// Key implements Checker.
func (c *HTTPChecker) Key() string { return c.key }

// String names the check for logs.
func (c *HTTPChecker) String() string {
	kind := "http_get"
	if c.spec.TLS {
		kind = "ssl_get"
	}
	return kind + " " + c.spec.Target.String()
}

// Check fetches every url in turn; the first failing one decides.
func (c *HTTPChecker) Check(ctx context.Context) Result {
	start := time.Now()
	for i := range c.urls {
		u := &c.urls[i]
		var onRead genhash.OnRead
		var body []byte
		if u.re != nil {
			onRead = func(_ bool, ch genhash.Chunk) {
				if n := min(len(ch.Body), regexBodyMax-len(body)); n > 0 {
					body = append(body, ch.Body[:n]...)
				}
			}
		}
		resp, err := genhash.Fetch(ctx, &u.target, onRead)
		if err != nil {
			r := failed(Classify(err), err, start)
			r.URL = u.target.Path
			return r
		}
		if !statusOK(u.status, resp.Status) {
			r := failed(ReasonBadStatus, nil, start)
			r.URL, r.Status = u.target.Path, resp.Status
			return r
		}
		if u.check && resp.Digest != u.digest {
			r := failed(ReasonDigestMismatch, nil, start)
			r.URL, r.Got, r.Want = u.target.Path, resp.Digest, u.digest
			return r
		}
		if u.re != nil && u.matches(body) == u.noMatch {
			r := failed(ReasonRegexMismatch, nil, start)
			r.URL = u.target.Path
			if u.noMatch {
				r.Err = errors.New("body matches the regex (regex_no_match)")
			} else {
				r.Err = errors.New("body does not match the regex")
			}
			return r
		}
	}
	return Result{Reason: ReasonOK, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
}

func statusOK(rs []StatusRange, code int) bool {
	for _, r := range rs {
		if r.Contains(code) {
			return true
		}
	}
	return false
}

// matches reports whether the body has a match of the url's regex that
// starts within [min, max] (and, with firstline, in the first line).
func (u *httpURL) matches(body []byte) bool {
	if u.min > len(body) {
		return false
	}
	loc := u.re.FindIndex(body[u.min:])
	if loc == nil {
		return false
	}
	at := u.min + loc[0]
	if u.max >= 0 && at > u.max {
		return false
	}
	if u.firstline && bytes.IndexByte(body[:at], '\n') >= 0 {
		return false
	}
	return true
}
