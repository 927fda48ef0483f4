package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a configuration file.
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based; 0 when unknown
	Path string // key path, e.g. vrrp_instance[0].priority; "" for syntax errors
	Msg  string
	// Near is set when Line is the nearest known line rather than the
	// key's own.
	Near bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order. Load returns it
// (as an error) when there is at least one; use errors.As to get it.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is/As access to each error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Col, b.Col)
	})
}

// sortErrorsByFile orders errors of several files: by file in include
// order (the main file first), then line and column.
func sortErrorsByFile(es Errors, segs []segment) {
	order := map[string]int{}
	for i, sg := range segs {
		if _, ok := order[sg.file]; !ok {
			order[sg.file] = i
		}
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := cmp.Compare(order[a.File], order[b.File]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Col, b.Col)
	})
}
