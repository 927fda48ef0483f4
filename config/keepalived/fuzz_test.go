package keepalived

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary text to the reader and the converter: they
// must never panic or loop, and a conversion that succeeds must load.
func FuzzReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.conf")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("$A=$A\nx $A\n"))
	f.Add([]byte("$A=${A}${A}\nx $A\n"))
	f.Add([]byte("~SEQ(n, 1, 100000) ~SEQ(m, 1, 100000) x\n"))
	f.Add([]byte("~LST({a,b},{1,2},{3}) l ${a}-$b\n"))
	f.Add([]byte("a {\n b {\n} } }\n{\n"))
	f.Add([]byte("@x\n@^ a\n\"unterminated\n\\\n"))
	f.Add([]byte("$M=a \\\n b \\\n\nx $M\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := MapFS{"k.conf": string(data), "inc.conf": "include k.conf\n"}
		Read("k.conf", ReadOptions{FS: fs, ConfigID: "n1"})
		r, err := ConvertData("k.conf", data, Options{ReadOptions: ReadOptions{FS: fs, ConfigID: "n1"}})
		if err == nil && len(r.TOML) == 0 {
			t.Fatal("no error and no output")
		}
	})
}
