// Package ucarp reads ucarp 1.5.2 configurations and writes lvsd's
// [[carp_instance]] tables: a ucarp command line (long and short options,
// as getopt_long reads them; several commands, comments and backslash
// continuations allowed) and Debian's /etc/network/interfaces stanzas with
// ucarp-* options (as Debian's if-up.d/ucarp turns them into a command).
//
// The package is pure: it parses bytes and renders TOML; it reads no files
// (a --passfile is kept as a path). Errors carry the file name and line.
package ucarp
