// Package journal implements logging to systemd's journal through stderr,
// as sd-daemon(3) describes it: when JOURNAL_STREAM names the file stderr
// is, each log line starts with a "<N>" syslog priority (3 error, 4
// warning, 6 info, 7 debug) and carries no timestamp of its own (journald
// stamps every line; a second one is noise).
//
// It does not speak the journal's native protocol: the stream is what
// StandardError=journal gives every service. A Handler is safe for
// concurrent use; lines are written whole, one Write each.
package journal
