package ucarp

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// opt is one of ucarp's options.
type opt struct {
	long  string
	short byte
	arg   bool
}

// options is ucarp 1.5.2's long_options table (--mcastip has no short
// form: 'm' is missing from its short option string).
var options = []opt{
	{"interface", 'i', true}, {"srcip", 's', true}, {"mcastip", 0, true}, {"vhid", 'v', true},
	{"pass", 'p', true}, {"preempt", 'P', false}, {"neutral", 'n', false}, {"addr", 'a', true},
	{"help", 'h', false}, {"advbase", 'b', true}, {"advskew", 'k', true}, {"upscript", 'u', true},
	{"downscript", 'd', true}, {"deadratio", 'r', true}, {"debug", 'D', false}, {"shutdown", 'z', false},
	{"facility", 'f', true}, {"daemonize", 'B', false}, {"ignoreifstate", 'S', false},
	{"nomcast", 'M', false}, {"passfile", 'o', true}, {"xparam", 'x', true},
}

// longOpt finds a long option by exact name or unique prefix, as
// getopt_long does.
func longOpt(name string) (opt, error) {
	var found []opt
	for _, o := range options {
		if o.long == name {
			return o, nil
		}
		if strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return opt{}, fmt.Errorf("unknown option --%s", name)
	case 1:
		return found[0], nil
	}
	return opt{}, fmt.Errorf("ambiguous option --%s", name)
}

func shortOpt(c byte) (opt, bool) {
	for _, o := range options {
		if o.short == c && c != 0 {
			return o, true
		}
	}
	return opt{}, false
}

// command is one command line: its words and the line each starts on.
type command struct {
	words []string
	lines []int
}

// ParseCommandLines reads one or more ucarp command lines.
func ParseCommandLines(name string, data []byte) ([]Instance, []string, error) {
	cmds, err := splitCommands(name, string(data))
	if err != nil {
		return nil, nil, err
	}
	var out []Instance
	var warns []string
	for _, c := range cmds {
		in, w, err := parseCommand(name, c)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, in)
		warns = append(warns, w...)
	}
	if len(out) == 0 {
		return nil, nil, errAt(name, 1, "no ucarp command line")
	}
	return out, warns, nil
}

// splitCommands splits shell-like text into commands: words separated by
// blanks, single and double quotes, backslash escapes and continuations,
// '#' comments, commands ended by a newline or ';'. A '$' outside single
// quotes is refused: lvsd cannot expand the shell's variables.
func splitCommands(file, s string) ([]command, error) {
	var cmds []command
	var cur command
	var word strings.Builder
	inWord := false
	line, wordLine := 1, 1
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
			cur.lines = append(cur.lines, wordLine)
			word.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(cur.words) > 0 {
			cmds = append(cmds, cur)
		}
		cur = command{}
	}
	start := func() {
		if !inWord {
			inWord, wordLine = true, line
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			line++
			endCmd()
		case c == ';':
			endCmd()
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == '\\':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				line++
				endWord()
				continue
			}
			start()
			if i+1 < len(s) {
				i++
				word.WriteByte(s[i])
			}
		case c == '\'':
			start()
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errAt(file, line, "unterminated single quote")
			}
			q := s[i+1 : i+1+j]
			word.WriteString(q)
			line += strings.Count(q, "\n")
			i += j + 1
		case c == '"':
			start()
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '$' || s[i] == '`':
					return nil, errAt(file, line, "shell expansion %q: write the value itself", string(s[i]))
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
					i++
				case s[i] == '\n':
					line++
				}
				word.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errAt(file, line, "unterminated double quote")
			}
		case c == '$' || c == '`':
			return nil, errAt(file, line, "shell expansion %q: write the value itself", string(c))
		default:
			start()
			word.WriteByte(c)
		}
	}
	endCmd()
	return cmds, nil
}

func parseCommand(file string, c command) (Instance, []string, error) {
	w := c.words
	i := 0
	if w[0] == "exec" && len(w) > 1 {
		i++
	}
	if path.Base(w[i]) != "ucarp" {
		return Instance{}, nil, errAt(file, c.lines[i], "%q is not a ucarp command", w[i])
	}
	in := newInstance(c.lines[i])
	var warns []string
	i++
	for ; i < len(w); i++ {
		a, ln := w[i], c.lines[i]
		var o opt
		var val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			n, v, eq := strings.Cut(a[2:], "=")
			var err error
			if o, err = longOpt(n); err != nil {
				return in, nil, errAt(file, ln, "%v", err)
			}
			if eq {
				if !o.arg {
					return in, nil, errAt(file, ln, "option --%s takes no value", o.long)
				}
				val, hasVal = v, true
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// a cluster of short options, the last may take a value
			for k := 1; k < len(a); k++ {
				so, ok := shortOpt(a[k])
				if !ok {
					return in, nil, errAt(file, ln, "unknown option -%c", a[k])
				}
				if !so.arg {
					if err := in.set(so, ""); err != nil {
						return in, nil, errAt(file, ln, "%v", err)
					}
					warns = append(warns, flagWarning(file, ln, so)...)
					continue
				}
				o = so
				if k+1 < len(a) {
					val, hasVal = a[k+1:], true
				}
				break
			}
			if o.long == "" {
				continue
			}
		default:
			return in, nil, errAt(file, ln, "unexpected argument %q (ucarp takes only options)", a)
		}
		if o.arg && !hasVal {
			if i+1 >= len(w) {
				return in, nil, errAt(file, ln, "option --%s needs a value", o.long)
			}
			i++
			val = w[i]
		}
		if err := in.set(o, val); err != nil {
			return in, nil, errAt(file, ln, "%v", err)
		}
		warns = append(warns, flagWarning(file, ln, o)...)
	}
	if err := in.check(file); err != nil {
		return in, nil, err
	}
	if in.UpScript == "" {
		warns = append(warns, fmt.Sprintf("%s:%d: no --upscript: nothing installs the address (add virtual_ipaddress)", file, in.Line))
	}
	if !in.SrcIP.IsValid() {
		return in, nil, errAt(file, in.Line, "no source address (--srcip)")
	}
	return in, warns, nil
}

func flagWarning(file string, line int, o opt) []string {
	switch o.long {
	case "facility":
		return []string{fmt.Sprintf("%s:%d: --facility: lvsd logs with its own logger", file, line)}
	case "daemonize":
		return []string{fmt.Sprintf("%s:%d: --daemonize: run lvsd under systemd instead", file, line)}
	}
	return nil
}

// set applies one option.
func (in *Instance) set(o opt, v string) error {
	var err error
	switch o.long {
	case "interface":
		in.Interface = v
	case "srcip":
		in.SrcIP, err = parseIPv4("srcip", v)
	case "mcastip":
		in.MCastIP, err = parseIPv4("mcastip", v)
	case "vhid":
		in.VHID, err = parseVHID(v)
	case "pass":
		in.Pass, in.PassFile = v, ""
		if v == "" {
			err = fmt.Errorf("empty password")
		} else {
			err = checkPass(v)
		}
	case "passfile":
		in.PassFile, in.Pass = v, ""
	case "preempt":
		in.Preempt = true
	case "neutral":
		in.Neutral = true
	case "addr":
		in.Addr, err = parseIPv4("addr", v)
	case "advbase":
		in.AdvBase, err = parseByte("advbase", v)
	case "advskew":
		in.AdvSkew, err = parseByte("advskew", v)
	case "upscript":
		in.UpScript = v
	case "downscript":
		in.DownScript = v
	case "deadratio":
		n, perr := strconv.ParseUint(v, 0, 64)
		if perr != nil || n < 1 || n > 1000 {
			err = fmt.Errorf("deadratio %q: want 1..1000", v)
		} else {
			in.DeadRatio = int(n)
		}
	case "shutdown":
		in.Shutdown = true
	case "ignoreifstate":
		in.IgnoreIf = true
	case "nomcast":
		in.NoMcast = true
	case "xparam":
		in.XParam = v
	case "help":
		err = fmt.Errorf("--help is not a configuration")
	case "debug", "facility", "daemonize":
	}
	return err
}
