package trackfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"42\n", 42, false}, {"  -7", -7, false}, {"0x1f", 31, false}, {"010", 8, false},
		{"junk", 0, false}, {"", 0, false}, {"12abc", 12, false}, {"4294967296", 0, true},
	} {
		got, err := Parse([]byte(tc.in))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("Parse(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Errorf("Parse(%q): %v is not ErrRange", tc.in, err)
		}
	}
}

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if v, err := Read(p); v != 0 || !errors.Is(err, ErrMissing) {
		t.Errorf("missing: %d, %v", v, err)
	}
	os.WriteFile(p, []byte("5\n"), 0o644)
	if v, err := Read(p); v != 5 || err != nil {
		t.Errorf("5: %d, %v", v, err)
	}
}

func TestWeight(t *testing.T) {
	for _, tc := range []struct {
		v       int64
		w       int
		rev     bool
		delta   int64
		isFault bool
	}{
		{0, 0, false, 0, false}, {3, 0, false, 0, true}, {0, 0, true, 0, true}, {3, 0, true, 0, false},
		{3, 10, false, 30, false}, {3, 10, true, -30, false}, {-2, 5, false, -10, false},
	} {
		d, f := Weight(tc.v, tc.w, tc.rev)
		if d != tc.delta || f != tc.isFault {
			t.Errorf("Weight(%d, %d, %v) = %d, %v; want %d, %v", tc.v, tc.w, tc.rev, d, f, tc.delta, tc.isFault)
		}
	}
}
