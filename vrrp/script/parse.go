package script

import "github.com/lvsd/lvsd/config"

// The command-line splitter lives in config (it validates config values);
// these forward to it.

// ErrEmpty is returned by Parse for a command line without any word.
var ErrEmpty = config.ErrEmptyCommand

// Parse splits a script command line into words (config.SplitCommand).
func Parse(line string) ([]string, error) { return config.SplitCommand(line) }

// Quote renders words as one /bin/sh command line (config.QuoteCommand).
func Quote(words []string) string { return config.QuoteCommand(words) }
