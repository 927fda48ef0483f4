package healthcheck

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Checker is one health check of a real server.
type Checker interface {
	// Check runs the check once and reports the outcome. It returns when
	// the check's own timeout expires or ctx ends, whichever is first.
	Check(ctx context.Context) Result
	// Key identifies what the check does (target and every parameter):
	// two checkers with equal keys are interchangeable, and the scheduler
	// runs such a check once for all its real servers.
	Key() string
}

// Result is the outcome of one check.
type Result struct {
	Reason Reason
	URL    string // http_get/ssl_get: the url path that failed
	// Status is the status code received (ReasonBadStatus), the SMTP
	// reply code (ReasonSMTPBanner/Helo), the DNS rcode (ReasonDNSRcode)
	// or the UDP reply's length (ReasonReplyLength).
	Status   int
	Got      [16]byte // ReasonDigestMismatch: digest of the body received
	Want     [16]byte // ReasonDigestMismatch: configured digest
	ExitCode int      // misc_check: the exit status (-1 if none)
	// Weight is the dynamic weight (misc_dynamic exit 2..255 => code-2),
	// -1 when the check does not set one.
	Weight   int
	Err      error // underlying error, for logs
	Duration time.Duration
}

// OK reports whether the check passed.
func (r Result) OK() bool { return r.Reason == ReasonOK }

// Detail describes the result for logs: "bad_status 503 url /health",
// "digest_mismatch got … want …", "timeout: …".
func (r Result) Detail() string {
	var b strings.Builder
	b.WriteString(r.Reason.String())
	switch r.Reason {
	case ReasonBadStatus, ReasonSMTPBanner, ReasonSMTPHelo, ReasonDNSRcode, ReasonReplyLength:
		fmt.Fprintf(&b, " %d", r.Status)
	case ReasonDigestMismatch:
		fmt.Fprintf(&b, " got %s want %s", hex.EncodeToString(r.Got[:]), hex.EncodeToString(r.Want[:]))
	case ReasonScriptExit, ReasonScriptSignal:
		fmt.Fprintf(&b, " %d", r.ExitCode)
	}
	if r.URL != "" {
		b.WriteString(" url ")
		b.WriteString(r.URL)
	}
	if r.Err != nil {
		b.WriteString(": ")
		b.WriteString(r.Err.Error())
	}
	return b.String()
}

func failed(reason Reason, err error, start time.Time) Result {
	return Result{Reason: reason, Err: err, ExitCode: -1, Weight: -1, Duration: time.Since(start)}
}
