package healthcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
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
	TLS    bool
	SNI    bool   // enable_sni: send the virtual host as SNI
	CAFile string // verify the server's chain against this CA file ("" = no verification, as keepalived)
	Cert   string // client certificate file
	Key    string // client key file
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
}

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
		hu := httpURL{status: u.Status}
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
		}
		if base != nil {
			cfg := base.Clone()
			if spec.SNI && vhost != "" {
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
		resp, err := genhash.Fetch(ctx, &u.target, nil)
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
