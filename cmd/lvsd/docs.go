package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/daemon"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/manpage"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck/genhash"
)

// The manual pages and shell completions are generated from the flag sets
// the subcommands define (caught by flagSetHook while each runs --help), so
// a new flag or command appears in them without anyone editing a document.

func init() {
	register("man", command{summary: "print a manual page in roff: lvsd(8) (default) or lvsd.toml(5)", run: runMan})
	register("completion", command{summary: "print the shell completion script: bash or zsh", run: runCompletion})
}

// flagDoc is one flag of a subcommand.
type flagDoc struct {
	Name    string // without dashes
	Arg     string // the value's placeholder ("" for a boolean)
	Usage   string
	Default string // "" when none worth showing
}

// Dash is how the flag is written: -f, --dump.
func (f flagDoc) Dash() string {
	if len(f.Name) == 1 {
		return "-" + f.Name
	}
	return "--" + f.Name
}

// cmdDoc is one subcommand.
type cmdDoc struct {
	Name, Summary, Synopsis string
	Flags                   []flagDoc
	// Freeform is the help text of a command with its own argument syntax
	// (genhash, which keeps keepalived's): no Flags then.
	Freeform string
}

var docsMu sync.Mutex // one commandDocs at a time: flagSetHook is a global

// commandDocs runs every subcommand with --help, output discarded, and
// records the flag set it makes. genhash parses keepalived's options
// itself: its flags come from its usage text.
func commandDocs() []cmdDoc {
	docsMu.Lock()
	defer docsMu.Unlock()
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var docs []cmdDoc
	for _, n := range names {
		d := cmdDoc{Name: n, Summary: commands[n].summary}
		if n == "genhash" {
			d.Synopsis = "-s ADDRESS -p PORT -u URL [OPTIONS]"
			d.Flags = genhashFlags()
			d.Freeform = "Options may be given long or short; the output and exit codes are keepalived 2.2.7's genhash."
			docs = append(docs, d)
			continue
		}
		var seen *flag.FlagSet
		hook := func(name, synopsis string, fs *flag.FlagSet) {
			if name == n && seen == nil {
				seen, d.Synopsis = fs, synopsis
			}
		}
		flagSetHook.Store(&hook)
		commands[n].run([]string{"--help"}, io.Discard, io.Discard)
		flagSetHook.Store(nil)
		if seen != nil {
			seen.VisitAll(func(f *flag.Flag) {
				arg, usage := flag.UnquoteUsage(f)
				def := f.DefValue
				if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool || def == "0" || def == "0s" {
					def = ""
				}
				// A usage that says its default itself (a host-dependent one,
				// as convert's --config-id) keeps the page the same on every
				// build machine.
				if strings.Contains(usage, "default") {
					def = ""
				}
				if arg != "" {
					arg = placeholder(d.Synopsis, f.Name, arg)
				}
				d.Flags = append(d.Flags, flagDoc{Name: f.Name, Arg: arg, Usage: usage, Default: def})
			})
		}
		docs = append(docs, d)
	}
	return docs
}

// placeholder names a flag's value as the command's synopsis does
// ("[-f FILE]"), else by its type (VALUE, N, DURATION).
func placeholder(synopsis, name, typ string) string {
	re := regexp.MustCompile(`(?:^|[\[ ])--?` + regexp.QuoteMeta(name) + `[ =]([^\]\s]+)`)
	if m := re.FindStringSubmatch(synopsis); m != nil {
		return m[1]
	}
	switch typ {
	case "int", "uint", "int64", "uint64":
		return "N"
	case "duration":
		return "DURATION"
	}
	return "VALUE"
}

// genhashOption matches an option line of genhash.Usage:
// "   --server          -s       Use the specified remote server address."
var genhashOption = regexp.MustCompile(`^\s+--([a-z-]+)\s+-([a-zA-Z])\s+(.*)$`)

// genhashArgs are the genhash options that take a value.
var genhashArgs = map[string]string{"server": "ADDRESS", "port": "PORT", "url": "URL", "use-virtualhost": "HOST",
	"fwmark": "MARK", "protocol": "VERSION", "timeout": "SECONDS"}

func genhashFlags() []flagDoc {
	var fl []flagDoc
	for _, l := range strings.Split(genhash.Usage, "\n") {
		m := genhashOption.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		fl = append(fl, flagDoc{Name: m[1], Arg: genhashArgs[m[1]], Usage: m[3] + " (short: -" + m[2] + ")"})
	}
	return fl
}

func runMan(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("man", "[lvsd|lvsd.toml]", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	page := "lvsd"
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "lvsd man: unexpected argument %q\n", fs.Arg(1))
		return exitUsage
	}
	if fs.NArg() == 1 {
		page = fs.Arg(0)
	}
	switch page {
	case "lvsd", "8", "lvsd.8":
		io.WriteString(stdout, manLvsd(commandDocs(), manDate()))
	case "lvsd.toml", "5", "lvsd.toml.5":
		io.WriteString(stdout, manConfig(manDate()))
	default:
		fmt.Fprintf(stderr, "lvsd man: unknown page %q (want lvsd or lvsd.toml)\n", page)
		return exitUsage
	}
	return exitOK
}

// manDate is the page's date: SOURCE_DATE_EPOCH (reproducible builds), else
// the commit's, else none.
func manDate() string {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC().Format("2006-01-02")
		}
	}
	if t := buildVersionCurrent().Time; len(t) >= 10 {
		return t[:10]
	}
	return ""
}

func buildVersionCurrent() buildVersion {
	return buildVersionOf(version, commit, modified, readBuildInfo())
}

func manHeader(b *strings.Builder, title, section, date string) {
	fmt.Fprintf(b, ".TH %s %s %s %s %s\n", title, section, manpage.Quote(date),
		manpage.Quote("lvsd "+buildVersionCurrent().Version), manpage.Quote(map[string]string{"8": "System Administration", "5": "File Formats"}[section]))
}

func manLvsd(docs []cmdDoc, date string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	manHeader(&b, "LVSD", "8", date)
	p(".SH NAME")
	p(`lvsd \- VRRP floating IPs, IPVS virtual servers and health checks (a keepalived replacement)`)
	p(".SH SYNOPSIS")
	p(`.B lvsd`)
	p(`.I command`)
	p(`.RI [ flags ]`)
	p(".SH DESCRIPTION")
	p("%s", manpage.Line(manpage.Inline("lvsd keeps floating IPs alive between two or more machines with VRRP (RFC 3768 v2, RFC 5798/9568 v3, IPv4 and IPv6, multicast and unicast peers) and balances traffic with the kernel's IPVS, removing real servers that fail their health checks. It speaks keepalived's protocol on the wire and reads a TOML file, `"+config.DefaultPath+"`, whose keys are keepalived's keywords: see lvsd.toml(5).")))
	p(".PP")
	p("%s", manpage.Line(manpage.Inline("`lvsd run` is the daemon (started by systemd as `lvsd.service`); the other commands check a file, talk to the running daemon through its control socket, or print information. A flag is written `-name` or `--name`, its value after a blank or `=`.")))
	p(".SH COMMANDS")
	for _, d := range docs {
		p(".SS %s", manpage.Quote(manpage.Escape(strings.TrimSpace("lvsd "+d.Name+" "+d.Synopsis))))
		p("%s", manpage.Line(manpage.Inline(upperFirst(d.Summary)+".")))
		if d.Freeform != "" {
			p(".PP")
			p("%s", manpage.Line(manpage.Inline(d.Freeform)))
		}
		for _, f := range d.Flags {
			p(".TP")
			tag := manpage.Code(f.Dash())
			if f.Arg != "" {
				tag += ` \fI` + manpage.Escape(f.Arg) + `\fR`
			}
			p("%s", manpage.Line(tag))
			u := upperFirst(f.Usage)
			if f.Default != "" {
				u += " (default: `" + f.Default + "`)"
			}
			p("%s", manpage.Line(manpage.Inline(u)))
		}
	}
	p(".SH EXIT STATUS")
	for _, e := range [][2]string{{"0", "success (for `lvsd check`: the file is valid)"}, {"1", "the command ran and failed (an invalid configuration, a daemon error)"}, {"2", "bad flags or arguments, or an unreadable file"}} {
		p(".TP\n%s\n%s", manpage.Code(e[0]), manpage.Line(manpage.Inline(e[1])))
	}
	p(".SH ENVIRONMENT")
	p(".TP\n%s\n%s", manpage.Code("JOURNAL_STREAM"), manpage.Line(manpage.Inline("set by systemd; when it names lvsd's stderr, log lines carry syslog priorities (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug) and no timestamp, which journald adds.")))
	p(".SH FILES")
	for _, f := range [][2]string{
		{config.DefaultPath, "the configuration (lvsd.toml(5))"},
		{control.DefaultSocket, "the control socket of `lvsd status`, `reload` and `stop`"},
		{daemon.DefaultStateFile, "the VRRP state kept for a restart without outage"},
		{"/usr/share/doc/lvsd/examples/", "example configurations and notify/check scripts"},
	} {
		p(".TP\n%s\n%s", manpage.Code(f[0]), manpage.Line(manpage.Inline(f[1])))
	}
	p(".SH SEE ALSO")
	p(`.BR lvsd.toml (5),`)
	p(`.BR keepalived (8),`)
	p(`.BR ipvsadm (8),`)
	p(`.BR systemd.service (5)`)
	return b.String()
}

func manConfig(date string) string {
	var b strings.Builder
	manHeader(&b, "LVSD.TOML", "5", date)
	b.WriteString(".SH NAME\nlvsd.toml \\- configuration file of lvsd, the VRRP and IPVS director\n")
	b.WriteString(".SH SYNOPSIS\n" + manpage.Code(config.DefaultPath) + "\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(manpage.FromMarkdown(config.Reference))
	b.WriteString(".SH SEE ALSO\n.BR lvsd (8),\n.BR keepalived.conf (5)\n")
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func runCompletion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("completion", "bash|zsh", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "lvsd completion: want one shell: bash or zsh")
		return exitUsage
	}
	switch fs.Arg(0) {
	case "bash":
		io.WriteString(stdout, bashCompletion(commandDocs()))
	case "zsh":
		io.WriteString(stdout, zshCompletion(commandDocs()))
	default:
		fmt.Fprintf(stderr, "lvsd completion: unknown shell %q (want bash or zsh)\n", fs.Arg(0))
		return exitUsage
	}
	return exitOK
}

// takesFile reports whether a flag's value is a path (completed as one).
func takesFile(f flagDoc) bool {
	return f.Name == "f" || strings.Contains(f.Name, "file") || f.Name == "socket"
}

func bashCompletion(docs []cmdDoc) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.Name
	}
	p("# bash completion for lvsd (generated by `lvsd completion bash`)")
	p("_lvsd() {")
	p(`	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}`)
	p(`	if [ "$COMP_CWORD" -eq 1 ]; then`)
	p(`		COMPREPLY=($(compgen -W %q -- "$cur"))`, strings.Join(names, " "))
	p("		return")
	p("	fi")
	p(`	case ${COMP_WORDS[1]} in`)
	for _, d := range docs {
		var all, files, args []string
		for _, f := range d.Flags {
			all = append(all, f.Dash())
			if f.Arg != "" {
				if takesFile(f) {
					files = append(files, f.Dash())
				} else {
					args = append(args, f.Dash())
				}
			}
		}
		p("	%s)", d.Name)
		if len(files)+len(args) > 0 {
			p(`		case $prev in`)
			if len(files) > 0 {
				p(`		%s) COMPREPLY=($(compgen -f -- "$cur")); return ;;`, strings.Join(files, "|"))
			}
			if len(args) > 0 {
				p(`		%s) COMPREPLY=(); return ;;`, strings.Join(args, "|"))
			}
			p("		esac")
		}
		switch d.Name {
		case "completion":
			p(`		COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;`)
		case "man":
			p(`		COMPREPLY=($(compgen -W "lvsd lvsd.toml" -- "$cur")) ;;`)
		default:
			p(`		COMPREPLY=($(compgen -W %q -- "$cur")) ;;`, strings.Join(all, " "))
		}
	}
	p("	esac")
	p("}")
	p("complete -F _lvsd lvsd")
	return b.String()
}

// zshQuote makes s one single-quoted zsh word.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// zshDesc escapes a description for _describe's NAME:DESCRIPTION.
func zshDesc(s string) string {
	return strings.NewReplacer(`\`, `\\`, ":", `\:`).Replace(s)
}

// zshArgDesc escapes a description for _arguments' -flag[DESCRIPTION].
func zshArgDesc(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`).Replace(s)
}

func zshCompletion(docs []cmdDoc) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("#compdef lvsd")
	p("# zsh completion for lvsd (generated by `lvsd completion zsh`)")
	p("_lvsd() {")
	p("	local -a cmds")
	p("	cmds=(")
	for _, d := range docs {
		p("		%s", zshQuote(d.Name+":"+zshDesc(d.Summary)))
	}
	p("	)")
	p("	if (( CURRENT == 2 )); then")
	p("		_describe -t commands 'lvsd command' cmds")
	p("		return")
	p("	fi")
	p("	case $words[2] in")
	for _, d := range docs {
		p("	%s)", d.Name)
		specs := []string{}
		for _, f := range d.Flags {
			s := f.Dash() + "[" + zshArgDesc(f.Usage) + "]"
			if f.Arg != "" {
				action := " "
				if takesFile(f) {
					action = "_files"
				}
				s += ":" + strings.ReplaceAll(zshArgDesc(f.Arg), ":", "") + ":" + action
			}
			specs = append(specs, zshQuote(s))
		}
		switch d.Name {
		case "completion":
			specs = append(specs, zshQuote("1:shell:(bash zsh)"))
		case "man":
			specs = append(specs, zshQuote("1:page:(lvsd lvsd.toml)"))
		}
		if len(specs) == 0 {
			p("		;;")
			continue
		}
		p("		_arguments \\")
		for i, s := range specs {
			if i < len(specs)-1 {
				p("			%s \\", s)
			} else {
				p("			%s", s)
			}
		}
		p("		;;")
	}
	p("	esac")
	p("}")
	p(`_lvsd "$@"`)
	return b.String()
}
