package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/lvsd/lvsd/config/keepalived"
)

func init() {
	register("convert", command{summary: "convert a keepalived (or other) configuration to lvsd TOML", run: runConvert})
}

// converter turns another daemon's configuration file (name, content) into
// lvsd TOML. warnings are meanings that change; err lists every problem.
type converter func(name string, data []byte) (out []byte, warnings []string, err error)

// converters are the formats --from accepts.
var converters = map[string]converter{
	"keepalived": convertKeepalived,
	"ucarp":      convertUcarp,
}

// keepalivedConfigID is --config-id for convertKeepalived (set by
// runConvert before it converts).
var keepalivedConfigID = keepalived.DefaultConfigID()

func convertKeepalived(name string, data []byte) ([]byte, []string, error) {
	r, err := keepalived.ConvertData(name, data, keepalived.Options{ReadOptions: keepalived.ReadOptions{ConfigID: keepalivedConfigID}})
	if err != nil {
		return nil, nil, err
	}
	return r.TOML, r.Warnings, nil
}

// runConvert: exit 0 when converted (warnings printed), 1 when the input
// has errors (nothing written), 2 on usage errors or unreadable files.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("convert", "[-o FILE] [--config-id ID] [--from FORMAT] FILE", stderr)
	out := fs.String("o", "", "write the TOML to FILE (default: standard output)")
	id := fs.String("config-id", "", "keepalived: the id that @ID lines match (default: the short host name, as keepalived)")
	from := fs.String("from", "keepalived", "input format: "+strings.Join(formats(), ", "))
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "lvsd convert: want one input FILE")
		return exitUsage
	}
	conv, ok := converters[*from]
	if !ok {
		fmt.Fprintf(stderr, "lvsd convert: --from %q: not one of %s\n", *from, strings.Join(formats(), ", "))
		return exitUsage
	}
	keepalivedConfigID = *id
	if *id == "" {
		keepalivedConfigID = keepalived.DefaultConfigID()
	}
	name := fs.Arg(0)
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "lvsd convert: %v\n", err)
		return exitUsage
	}
	toml, warns, err := conv(name, data)
	for _, w := range warns {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		n := 1
		var es interface{ Unwrap() []error }
		if errors.As(err, &es) {
			n = len(es.Unwrap())
			for _, e := range es.Unwrap() {
				fmt.Fprintf(stderr, "error: %v\n", e)
			}
		} else {
			fmt.Fprintf(stderr, "error: %v\n", err)
		}
		fmt.Fprintf(stderr, "lvsd convert: %s: not converted (%s)\n", name, plural(n, "error"))
		return exitFailure
	}
	if *out == "" {
		if _, err := stdout.Write(toml); err != nil {
			fmt.Fprintf(stderr, "lvsd convert: %v\n", err)
			return exitFailure
		}
		return 0
	}
	if err := writeFileAtomic(*out, toml); err != nil {
		fmt.Fprintf(stderr, "lvsd convert: %v\n", err)
		return exitFailure
	}
	return 0
}

func formats() []string {
	var fs []string
	for k := range converters {
		fs = append(fs, k)
	}
	slices.Sort(fs)
	return fs
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it, so that a reader never sees half a configuration.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(dirOf(path), ".lvsd-convert-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return path[:i]
	}
	return "."
}
