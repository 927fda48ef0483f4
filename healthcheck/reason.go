package healthcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/lvsd/lvsd/healthcheck/genhash"
)

// Reason says why a check failed (ReasonOK when it passed). Every failure
// has one; they are counted per reason and logged.
type Reason uint8

// Reasons. Keep String and numReasons in step.
const (
	ReasonOK              Reason = iota
	ReasonTimeout                // the deadline (connect_timeout, misc_timeout) expired
	ReasonRefused                // TCP RST to the SYN (ECONNREFUSED)
	ReasonReset                  // connection reset or broken pipe during the exchange
	ReasonUnreachable            // network or host unreachable
	ReasonConnect                // other connect error (bind failure, ...)
	ReasonTLS                    // TLS handshake or certificate error
	ReasonNoData                 // closed before a complete response header
	ReasonBadResponse            // unparsable or oversized response header
	ReasonRead                   // other read error
	ReasonWrite                  // other write error
	ReasonBadStatus              // HTTP status not in status_code
	ReasonDigestMismatch         // MD5 of the body differs from digest
	ReasonScriptExit             // misc script exited non-zero (or 1 with misc_dynamic)
	ReasonScriptSignal           // misc script killed by a signal it was not sent by us
	ReasonScriptStart            // misc script could not be started
	ReasonNoReply                // ping: no echo reply within the timeout
	ReasonPingError              // ping: socket or send error
	ReasonCanceled               // the check was stopped (shutdown, reload)
	ReasonSMTPBanner             // smtp_check: greeting not 220 (Status: the code, -1 unreadable)
	ReasonSMTPHelo               // smtp_check: HELO reply not 250 (Status: the code, -1 unreadable)
	ReasonDNSRcode               // dns_check: reply rcode not NOERROR (Status: the rcode)
	ReasonPortUnreachable        // udp_check, dns_check: ICMP port (or other destination) unreachable
	ReasonReplyLength            // udp_check: reply shorter than min_reply_length or longer than max_reply_length (Status: its length)
	ReasonReplyMismatch          // udp_check: reply differs from reply
	ReasonRegexMismatch          // http_get/ssl_get: regex did not match (or matched, with regex_no_match)
	ReasonFileFault              // file_check: the number read puts the real server in fault
	ReasonBFDDown                // bfd_check: the bfd_instance's session is not Up
	numReasons
)

var reasonNames = [numReasons]string{
	"ok", "timeout", "refused", "reset", "unreachable", "connect_error", "tls_error",
	"no_data", "bad_response", "read_error", "write_error", "bad_status", "digest_mismatch",
	"script_exit", "script_signal", "script_start", "no_reply", "ping_error", "canceled",
	"smtp_banner", "smtp_helo", "dns_rcode", "port_unreachable", "reply_length", "reply_mismatch",
	"regex_mismatch", "file_fault", "bfd_down",
}

// String returns the reason's metric label.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Reasons returns every reason, for metrics.
func Reasons() []Reason {
	rs := make([]Reason, numReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// Classify maps a network error (from genhash.Fetch or a dial) to a reason.
func Classify(err error) Reason {
	if err == nil {
		return ReasonOK
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ReasonReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return ReasonUnreachable
	case errors.Is(err, genhash.ErrNoData):
		return ReasonNoData
	case errors.Is(err, genhash.ErrHeaderTooLarge):
		return ReasonBadResponse
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	var ge *genhash.Error
	if errors.As(err, &ge) {
		switch ge.Op {
		case genhash.OpConnect:
			return ReasonConnect
		case genhash.OpTLS:
			return ReasonTLS
		case genhash.OpWrite:
			return ReasonWrite
		case genhash.OpRead:
			if isTLSError(err) {
				return ReasonTLS
			}
			return ReasonRead
		}
	}
	if isTLSError(err) {
		return ReasonTLS
	}
	return ReasonConnect
}

func isTLSError(err error) bool {
	var (
		rh  tls.RecordHeaderError
		al  tls.AlertError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		inv x509.CertificateInvalidError
		hn  x509.HostnameError
	)
	if errors.As(err, &rh) || errors.As(err, &al) || errors.As(err, &cv) ||
		errors.As(err, &ua) || errors.As(err, &inv) || errors.As(err, &hn) {
		return true
	}
	// A TLS alert from the peer (e.g. "certificate required" after a
	// TLS 1.3 handshake) surfaces as a net.OpError "remote error".
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error"
}
