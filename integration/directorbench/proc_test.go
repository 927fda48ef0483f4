package directorbench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tree returns pid and its descendants (keepalived: parent, checker and
// VRRP children), from /proc/PID/task/TID/children.
func tree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(out[i]) + "/task/*/children")
		for _, f := range tasks {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, c := range strings.Fields(string(data)) {
				if n, err := strconv.Atoi(c); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// procCPU is a process's on-CPU time, summed over its threads
// (/proc/PID/task/*/schedstat, nanoseconds, finer than utime+stime).
func procCPU(pid int) time.Duration {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	var sum time.Duration
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(data)); len(fs) > 0 {
			n, _ := strconv.ParseInt(fs[0], 10, 64)
			sum += time.Duration(n)
		}
	}
	return sum
}

// treeCPU is the CPU time of pid and its descendants.
func treeCPU(pid int) time.Duration {
	var sum time.Duration
	for _, p := range tree(pid) {
		sum += procCPU(p)
	}
	return sum
}

// mem is memory in kB, summed over a process tree (smaps_rollup).
type mem struct{ rss, pss, anon int }

func treeMem(pid int) mem {
	var m mem
	for _, p := range tree(pid) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/smaps_rollup")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 2 {
				continue
			}
			n, _ := strconv.Atoi(fs[1])
			switch fs[0] {
			case "Rss:":
				m.rss += n
			case "Pss:":
				m.pss += n
			case "Anonymous:":
				m.anon += n
			}
		}
	}
	return m
}

// cpuSample is the tree's CPU time at an instant.
type cpuSample struct {
	t   time.Time
	cpu time.Duration
}

// sampler records a process tree's CPU time every tick.
type sampler struct {
	pid  int
	tick time.Duration
	mu   sync.Mutex
	s    []cpuSample
	stop chan struct{}
	done chan struct{}
}

func newSampler(pid int, tick time.Duration) *sampler {
	s := &sampler{pid: pid, tick: tick, stop: make(chan struct{}), done: make(chan struct{})}
	s.add()
	go func() {
		defer close(s.done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.add()
			}
		}
	}()
	return s
}

func (s *sampler) add() {
	c := cpuSample{time.Now(), treeCPU(s.pid)}
	s.mu.Lock()
	s.s = append(s.s, c)
	s.mu.Unlock()
}

func (s *sampler) close() {
	close(s.stop)
	<-s.done
}

// now takes a sample at once and returns it.
func (s *sampler) now() cpuSample {
	s.add()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s[len(s.s)-1]
}

// quiet waits for the first window of length win starting at or after from
// in which the tree used less than limit CPU, and returns the sample that
// starts it (the instant the tree went quiet). ok is false after timeout.
func (s *sampler) quiet(from time.Time, win, limit, timeout time.Duration) (cpuSample, bool) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ss := s.s
		for i := range ss {
			if ss[i].t.Before(from) {
				continue
			}
			for j := i + 1; j < len(ss); j++ {
				if ss[j].cpu-ss[i].cpu >= limit {
					break
				}
				if ss[j].t.Sub(ss[i].t) >= win {
					s.mu.Unlock()
					return ss[i], true
				}
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return cpuSample{}, false
		}
		time.Sleep(s.tick)
	}
}

// systemBusy is the fraction of all CPUs busy over d (/proc/stat).
func systemBusy(d time.Duration) float64 {
	read := func() (busy, total float64) {
		data, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, 1
		}
		line, _, _ := strings.Cut(string(data), "\n")
		fs := strings.Fields(line)[1:]
		for i, f := range fs {
			v, _ := strconv.ParseFloat(f, 64)
			total += v
			if i != 3 && i != 4 { // idle, iowait
				busy += v
			}
		}
		return busy, total
	}
	b0, t0 := read()
	time.Sleep(d)
	b1, t1 := read()
	if t1 <= t0 {
		return 0
	}
	return (b1 - b0) / (t1 - t0)
}
