package keepalived

import (
	"os"
	"strings"
)

// Node is one keyword line of a configuration and, when a '{' follows it,
// the block it opens.
type Node struct {
	Pos     Pos
	Words   []string // the keyword and its values
	Raw     string   // the line before it was split into words
	Comment string   // comment at the end of the keyword's line
	Above   []string // whole-line comments just above
	// Block is set when the keyword opens a block ("kw {" or "kw" then
	// "{"); Open is the position of the '{'.
	Block    []*Node
	HasBlock bool
	Open     Pos
	// Tail holds the comments written before the block's '}'.
	Tail []string
}

// Keyword is the node's first word.
func (n *Node) Keyword() string { return n.Words[0] }

// Args are the words after the keyword.
func (n *Node) Args() []string { return n.Words[1:] }

// ReadOptions tune Read.
type ReadOptions struct {
	// ConfigID is matched by "@ID" lines; default: the short host name.
	ConfigID string
	// FS reads the files; default: the host's.
	FS FS
}

// DefaultConfigID is keepalived's default --config-id: the host name up
// to its first dot.
func DefaultConfigID() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}

// Read reads the configuration file name and the files it includes into
// a tree of keyword nodes. Errors lists every syntax problem; the tree
// holds what could be read.
func Read(name string, opts ReadOptions) ([]*Node, Errors) {
	if opts.FS == nil {
		opts.FS = OSFS
	}
	r := &reader{fs: opts.FS, configID: opts.ConfigID}
	if !r.open(name, Pos{File: name}) {
		return nil, r.errs
	}
	type frame struct {
		parent *Node
		nodes  *[]*Node
	}
	var top []*Node
	stack := []frame{{nodes: &top}}
	var last *Node // last keyword node at the current level
	for {
		l, ok := r.next()
		if !ok {
			break
		}
		cur := &stack[len(stack)-1]
		switch l.Words[0] {
		case "{":
			if last == nil || last.HasBlock {
				r.errorf(l.Pos, "'{' without a keyword before it")
				// Read the block anyway so that its '}' balances.
				last = &Node{Pos: l.Pos, Words: []string{"{"}}
			}
			last.HasBlock, last.Open = true, l.Pos
			last.Tail = append(last.Tail, l.Above...)
			stack = append(stack, frame{parent: last, nodes: &last.Block})
			last = nil
			continue
		case "}":
			if len(stack) == 1 {
				r.errorf(l.Pos, "'}' without a matching '{'")
				continue
			}
			cur.parent.Tail = append(cur.parent.Tail, l.Above...)
			last = cur.parent
			stack = stack[:len(stack)-1]
			continue
		}
		n := &Node{Pos: l.Pos, Words: l.Words, Raw: l.Raw, Comment: l.Comment, Above: l.Above}
		*cur.nodes = append(*cur.nodes, n)
		last = n
	}
	for i := len(stack) - 1; i >= 1; i-- {
		p := stack[i].parent
		r.errorf(p.Open, "%s: '{' is never closed", strings.Join(p.Words, " "))
	}
	if len(top) == 0 && len(r.errs) == 0 {
		r.errorf(Pos{File: name}, "no configuration (the file is empty)")
	}
	// Trailing whole-line comments stay with the last node.
	if len(r.above) > 0 && len(top) > 0 {
		lastTop := top[len(top)-1]
		lastTop.Tail = append(lastTop.Tail, r.above...)
	}
	sortErrors(r.errs)
	return top, r.errs
}

func sortErrors(es Errors) {
	// Stable by file order of discovery, then line within a file.
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j-1].Pos.File == es[j].Pos.File && es[j-1].Pos.Line > es[j].Pos.Line; j-- {
			es[j-1], es[j] = es[j], es[j-1]
		}
	}
}
