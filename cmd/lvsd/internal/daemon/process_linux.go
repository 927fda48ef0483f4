package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The process settings of [global] (config.Process): keepalived sets them
// per child process; lvsd sets them on every thread of its one process.
// Linux keeps the nice value, the CPU affinity and the name per thread, and
// a new thread inherits them from the thread that creates it (one of ours).

// eachThread runs fn on every thread of the process, again on the threads
// that appeared meanwhile (one created by a thread fn had not reached yet
// inherits the old setting) until a listing shows no new one.
func eachThread(fn func(tid int) error) error {
	done := map[int]bool{}
	for range 100 {
		tids, err := threadIDs()
		if err != nil {
			return err
		}
		fresh := 0
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			fresh++
			done[tid] = true
			if err := fn(tid); err != nil {
				return err
			}
		}
		if fresh == 0 {
			return nil
		}
	}
	return fmt.Errorf("threads keep appearing")
}

// setNice sets the nice value of every thread (process_priority).
func setNice(prio int) error {
	return eachThread(func(tid int) error {
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, prio); err != nil && err != unix.ESRCH { // ESRCH: ended
			return fmt.Errorf("setpriority %d on thread %d: %w", prio, tid, err)
		}
		return nil
	})
}

// setAffinity binds every thread to cpus (cpu_affinity).
func setAffinity(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return eachThread(func(tid int) error {
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("sched_setaffinity %v on thread %d: %w", cpus, tid, err)
		}
		return nil
	})
}

// setRTTimeLimit sets RLIMIT_RTTIME (rlimit_rttime, µs): the hard limit
// max, the soft limit (SIGXCPU, logged) half of it, as keepalived.
func setRTTimeLimit(max uint64) error {
	if err := unix.Setrlimit(unix.RLIMIT_RTTIME, &unix.Rlimit{Cur: max / 2, Max: max}); err != nil {
		return fmt.Errorf("setrlimit RLIMIT_RTTIME %d: %w", max, err)
	}
	return nil
}

// setName names every thread (process_name): /proc/self/task/TID/comm is
// PR_SET_NAME of a thread, writable from any thread of the process; the
// first thread's name is the process's (ps, /proc/PID/comm).
func setName(name string) error {
	return eachThread(func(tid int) error {
		p := "/proc/self/task/" + strconv.Itoa(tid) + "/comm"
		if err := os.WriteFile(p, []byte(name), 0); err != nil && !os.IsNotExist(err) && !errors.Is(err, unix.ESRCH) { // a thread may have ended
			return fmt.Errorf("set the name of thread %d: %w", tid, err)
		}
		return nil
	})
}

// setUmask sets the process's file mode mask (umask) and returns the old one.
func setUmask(mask int) int { return unix.Umask(mask) }
