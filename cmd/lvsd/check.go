package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lvsd/lvsd/config"
)

func init() {
	register("check", command{summary: "validate the configuration file (and --dump it with every default)", run: runCheck})
}

// runCheck validates a configuration file: exit 0 when valid (warnings are
// printed), 1 when invalid, 2 when the file cannot be read.
func runCheck(args []string, stdout, stderr io.Writer) int {
	return checkWith(args, stdout, stderr, config.OSHost{})
}

func checkWith(args []string, stdout, stderr io.Writer, host config.Host) int {
	fs := newFlagSet("check", "[-f FILE] [--dump] [--no-host]", stderr)
	file := fs.String("f", config.DefaultPath, "configuration file")
	dump := fs.Bool("dump", false, "print the effective configuration, every default filled in, as TOML")
	noHost := fs.Bool("no-host", false, "validate the file for another machine: skip the interface, script and user checks of this host")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lvsd check: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	src, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "lvsd check: %v\n", err)
		return exitUsage
	}
	c, err := config.Parse(*file, src)
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintf(stderr, "error: %v\n", e)
			}
			fmt.Fprintf(stderr, "lvsd check: %s: invalid (%s)\n", *file, plural(len(es), "error"))
		} else {
			fmt.Fprintf(stderr, "lvsd check: %v\n", err)
		}
		return exitFailure
	}
	var warns, errs config.Errors
	if _, real := host.(config.OSHost); real && !*noHost {
		// this host's interfaces are those of global.net_namespace
		if err := enterNetNamespace(c.Global.NetNamespace); err != nil {
			fmt.Fprintf(stderr, "lvsd check: %v\n", err)
			return exitFailure
		}
	}
	if !*noHost {
		warns, errs = config.CheckHost(c, src, host)
	}
	for _, w := range warns {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "error: %v\n", e)
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "lvsd check: %s: invalid on this host (%s)\n", *file, plural(len(errs), "error"))
		return exitFailure
	}
	if *dump {
		if _, err := stdout.Write(config.Dump(c)); err != nil {
			fmt.Fprintf(stderr, "lvsd check: write: %v\n", err)
			return exitFailure
		}
	}
	hostNote := ""
	if n := len(c.Included); n > 0 {
		hostNote = ", " + plural(n, "included file")
	}
	if *noHost {
		hostNote += ", host not checked"
	}
	fmt.Fprintf(stderr, "lvsd check: %s: valid (%s, %s, %s%s)\n", *file,
		plural(len(c.Instances), "vrrp instance"), plural(len(c.VirtualServers), "virtual server"), plural(len(warns), "warning"), hostNote)
	return exitOK
}

// plural writes "1 error", "2 errors".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
