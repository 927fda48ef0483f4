package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/daemon"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/nslock"
	"github.com/lvsd/lvsd/config"
)

func init() {
	register("run", command{summary: "run the daemon (VRRP instances) in the foreground", run: runDaemon})
}

// runLockName is the network namespace lock `lvsd run` holds.
const runLockName = "lvsd/run"

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[-f FILE] [--socket PATH] [--pid-file PATH] [--state-file PATH] [--dont-release-ipvs] [--dont-release-vrrp] [--log-format text|json] [--log-level LEVEL]", stderr)
	file := fs.String("f", config.DefaultPath, "configuration file")
	var opt daemon.Options
	fs.StringVar(&opt.Socket, "socket", control.DefaultSocket, "control socket (none: no socket)")
	fs.StringVar(&opt.PIDFile, "pid-file", "", "write the process id to this file")
	fs.StringVar(&opt.StateFile, "state-file", daemon.DefaultStateFile, "VRRP state record for a restart without outage (none: off)")
	fs.BoolVar(&opt.DontReleaseIPVS, "dont-release-ipvs", false, "at stop, keep the IPVS services lvsd created (keepalived -I)")
	fs.BoolVar(&opt.DontReleaseVRRP, "dont-release-vrrp", false, "at stop, keep the VIPs and routes and send no priority-0 advert (keepalived -V)")
	var lf logFlags
	lf.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lvsd run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	// Started by `lvsd upgrade` (daemon/upgrade.go): every failure before
	// the daemon runs is told to the process it was to replace, which
	// runs on.
	up, err := daemon.UpgradeFromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "lvsd run: %v\n", err)
		return exitFailure
	}
	fail := func(code int, format string, args ...any) int {
		msg := fmt.Sprintf(format, args...)
		fmt.Fprintf(stderr, "lvsd run: %s\n", msg)
		up.Fail(errors.New(msg))
		return code
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	// No collection while the configuration loads and the daemon starts
	// (daemon/memory.go): ops.run's releaseMemory ends it.
	daemon.BeginLoad()
	src, err := os.ReadFile(*file)
	if err != nil {
		return fail(exitFailure, "config: read: %v", err)
	}
	cfg, err := config.Parse(*file, src)
	if err != nil {
		return fail(exitFailure, "%v", err)
	}
	// global.net_namespace: re-executed in that namespace (netns.go), and
	// everything below runs there.
	if err := enterNetNamespace(cfg.Global.NetNamespace); err != nil {
		return fail(exitFailure, "%v", err)
	}
	if err := daemon.CheckHost(log, cfg, src); err != nil {
		return fail(exitFailure, "%s: invalid on this host:\n%v", *file, err)
	}
	// The loader's garbage (the file, the parse tree: several times the
	// configuration's own size) is left to the start's allocations to
	// reuse; what is free once the daemon runs goes back to the OS at once
	// (daemon.releaseMemory), so RSS after start is what the daemon keeps.
	// A forced collection here too only delayed the first IPVS service.
	src = nil
	if err := daemon.Preflight(cfg); err != nil {
		log.Error("cannot start", "err", err)
		up.Fail(err)
		return exitFailure
	}
	fs.Visit(func(f *flag.Flag) { opt.SocketSet = opt.SocketSet || f.Name == "socket" })
	// One lvsd per network namespace (nslock).
	var lock *nslock.Lock
	if f := up.LockFile(); f != nil {
		lock, err = nslock.FromFile(f) // held by the process this one replaces until it exits
		f.Close()
		if err != nil {
			return fail(exitFailure, "%v", err)
		}
	} else if lock, err = nslock.Acquire(runLockName); err != nil {
		return fail(exitFailure, "another lvsd runs in this network namespace: %v", err)
	}
	defer lock.Close()
	opt.Version = buildVersionCurrent().Version
	opt.Lock, opt.Upgrade = lock, up
	return daemon.Run(*file, opt, cfg, log)
}
