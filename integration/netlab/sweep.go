package netlab

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A test process that dies before its cleanups run (killed by go test's
// -timeout, or by hand) would leave its namespaces behind. Every lab
// therefore records its owner's PID in ownerDir; a later lab removes the
// namespaces of every prefix whose owner is gone.
const ownerDir = "/run/lvsd-netlab"

// claim records that this process owns the labs with prefix.
func claim(prefix string) {
	if err := os.MkdirAll(ownerDir, 0o700); err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(ownerDir, prefix), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// release forgets prefix once its namespaces are gone.
func release(prefix string) { _ = os.Remove(filepath.Join(ownerDir, prefix)) }

// sweepStale removes the namespaces of labs whose owner process has exited,
// and the processes still running in them.
func sweepStale() {
	entries, err := os.ReadDir(ownerDir)
	if err != nil {
		return
	}
	var dead []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(ownerDir, e.Name()))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !alive(pid) {
			dead = append(dead, e.Name())
		}
	}
	if len(dead) == 0 {
		return
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		for _, prefix := range dead {
			if strings.HasPrefix(f[0], prefix) {
				killNamespacePIDs(f[0])
				_ = exec.Command("ip", "netns", "del", f[0]).Run()
			}
		}
	}
	for _, prefix := range dead {
		release(prefix)
	}
}

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
