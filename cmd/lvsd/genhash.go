package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lvsd/lvsd/healthcheck/genhash"
)

func init() {
	register("genhash", command{
		summary: "print the MD5 digest of a web page, as keepalived's genhash (also run as 'genhash')",
		run: func(args []string, stdout, stderr io.Writer) int {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return genhash.Run(ctx, args, stdout, stderr)
		},
	})
}
