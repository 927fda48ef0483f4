package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lvsd/lvsd/config"
)

func init() {
	register("run", command{summary: "run the daemon (VRRP instances) in the foreground", run: runDaemon})
}

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[-f FILE] [--log-format text|json] [--log-level LEVEL]", stderr)
	file := fs.String("f", config.DefaultPath, "configuration file")
	var lf logFlags
	lf.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lvsd run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lvsd run: %v\n", err)
		return exitUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		fmt.Fprintf(stderr, "lvsd run: %v\n", err)
		return exitFailure
	}

	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigc)

	d := newDaemon(cfg, log)
	if err := d.start(context.Background()); err != nil {
		log.Error("cannot start", "err", err)
		return exitFailure
	}
	log.Info("lvsd running", "config", *file, "vrrp_instances", len(cfg.Instances))
	code := exitOK
	select {
	case sig := <-sigc:
		log.Info("stopping", "signal", sig.String())
	case err := <-d.fatal:
		log.Error("stopping after a failure", "err", err)
		code = exitFailure
	}
	if err := d.stop(context.Background()); err != nil {
		log.Error("stop", "err", err)
		code = exitFailure
	}
	log.Info("lvsd stopped")
	return code
}
