package genhash

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout is the deadline for the whole exchange when -t is not given.
// keepalived's genhash has none and can wait forever on a silent server.
const DefaultTimeout = 10 * time.Second

// Usage is the help text, byte-identical to keepalived 2.2.7's genhash.
const Usage = `Usage: genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
`

// Options are genhash's command line options.
type Options struct {
	Server      netip.Addr
	Port        uint16
	URL         string
	SSL         bool
	SNI         bool
	VirtualHost string
	Verbose     bool
	Fwmark      uint32
	Protocol    Protocol
	Timeout     time.Duration // 0: DefaultTimeout
}

// UsageError is returned by ParseArgs: Msg is the line keepalived prints
// before the usage text ("" for none).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string {
	if e.Msg == "" {
		return "genhash: usage"
	}
	return "genhash: " + e.Msg
}

type optSpec struct {
	short byte
	long  string
	arg   bool
}

var optSpecs = []optSpec{
	{'h', "help", false}, {'v', "verbose", false}, {'S', "use-ssl", false}, {'I', "use-sni", false},
	{'s', "server", true}, {'V', "use-virtualhost", true}, {'p', "port", true}, {'u', "url", true},
	{'m', "fwmark", true}, {'P', "protocol", true}, {'t', "timeout", true},
}

// ParseArgs parses the arguments (without the program name) as keepalived's
// getopt_long loop does: short options may be bundled ("-vS") and take their
// value attached or as the next argument, long options as "--name value" or
// "--name=value" (unambiguous prefixes accepted). Server, port and url are
// mandatory.
func ParseArgs(args []string) (Options, error) {
	var o Options
	var have struct{ server, port, url bool }
	var msgs []string
	bad := false
	var extra []string
	apply := func(c byte, val string) error {
		switch c {
		case 'h':
			bad = true
		case 'v':
			o.Verbose = true
		case 'S':
			o.SSL = true
		case 'I':
			o.SNI = true
		case 's':
			a, err := netip.ParseAddr(val)
			if err != nil {
				return &UsageError{Msg: "server should be an IP, not " + val}
			}
			o.Server, have.server = a, true
		case 'V':
			o.VirtualHost = val
		case 'p':
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 || n > 65535 {
				return &UsageError{Msg: "invalid port number '" + val + "'"}
			}
			o.Port, have.port = uint16(n), true
		case 'u':
			o.URL, have.url = val, true
		case 'm':
			s := strings.TrimLeft(val, " \t")
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return &UsageError{Msg: "invalid fwmark '" + val + "'"}
			}
			o.Fwmark = uint32(n)
		case 'P':
			p, err := ParseProtocol(val)
			if err != nil {
				return &UsageError{Msg: "invalid HTTP protocol version '" + val + "'"}
			}
			o.Protocol = p
		case 't':
			s := strings.TrimLeft(val, " \t")
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return &UsageError{Msg: "invalid timeout '" + val + "'"}
			}
			o.Timeout = time.Duration(n) * time.Second
		}
		return nil
	}
	if len(args) <= 1 {
		return o, &UsageError{}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			extra = append(extra, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec, ok := lookupLong(name)
			if !ok {
				msgs = append(msgs, "Unknown option "+a)
				bad = true
				continue
			}
			if spec.arg && !hasVal {
				if i+1 >= len(args) {
					msgs = append(msgs, "Missing parameter for option --"+spec.long)
					bad = true
					continue
				}
				i++
				val = args[i]
			} else if !spec.arg && hasVal {
				msgs = append(msgs, "Unknown option "+a)
				bad = true
				continue
			}
			if err := apply(spec.short, val); err != nil {
				return o, withMsgs(msgs, err)
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				spec, ok := lookupShort(a[j])
				if !ok {
					msgs = append(msgs, "Unknown option -"+string(a[j]))
					bad = true
					continue
				}
				if !spec.arg {
					if err := apply(spec.short, ""); err != nil {
						return o, withMsgs(msgs, err)
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						msgs = append(msgs, "Missing parameter for option -"+string(a[j]))
						bad = true
						break
					}
					i++
					val = args[i]
				}
				if err := apply(spec.short, val); err != nil {
					return o, withMsgs(msgs, err)
				}
				break
			}
		default:
			extra = append(extra, a) // getopt permutes operands to the end
		}
	}
	if bad {
		return o, &UsageError{Msg: strings.Join(msgs, "\n")}
	}
	if len(extra) > 0 {
		return o, &UsageError{Msg: "Unexpected argument(s): " + strings.Join(extra, " ")}
	}
	if !have.server || !have.port || !have.url {
		return o, &UsageError{}
	}
	return o, nil
}

func withMsgs(msgs []string, err error) error {
	var ue *UsageError
	if len(msgs) == 0 || !errors.As(err, &ue) {
		return err
	}
	return &UsageError{Msg: strings.Join(append(msgs, ue.Msg), "\n")}
}

func lookupShort(c byte) (optSpec, bool) {
	for _, s := range optSpecs {
		if s.short == c {
			return s, true
		}
	}
	return optSpec{}, false
}

func lookupLong(name string) (optSpec, bool) {
	var found optSpec
	n := 0
	for _, s := range optSpecs {
		if s.long == name {
			return s, true
		}
		if name != "" && strings.HasPrefix(s.long, name) {
			found = s
			n++
		}
	}
	return found, n == 1
}

// Banners of the verbose output.
const (
	bannerHeaderHex   = "-----------------------[    HTTP Header Buffer    ]-----------------------\n"
	bannerHeaderASCII = "-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n"
	bannerBody        = "-----------------------[        HTML Buffer        ]-----------------------\n"
	bannerHash        = "-----------------------[    HTML hash resulting    ]-----------------------\n"
	bannerHashFinal   = "-----------------------[ HTML hash final resulting ]-----------------------\n"
)

// Run is the genhash command: it parses args, performs the exchange and
// prints what keepalived's genhash prints. Unlike keepalived it exits 1 with
// a message on stderr whenever no digest was computed. Exit codes: 0 digest
// printed, 1 usage error or failure.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) && ue.Msg != "" {
			fmt.Fprintln(stderr, ue.Msg)
		}
		io.WriteString(stderr, Usage)
		return 1
	}
	t := &Target{
		Server:   netip.AddrPortFrom(o.Server, o.Port),
		Path:     o.URL,
		Protocol: o.Protocol,
		Fwmark:   o.Fwmark,
		Timeout:  o.Timeout,
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	t.VirtualHost = o.VirtualHost
	if o.SSL {
		t.TLS = &tls.Config{InsecureSkipVerify: true} // keepalived does not verify
		if o.SNI && o.VirtualHost != "" {
			t.TLS.ServerName = o.VirtualHost
		}
	}
	var out []byte // verbose output, written as it comes
	flush := func() {
		if len(out) > 0 {
			stdout.Write(out)
			out = out[:0]
		}
	}
	var onRead OnRead
	if o.Verbose {
		onRead = func(was bool, c Chunk) {
			if !was {
				out = append(out, bannerHeaderHex...)
				if c.HeaderDone {
					out = AppendDump(out, c.Header)
					out = append(out, bannerHeaderASCII...)
					out = append(out, c.Header...)
					out = append(out, '\n')
					if len(c.Body) > 0 {
						out = append(out, bannerBody...)
						out = AppendDump(out, c.Body)
					}
				}
			} else if len(c.Body) > 0 {
				out = AppendDump(out, c.Body)
			}
			flush()
		}
	}
	start := time.Now()
	resp, err := Fetch(ctx, t, onRead)
	code := 0
	var gerr *Error
	switch {
	case err == nil:
		if o.Verbose {
			out = appendDigestDump(out, resp.Digest[:])
		}
		out = hex.AppendEncode(out, resp.Digest[:])
		out = append(out, '\n')
	case errors.Is(err, ErrNoData):
		if o.Verbose {
			empty := NewParser().Sum()
			out = appendDigestDump(out, empty[:])
		}
		flush()
		fmt.Fprintln(stderr, ErrNoData.Error())
		code = 1
	case errors.As(err, &gerr):
		out = append(out, keepalivedMessage(gerr, o.SSL)...)
		out = append(out, '\n')
		flush()
		fmt.Fprintf(stderr, "%v\n", err)
		code = 1
	default:
		flush()
		fmt.Fprintf(stderr, "%v\n", err)
		code = 1
	}
	if o.Verbose {
		out = fmt.Appendf(out, "\nGlobal response time for [%s] = %d usecs\n", o.URL, time.Since(start).Microseconds())
	}
	flush()
	return code
}

func appendDigestDump(out, d []byte) []byte {
	out = append(out, '\n')
	out = append(out, bannerHash...)
	out = AppendDump(out, d)
	return append(out, bannerHashFinal...)
}

// keepalivedMessage is the line keepalived's genhash prints on stdout for a
// failed exchange (its messages end in "to"/"with", it omits the server).
func keepalivedMessage(e *Error, ssl bool) string {
	timeout := errors.Is(e.Err, os.ErrDeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded)
	switch e.Op {
	case OpConnect:
		switch {
		case timeout:
			return "Timeout connecting"
		case errors.Is(e.Err, syscall.ENETUNREACH):
			return "HTTP_CHECK - network unreachable"
		case errors.Is(e.Err, syscall.ECONNREFUSED), errors.Is(e.Err, syscall.EHOSTUNREACH):
			return "Connection failed"
		}
		var ne net.Error
		if errors.As(e.Err, &ne) && ne.Timeout() {
			return "Timeout connecting"
		}
		return "Error connecting"
	case OpTLS:
		return "SSL handshake/communication error connecting to"
	case OpWrite:
		if timeout {
			return "Timeout WEB write"
		}
		return "Cannot send get request to"
	case OpRead:
		switch {
		case timeout && ssl:
			return "Timeout SSL read"
		case timeout:
			return "Timeout WEB read"
		case ssl:
			return "SSL read error from"
		}
		return "Read error with"
	}
	return e.Error()
}
