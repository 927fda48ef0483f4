package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
)

// Load reads, decodes and validates the configuration file at path. On a
// problem in the file it returns Errors listing all of them; when the file
// cannot be read it returns the *os.PathError (errors.Is(err, fs.ErrNotExist)).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates data; name is used in error messages and,
// when data has an `include` key, as the path the included files are
// relative to (include.go).
func Parse(name string, data []byte) (*Config, error) {
	all, segs, ierrs := withIncludes(name, data)
	c, errs := parse(name, all, nil)
	if segs != nil {
		remap(errs, segs)
		errs = append(ierrs, errs...)
		sortErrorsByFile(errs, segs)
		if c != nil {
			for _, sg := range segs[1:] {
				c.Included = append(c.Included, sg.file)
			}
		}
	} else {
		errs = append(ierrs, errs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func parse(name string, data []byte, rec map[string]bool) (*Config, Errors) {
	return parseWith(name, data, rec, true)
}

// parseWith is parse; fast false forces toml.Decode (the tests compare).
func parseWith(name string, data []byte, rec map[string]bool, fast bool) (*Config, Errors) {
	d := &decoder{file: name, rec: rec}
	var raw map[string]any
	ok := false
	if fast {
		raw, ok = d.fastRead(data)
	}
	if !ok {
		d.stream = nil
		raw = nil
		if err := decodeTOML(name, data, &raw); err != nil {
			return nil, err
		}
	}
	c := d.decodeConfig(d.root(raw))
	d.validate(c)
	locate(d.errs, data)
	sortErrors(d.errs)
	return c, d.errs
}

// fastRead reads data with the fast reader, decoding each [[virtual_server]]
// as soon as it is complete (so that the trees of all of them never exist at
// once). It reports false when the file must go through toml.Decode.
func (d *decoder) fastRead(data []byte) (map[string]any, bool) {
	s := &vsStream{d: &decoder{file: d.file, rec: d.rec, arenaOn: true}}
	// Room for every virtual server at once, not a doubling slice's copies.
	if n := bytes.Count(data, []byte("[[virtual_server]]")); n > 0 {
		s.vs = make([]VirtualServer, 0, n)
	}
	raw, ok := fastTOML(data, "virtual_server", func(m map[string]any) {
		// The nodes of one virtual server are dead once it is decoded
		// (the model keeps none): the next reuses their room.
		s.d.resetArena()
		n := s.d.node(node{d: s.d, key: "virtual_server", idx: len(s.vs), schema: "virtual_server", m: m})
		s.vs = append(s.vs, s.d.decodeVS(n))
	})
	if !ok {
		return nil, false
	}
	if len(s.vs) > 0 {
		d.stream = s
	}
	return raw, true
}

// vsStream holds the virtual servers decoded while the file was read, and
// their errors, until decodeConfig takes them in their place.
type vsStream struct {
	d  *decoder
	vs []VirtualServer
}

// decodeTOML is toml.Decode with its syntax error as an Errors entry.
func decodeTOML(name string, data []byte, raw *map[string]any) Errors {
	if _, err := toml.Decode(string(data), raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			// The parser's line can be one past the offending byte (a
			// missing "]" is noticed at the newline); count from the offset.
			line := pe.Position.Line
			if s := pe.Position.Start; s >= 0 && s <= len(data) {
				line = 1 + bytes.Count(data[:s], []byte("\n"))
			}
			return Errors{{File: name, Line: line, Col: pe.Position.Col, Msg: "syntax error: " + pe.Message}}
		}
		return Errors{{File: name, Msg: "syntax error: " + err.Error()}}
	}
	return nil
}
