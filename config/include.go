package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// include = ["conf.d/*.toml", ...]: a top-level key of the main file only.
// Each pattern is a glob relative to the main file's directory; the files
// it matches (sorted; none is fine for a glob, not for a plain path) are
// read after the main file as if they followed it. An included file holds
// tables only ([[vrrp_instance]], [[virtual_server]], ...), so that nothing
// of it can fall into the main file's last table; [global] stays in one
// file (TOML refuses a table given twice). Errors name the included file
// and its own line. A reload reads every file again.

// segment is one file's part of the text decoded.
type segment struct {
	file  string
	first int // 1-based line of the combined text where the file starts
}

// maxIncludes bounds the files one configuration may include.
const maxIncludes = 1024

// includePatterns reads the main file's top-level `include` key: the keys
// before its first table header. ok is false when there is none (or the
// preamble does not decode: the full parse reports that).
func includePatterns(data []byte) (pats []string, line int, ok bool) {
	pre := data
	ln := 0
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		t := bytes.TrimSpace(data[off : off+end])
		if len(t) > 0 && t[0] == '[' {
			pre = data[:off]
			break
		}
		ln++
		if k, _, found := bytes.Cut(t, []byte("=")); found && string(bytes.TrimSpace(k)) == "include" {
			line = ln
		}
		off += end + 1
	}
	if !bytes.Contains(pre, []byte("include")) {
		return nil, 0, false
	}
	var v struct {
		Include any `toml:"include"`
	}
	if _, err := toml.Decode(string(pre), &v); err != nil || v.Include == nil {
		return nil, 0, false
	}
	list, isList := v.Include.([]any)
	if !isList {
		return nil, line, true // the decoder reports the type
	}
	for _, p := range list {
		s, isStr := p.(string)
		if !isStr {
			return nil, line, true
		}
		pats = append(pats, s)
	}
	return pats, line, true
}

// withIncludes returns data followed by the files its include key names,
// and the segments of that text; segs is nil when data includes nothing.
func withIncludes(name string, data []byte) (all []byte, segs []segment, errs Errors) {
	pats, line, ok := includePatterns(data)
	if !ok || len(pats) == 0 {
		return data, nil, nil
	}
	bad := func(format string, args ...any) {
		errs = append(errs, &Error{File: name, Line: line, Path: "include", Msg: fmt.Sprintf(format, args...)})
	}
	dir := filepath.Dir(name)
	self, _ := filepath.Abs(name)
	var files []string
	seen := map[string]bool{self: true}
	for _, p := range pats {
		if p == "" {
			bad("an empty pattern")
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		m, err := filepath.Glob(p)
		if err != nil {
			bad("%q: %v", p, err)
			continue
		}
		if len(m) == 0 && !strings.ContainsAny(p, "*?[") {
			bad("%s: no such file", p)
			continue
		}
		slices.Sort(m)
		for _, f := range m {
			abs, _ := filepath.Abs(f)
			if seen[abs] {
				continue
			}
			seen[abs] = true
			files = append(files, f)
		}
	}
	if len(files) > maxIncludes {
		bad("%d files, more than %d", len(files), maxIncludes)
		return data, nil, errs
	}
	var b bytes.Buffer
	b.Write(data)
	segs = []segment{{file: name, first: 1}}
	for _, f := range files {
		fd, err := readIncluded(f)
		if err != nil {
			bad("%v", err)
			continue
		}
		if l, ok := firstKeyLine(fd); ok {
			errs = append(errs, &Error{File: f, Line: l, Msg: "an included file holds tables only ([[vrrp_instance]], [[virtual_server]], ...): top-level keys, include among them, belong in the main file " + name})
			continue
		}
		if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
			b.WriteByte('\n')
		}
		segs = append(segs, segment{file: f, first: bytes.Count(b.Bytes(), []byte("\n")) + 1})
		b.Write(fd)
	}
	return b.Bytes(), segs, errs
}

// maxIncludedSize bounds one included file.
const maxIncludedSize = 64 << 20

// readIncluded reads a regular file of at most maxIncludedSize bytes (not
// a device or a FIFO that would never end).
func readIncluded(f string) ([]byte, error) {
	st, err := os.Stat(f)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", f)
	}
	if st.Size() > maxIncludedSize {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", f, st.Size(), maxIncludedSize)
	}
	return os.ReadFile(f)
}

// firstKeyLine is the line of the first key of data that comes before any
// table header.
func firstKeyLine(data []byte) (int, bool) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(l)
		switch {
		case len(t) == 0 || t[0] == '#':
		case t[0] == '[':
			return 0, false
		default:
			return i + 1, true
		}
	}
	return 0, false
}

// remap moves the errors located in the combined text to their own file
// and line.
func remap(errs Errors, segs []segment) {
	if segs == nil {
		return
	}
	for _, e := range errs {
		if e.Line <= 0 || e.File != segs[0].file {
			continue
		}
		for i := len(segs) - 1; i >= 0; i-- {
			if e.Line >= segs[i].first {
				e.File, e.Line = segs[i].file, e.Line-segs[i].first+1
				break
			}
		}
	}
}
