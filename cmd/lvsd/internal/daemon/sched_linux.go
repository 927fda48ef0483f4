package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// setRealtime puts every thread of the process under SCHED_RR with prio
// (vrrp_rt_priority). Threads created later inherit the policy from the
// thread that creates them, which is one of ours.
func setRealtime(prio int) error {
	attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_RR, Priority: uint32(prio)}
	return eachThread(func(tid int) error { // process_linux.go
		if err := unix.SchedSetAttr(tid, attr, 0); err != nil && err != unix.ESRCH {
			return fmt.Errorf("sched_setattr SCHED_RR %d on thread %d: %w", prio, tid, err)
		}
		return nil
	})
}

// lockMemory locks the process's pages in RAM (vrrp_no_swap). With
// MCL_ONFAULT (Linux 4.4) pages are locked as they are touched: the Go
// runtime's large address-space reservations are not populated (without it
// RSS grows from ~15 MB to ~150 MB). Older kernels get MCL_CURRENT|MCL_FUTURE.
func lockMemory() error {
	err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
	if errors.Is(err, unix.EINVAL) {
		err = unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE)
	}
	if err != nil {
		return fmt.Errorf("mlockall: %w", err)
	}
	return nil
}

func threadIDs() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	var tids []int
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
