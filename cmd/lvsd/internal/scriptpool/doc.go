// Package scriptpool runs the daemon's fire-and-forget scripts (quorum_up /
// quorum_down, real-server notify_up / notify_down) with bounds: each run
// has a timeout after which its process group is killed (script.Run), at
// most Limit run at once, at most MaxPending wait for a turn, and anything
// beyond is dropped, counted and logged (rate-limited).
//
// A Pool is safe for concurrent use. Close kills what still runs when its
// context ends and starts nothing more.
package scriptpool
