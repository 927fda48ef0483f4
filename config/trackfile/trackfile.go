package trackfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
)

// Parse reads a tracked file's content as keepalived does (C strtol with
// base 0): leading white space, an optional sign, then decimal, 0x
// hexadecimal or 0 octal digits up to the first other character. Content
// without a number reads as 0. A number outside the 32-bit range is an
// error, and the caller keeps the previous value.
func Parse(b []byte) (int64, error) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	base := uint64(10)
	if i+1 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') && i+2 < len(b) && digitVal(b[i+2]) < 16 {
		base, i = 16, i+2
	} else if i < len(b) && b[i] == '0' {
		base = 8
	}
	var v uint64
	overflow := false
	for ; i < len(b); i++ {
		d := uint64(digitVal(b[i]))
		if d >= base {
			break
		}
		if v > (math.MaxUint64-d)/base {
			overflow = true
			continue
		}
		v = v*base + d
	}
	if overflow || v > math.MaxInt32+1 {
		return 0, fmt.Errorf("track: file value out of range: %w", strconv.ErrRange)
	}
	n := int64(v)
	if neg {
		n = -n
	}
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("track: file value %d out of range: %w", n, strconv.ErrRange)
	}
	return n, nil
}

func digitVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// ErrMissing is returned by Read for a file that does not exist (it reads
// as 0, as in keepalived).
var ErrMissing = errors.New("file does not exist")

// Read reads and parses the file at path. A missing file gives 0 and
// ErrMissing, an unreadable one 0 and the error; content out of range
// gives an error wrapping strconv.ErrRange (keep the previous value).
func Read(path string) (int64, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, ErrMissing
	case err != nil:
		return 0, err
	}
	return Parse(b)
}

// Weight is keepalived's rule for a value read from a tracked file by an
// object with weight w (reverse: the value counts negatively): with w = 0
// a non-zero value is a fault (reverse: a zero value is); otherwise the
// object's weight or priority changes by value x w (x -1 with reverse).
func Weight(value int64, w int, reverse bool) (delta int64, fault bool) {
	if w == 0 {
		return 0, (value != 0) != reverse
	}
	delta = value * int64(w)
	if reverse {
		delta = -delta
	}
	return delta, false
}
