package ucarp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Instance is one ucarp process's configuration.
type Instance struct {
	Line       int // where it was defined
	Interface  string
	SrcIP      netip.Addr
	MCastIP    netip.Addr
	VHID       int
	Pass       string
	PassFile   string
	Addr       netip.Addr
	AdvBase    int // -1: not given (ucarp's default 1)
	AdvSkew    int // -1: not given (0)
	DeadRatio  int // -1: not given (3)
	Preempt    bool
	Neutral    bool
	Shutdown   bool
	IgnoreIf   bool
	NoMcast    bool
	UpScript   string
	DownScript string
	XParam     string
	// VIP, when valid, is the address lvsd installs itself (converted
	// from Debian's IFACE:ucarp stanza with the default scripts); Label is
	// its label.
	VIP   netip.Prefix
	Label string
}

func newInstance(line int) Instance {
	return Instance{Line: line, AdvBase: -1, AdvSkew: -1, DeadRatio: -1}
}

// Error is a conversion error at a line of the input.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

func errAt(file string, line int, format string, args ...any) error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// maxPass is ucarp's password limit (20-byte key buffer with its NUL).
const maxPass = 19

// Parse reads data as Debian interfaces stanzas when it has an iface line
// with ucarp-* options, else as ucarp command lines.
func Parse(name string, data []byte) ([]Instance, []string, error) {
	if looksLikeInterfaces(string(data)) {
		return ParseInterfaces(name, data)
	}
	return ParseCommandLines(name, data)
}

func looksLikeInterfaces(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == "iface" || strings.HasPrefix(f[0], "ucarp-")) {
			return true
		}
	}
	return false
}

// check applies ucarp's own start-up checks.
func (in *Instance) check(file string) error {
	switch {
	case in.Interface == "":
		return errAt(file, in.Line, "no interface (--interface): ucarp would guess one, lvsd needs it")
	case in.VHID == 0:
		return errAt(file, in.Line, "no vhid (--vhid)")
	case in.Pass == "" && in.PassFile == "":
		return errAt(file, in.Line, "no password (--pass or --passfile)")
	case !in.Addr.IsValid():
		return errAt(file, in.Line, "no virtual address (--addr)")
	case in.AdvBase == 0 && in.AdvSkew <= 0:
		return errAt(file, in.Line, "advbase 0 needs advskew > 0")
	case in.DeadRatio == 0:
		return errAt(file, in.Line, "deadratio can't be zero")
	}
	return nil
}

func parseVHID(s string) (int, error) {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || n < 1 || n > 255 {
		return 0, fmt.Errorf("vhid %q: must be between 1 and 255", s)
	}
	return int(n), nil
}

// parseByte is ucarp's (unsigned char) strtoul for advbase and advskew,
// refusing what ucarp would silently truncate.
func parseByte(what, s string) (int, error) {
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil || n > 255 {
		return 0, fmt.Errorf("%s %q: want 0..255", what, s)
	}
	return int(n), nil
}

func parseIPv4(what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s %q: not an IPv4 address", what, s)
	}
	return a, nil
}

func checkPass(p string) error {
	if len(p) > maxPass {
		return fmt.Errorf("password is %d bytes; ucarp accepts at most %d", len(p), maxPass)
	}
	return nil
}
