package config

import _ "embed" // REFERENCE.md

// Reference is REFERENCE.md, the documentation of every key, default and
// keepalived equivalent; `lvsd man lvsd.toml` renders it as lvsd.toml(5).
//
//go:embed REFERENCE.md
var Reference string
