package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrEmptyCommand is returned by SplitCommand for a command line without any word.
var ErrEmptyCommand = errors.New("empty command line")

// SplitCommand splits a script command line into words as keepalived does for
// `script`, `notify*` and `misc_path` values: words are separated by spaces
// and tabs; single and double quotes group text (the quotes are removed, and
// quoted and unquoted parts of one word join up); a backslash escapes the
// next character anywhere, with the C escapes \a \b \E \f \n \r \t \v, \xHH,
// \cX (control character) and up to three octal digits \NNN. No shell is
// involved: no variables, globs or redirections are interpreted.
func SplitCommand(line string) ([]string, error) {
	var words []string
	var word []byte
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\':
			i++
			if i >= len(line) {
				return nil, fmt.Errorf("script: parse %q: backslash at end of line", line)
			}
			b, n := cmdUnescape(line[i:])
			word = append(word, b)
			i += n - 1
			inWord = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				word = append(word, c)
			}
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			if inWord {
				words = append(words, string(word))
				word = word[:0]
				inWord = false
			}
		default:
			word = append(word, c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("script: parse %q: missing terminating %c", line, quote)
	}
	if inWord {
		words = append(words, string(word))
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("script: parse %q: %w", line, ErrEmptyCommand)
	}
	return words, nil
}

// unescape decodes the escape sequence at the start of s (the text after a
// backslash) and returns the byte and how many bytes of s it used.
func cmdUnescape(s string) (byte, int) {
	c := s[0]
	switch {
	case c == 'x' && len(s) > 1 && cmdIsHex(s[1]):
		v, n := byte(0), 1
		for n <= 2 && n < len(s) && cmdIsHex(s[n]) {
			v = v<<4 | cmdHexVal(s[n])
			n++
		}
		return v, n
	case c == 'c' && len(s) > 1:
		return s[1] & 0x1f, 2
	case c >= '0' && c <= '7':
		v, n := c-'0', 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			v = v<<3 + (s[n] - '0')
			n++
		}
		return v, n
	}
	switch c {
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'E':
		return 0x1b, 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'v':
		return '\v', 1
	}
	return c, 1
}

func cmdIsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func cmdHexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// QuoteCommand joins words into a /bin/sh command line that reproduces them, each
// word in single quotes ('\” for an embedded quote). As in keepalived, a
// first word starting with '<' or '>' is left bare, so that a check written as
// a redirection ("</dev/tcp/127.0.0.1/80") keeps working through the shell.
func QuoteCommand(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 0 && w != "" && (w[0] == '<' || w[0] == '>') {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}
