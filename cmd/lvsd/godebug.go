// The Go runtime (1.25 and later) re-reads the CPU affinity and cgroup CPU
// limit once a second to adjust GOMAXPROCS, and its sysmon thread wakes up
// for it even when lvsd is idle: a fixed cost per second that keepalived
// does not have (issue 14: the 1-instance CPU per advert). lvsd takes
// GOMAXPROCS from the limits at start, as before; a CPU limit changed
// while it runs applies from the next restart.

//go:debug updatemaxprocs=0

package main
