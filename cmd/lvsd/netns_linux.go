package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns add` (and keepalived's net_namespace) keep
// named network namespaces.
const netnsDir = "/run/netns"

// enterNetNamespace makes `lvsd run` run in the named network namespace
// (global.net_namespace, keepalived's net_namespace): when this process is
// not in it, the calling thread joins it and re-executes lvsd with the same
// arguments, so every thread of the new image, every socket and every
// netlink request is in that namespace. The file system is not changed
// (control socket, state file and scripts are where they are); /proc/sys/net
// follows the namespace. It returns only when lvsd is already in the
// namespace (name "" means: stay), or with an error.
func enterNetNamespace(name string) error {
	if name == "" {
		return nil
	}
	path := filepath.Join(netnsDir, name)
	target, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("net_namespace %s: %w (create it with `ip netns add %s`)", name, err, name)
	}
	defer target.Close()
	var want, have unix.Stat_t
	if err := unix.Fstat(int(target.Fd()), &want); err != nil {
		return fmt.Errorf("net_namespace %s: %w", name, err)
	}
	if err := unix.Stat("/proc/self/ns/net", &have); err != nil {
		return fmt.Errorf("net_namespace %s: own namespace: %w", name, err)
	}
	if want.Dev == have.Dev && want.Ino == have.Ino {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("net_namespace %s: %w", name, err)
	}
	// The thread that joins the namespace execs: the new image's threads
	// all start from it. It never returns to the scheduler on success.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("net_namespace %s: setns: %w", name, err)
	}
	err = unix.Exec(exe, os.Args, os.Environ())
	// still here: this thread is in the other namespace; let it die with
	// the process rather than run goroutines there
	return fmt.Errorf("net_namespace %s: re-exec %s: %w", name, exe, err)
}
