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

// Parse decodes and validates data; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	c, errs := parse(name, data, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func parse(name string, data []byte, rec map[string]bool) (*Config, Errors) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			// The parser's line can be one past the offending byte (a
			// missing "]" is noticed at the newline); count from the offset.
			line := pe.Position.Line
			if s := pe.Position.Start; s >= 0 && s <= len(data) {
				line = 1 + bytes.Count(data[:s], []byte("\n"))
			}
			return nil, Errors{{File: name, Line: line, Col: pe.Position.Col, Msg: "syntax error: " + pe.Message}}
		}
		return nil, Errors{{File: name, Msg: "syntax error: " + err.Error()}}
	}
	d := &decoder{file: name, rec: rec}
	c := d.decodeConfig(d.root(raw))
	d.validate(c)
	locate(d.errs, data)
	sortErrors(d.errs)
	return c, d.errs
}
