// Package keepalived implements a reader of keepalived's configuration
// syntax (keepalived 2.2.7, lib/parser.c) and its conversion to lvsd's TOML
// configuration (the `lvsd convert` command).
//
// The reader follows keepalived's preprocessing: '!' and '#' comments,
// double-quoted strings, "include" with globs (relative to the including
// file, recursive, cycles refused), "@ID" / "@^ID" conditional lines,
// "$NAME=value" definitions (multi-line with a trailing '\') substituted as
// $NAME or ${NAME}, and ~SEQ(...) / ~LST(...) repetition. Every line keeps
// its file and line number.
//
// Where keepalived is lax, the converter is strict: an unknown keyword, a
// missing value, trailing junk, an out-of-range value or an unbalanced
// brace is an error, every error of a file is reported in one run, and a
// keyword lvsd does not carry over is an error that says why. Meanings that
// change are warnings.
//
// Everything here is pure: files are read through the FS interface, and
// the functions are safe for concurrent use on different inputs.
package keepalived
