// Command lvsd is a keepalived replacement for Linux LVS directors: VRRP
// floating IPs, IPVS virtual servers and health checks, configured in TOML.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/journal"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed (invalid config, daemon error)
	exitUsage   = 2 // bad flags or arguments, unreadable input
)

// command is one `lvsd` subcommand. Each lives in its own file.
type command struct {
	summary string
	// run executes the subcommand with its arguments (after the name) and
	// returns the process exit code. Diagnostics go to stderr.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by the init functions of the subcommand files.
var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func main() {
	os.Exit(dispatch(os.Args, os.Stdout, os.Stderr))
}

// dispatch chooses the subcommand. Invoked as "genhash" (a symlink, as
// keepalived installs it) the binary behaves as `lvsd genhash`.
func dispatch(argv []string, stdout, stderr io.Writer) int {
	if len(argv) > 0 && filepath.Base(argv[0]) == "genhash" {
		if c, ok := commands["genhash"]; ok {
			return c.run(argv[1:], stdout, stderr)
		}
	}
	if len(argv) < 2 {
		usage(stderr)
		return exitUsage
	}
	name := argv[1]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "lvsd: unknown command %q\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(argv[2:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: lvsd <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'lvsd <command> --help' for the flags of a command.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, with
// a usage line naming the subcommand.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lvsd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: lvsd %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	if h := flagSetHook.Load(); h != nil {
		(*h)(name, synopsis, fs)
	}
	return fs
}

// flagSetHook, when set, sees every flag set a subcommand makes: the man
// page and the shell completions are generated from them (docs.go).
var flagSetHook atomic.Pointer[func(name, synopsis string, fs *flag.FlagSet)]

// parseFlags parses args and maps the outcome to an exit code: -1 means go
// on, otherwise return the code (0 for --help, 2 for a bad flag).
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	default:
		return exitUsage // the flag package already printed the error and usage
	}
}

// logFlags holds the logging options shared by the daemon-like commands.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
}

// logger builds the slog logger the flags ask for.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var newHandler func(io.Writer) slog.Handler
	switch strings.ToLower(l.format) {
	case "text":
		newHandler = func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, opts) }
	case "json":
		newHandler = func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, opts) }
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", l.format)
	}
	// Under systemd (StandardError=journal): no timestamps of our own and
	// "<N>" priorities, so journalctl -p works and shows each time once.
	if f, ok := w.(*os.File); ok && journal.IsStream(os.Getenv(journal.EnvStream), f) {
		opts.ReplaceAttr = journal.DropTime
		return slog.New(journal.NewHandler(w, newHandler)), nil
	}
	return slog.New(newHandler(w)), nil
}
