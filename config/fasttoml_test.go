package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// fastCorpus is every TOML document the package's tests know: the
// testdata and example files, the FuzzParse corpus, a generated big file
// and the hand-written cases below.
func fastCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var files []string
	for _, g := range []string{"testdata/*.toml", "testdata/keepalived/*.toml", "../contrib/examples/*.toml"} {
		fs, _ := filepath.Glob(g)
		files = append(files, fs...)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzParse/*")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1 / []byte("...")
		for _, l := range strings.Split(string(b), "\n") {
			if s, ok := strings.CutPrefix(l, "[]byte("); ok {
				if v, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
					out[p] = []byte(v)
				}
			}
		}
	}
	out["big"] = bigConfig(20, 3)
	out["defaults"] = []byte(defaultsProbe)
	for i, s := range fastCases {
		out["case"+strconv.Itoa(i)] = []byte(s)
	}
	return out
}

// fastCases are documents at the edges of what the fast reader handles.
var fastCases = []string{
	"",
	"a = 1\n",
	"a = -0\nb = -0.0\nc = 0.5\nd = 12345678901234567\ne = 123456789012345678901\n",
	"a = -0\nb = -0.0\nc = 0.5\nd = 123456789012345678\n",
	"a = []\nb = [ ]\nc = [\n]\nd = [1,]\n",
	"a = 1_000\n",
	"a = +1\n",
	"a = 1e3\n",
	"a = 01\n",
	"a = 1.\n",
	"a = .5\n",
	"a = 0x1f\n",
	"a = inf\n",
	"a = 1979-05-27\n",
	"a = 07:32:00\n",
	"a = true\nb = false\nc = truex\n",
	"a = 5# c\nb = [1#c\n,2]\nc = {x=1}# d\n",
	"a = true#x\n",
	"a = \"x\\ty\\\"z\\\\\"\nb = 'lit\\'\n",
	"a = \"\\u00e9\"\n",
	"a = \"\"\"x\"\"\"\n",
	"a = ''\nb = \"\"\n",
	"a = '''x'''\n",
	"a = \"é\"\n# ü\n",
	"a = \"\x01\"\n",
	"a = 1\r\n",
	"a = []\nb = [ ]\nc = [\n]\nd = [1,]\ne = [1,,2]\n",
	"a = [,]\n",
	"a = [[1, 2], [\"x\"], {b = 1}]\n",
	"a = {}\nb = { }\nc = {x = 1, y = \"z\"}\n",
	"a = {x = 1,}\n",
	"a = {x = 1\n}\n",
	"a = {x = [1,\n2]}\n",
	"a = {x = 1, x = 2}\n",
	"a = 1\na = 2\n",
	"a.b = 1\n",
	"\"a\" = 1\n",
	"[a]\n[a]\n",
	"[a.b]\n[a]\n",
	"[a]\nb = 1\n[a.b]\n",
	"[a]\nb = {}\n[a.b.c]\n",
	"[[a]]\n[a]\n",
	"[a]\n[[a]]\n",
	"[[a]]\nx = 1\n[[a]]\nx = 2\n[a.b]\ny = 3\n[[a.c]]\n[[a.c]]\n",
	"[[a]]\nb = [1]\n[[a]]\n[a.b.c]\n[a.b]\n",
	"[[a]]\n[a.b.c]\n[[a]]\n[a.b]\n",
	"[ a . b ]\n[[ c ]]\n[ [d] ]\n",
	"[[a]\n",
	"[a]]\n",
	"[]\n",
	"[a.b.c.d.e]\n",
	"x = 1 y = 2\n",
	"x = \n",
	"x\n",
	"= 1\n",
	"\xef\xbb\xbfa = 1\n",
	"a = \"\xff\"\n",
	"a = 1\x00\n",
	"[[virtual_server]]\nip = \"10.0.0.1\"\n[global]\n[virtual_server.x]\n[[virtual_server]]\n[[virtual_server.real_server]]\n",
	"[[virtual_server]]\n[[virtual_server]]\nip = 1\n[virtual_server]\n",
	"virtual_server = [{ip = 1}]\n[[virtual_server]]\n",
	strings.Repeat("[", 40) + strings.Repeat("]", 40),
	"a = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
	"a = " + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "\n",
	// errors of streamed virtual servers among the others, in file order
	"[[virtual_server]]\nip = \"10.0.0.1\"\nport = 80\nbogus = 1\n[[vrrp_instance]]\nname = \"x\"\n" +
		"[[virtual_server]]\nip = \"bad\"\nport = 80\n[[virtual_server.real_server]]\nip = \"10.0.0.2\"\nweight = 99999\nzzz = 1\n" +
		"[global]\nnope = 1\n[virtual_server.sorry_server]\nip = 1\n",
}

// checkFast holds the fast reader to toml.Decode on data: when it reads a
// document, toml.Decode accepts it and gives the same tree, and streaming
// the virtual servers gives the same elements.
func checkFast(t *testing.T, name string, data []byte) bool {
	t.Helper()
	got, ok := fastTOML(data, "", nil)
	var want map[string]any
	_, err := toml.Decode(string(data), &want)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%s: the fast reader accepts what toml.Decode refuses (%v):\n%s", name, err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: the fast reader's tree differs:\n got %#v\nwant %#v\n%s", name, got, want, data)
	}
	// Streamed elements are recycled once the hook returns: compare them
	// in the hook.
	wvs, _ := want["virtual_server"].([]map[string]any)
	streamed := 0
	sgot, ok := fastTOML(data, "virtual_server", func(m map[string]any) {
		if streamed >= len(wvs) || !reflect.DeepEqual(m, wvs[streamed]) {
			t.Fatalf("%s: streamed virtual server %d differs:\n got %#v\nwant %#v", name, streamed, m, wvs)
		}
		streamed++
	})
	if !ok {
		t.Fatalf("%s: streaming refused what reading accepted", name)
	}
	if streamed != len(wvs) {
		t.Fatalf("%s: %d virtual servers streamed, want %d", name, streamed, len(wvs))
	}
	if svs, _ := sgot["virtual_server"].([]map[string]any); len(svs) != len(wvs) {
		t.Fatalf("%s: streamed tree holds %d virtual servers, want %d", name, len(svs), len(wvs))
	}
	// And the loader's result, virtual servers decoded while reading,
	// is the one it makes from toml.Decode's tree: same model, same errors.
	fc, ferrs := parseWith(name, data, nil, true)
	sc, serrs := parseWith(name, data, nil, false)
	if fe, se := ferrs.Error(), serrs.Error(); fe != se {
		t.Fatalf("%s: errors differ:\nfast:\n%s\ntoml.Decode:\n%s", name, fe, se)
	}
	if !reflect.DeepEqual(fc, sc) {
		t.Fatalf("%s: configurations differ:\nfast %#v\ntoml.Decode %#v", name, fc, sc)
	}
	return true
}

// TestFastTOMLAgrees: on the whole corpus the fast reader either declines
// or agrees with toml.Decode, and it reads every file lvsd ships.
func TestFastTOMLAgrees(t *testing.T) {
	read := 0
	corpus := fastCorpus(t)
	for name, data := range corpus {
		if checkFast(t, name, data) {
			read++
		} else if strings.HasSuffix(name, ".toml") || name == "big" {
			// Shipped files and the benchmark's must take the fast path
			// (or the fast path is worth nothing).
			if _, err := toml.Decode(string(data), new(map[string]any)); err == nil {
				t.Errorf("%s: the fast reader declines a valid shipped file", name)
			}
		}
	}
	t.Logf("fast reader read %d of %d documents", read, len(corpus))
}

// FuzzFastTOML: whatever the fast reader reads, toml.Decode reads the same.
func FuzzFastTOML(f *testing.F) {
	for _, data := range fastCorpus(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, "fuzz", data)
	})
}
