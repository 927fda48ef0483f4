package ucarp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lvsd/lvsd/config"
)

// FuzzParse: no panic; an accepted input renders a configuration the
// loader accepts or rejects with an error (never a panic), and errors are
// *Error values with a line.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"field-note.sh", "short.sh", "interfaces"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("ucarp -i eth0 -s 10.0.0.1 -v 1 -p 'a b' -a 10.0.0.9\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, _, err := Parse("fuzz", b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out := Render("fuzz", ins)
		_, _ = config.Parse("fuzz.toml", out)
	})
}
