package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

func init() {
	register("status", command{summary: "show VRRP instances and virtual servers of the running daemon", run: runStatus})
	register("reload", command{summary: "make the running daemon reload its configuration", run: ctlCommand(control.CmdReload)})
	register("stop", command{summary: "stop the running daemon gracefully", run: ctlCommand(control.CmdStop)})
	register("upgrade", command{summary: "make the running daemon re-execute its binary in place, without outage", run: ctlCommand(control.CmdUpgrade)})
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", "[--json] [--socket PATH]", stderr)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	socket := fs.String("socket", control.DefaultSocket, "control socket of the daemon")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lvsd status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	resp, code := call(*socket, control.CmdStatus, stderr)
	if resp == nil {
		return code
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(resp.Status); err != nil {
			fmt.Fprintf(stderr, "lvsd status: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	if err := control.Render(stdout, resp.Status, time.Now()); err != nil {
		fmt.Fprintf(stderr, "lvsd status: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func ctlCommand(cmd string) func(args []string, stdout, stderr io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		fs := newFlagSet(cmd, "[--socket PATH]", stderr)
		socket := fs.String("socket", control.DefaultSocket, "control socket of the daemon")
		if code := parseFlags(fs, args); code >= 0 {
			return code
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "lvsd %s: unexpected argument %q\n", cmd, fs.Arg(0))
			return exitUsage
		}
		resp, code := call(*socket, cmd, stderr)
		if resp == nil {
			return code
		}
		if resp.Message != "" {
			fmt.Fprintf(stdout, "lvsd: %s\n", resp.Message)
			return exitOK
		}
		fmt.Fprintf(stdout, "lvsd: %s done\n", cmd)
		return exitOK
	}
}

// call sends cmd and reports failures; a nil response comes with the exit code.
func call(socket, cmd string, stderr io.Writer) (*control.Response, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 70*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, socket, cmd)
	if err != nil {
		fmt.Fprintf(stderr, "lvsd %s: %v\n", cmd, err)
		return nil, exitFailure
	}
	if !resp.OK {
		fmt.Fprintf(stderr, "lvsd %s: %s\n", cmd, resp.Error)
		return nil, exitFailure
	}
	return resp, exitOK
}
