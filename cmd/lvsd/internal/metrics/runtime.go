package metrics

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// The go_* and process_* families, as client_golang v1.23's default Go
// collector and process collector served them: same names, HELP, types
// and sources (runtime/metrics, debug.ReadGCStats, /proc).

var (
	goGC = newFamily("summary", "go_gc_duration_seconds",
		"A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", nil)
	goGoroutines = newGauge("go_goroutines", "Number of goroutines that currently exist.")
	goThreads    = newGauge("go_threads", "Number of OS threads created.")
	goInfo       = newGauge("go_info", "Information about the Go environment.", "version")
	goLastGC     = newGauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.")

	procCPU     = newCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
	procOpenFDs = newGauge("process_open_fds", "Number of open file descriptors.")
	procMaxFDs  = newGauge("process_max_fds", "Maximum number of open file descriptors.")
	procVSize   = newGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
	procMaxVS   = newGauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.")
	procRSS     = newGauge("process_resident_memory_bytes", "Resident memory size in bytes.")
	procStart   = newGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
	procIn      = newCounter("process_network_receive_bytes_total", "Number of bytes received by the process over the network.")
	procOut     = newCounter("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.")
)

// runtimeSamples are the runtime/metrics read at each scrape.
var runtimeSamples = []string{
	"/gc/gogc:percent", "/gc/gomemlimit:bytes", "/sched/gomaxprocs:threads",
	"/gc/heap/allocs:bytes", "/gc/heap/allocs:objects", "/gc/heap/frees:objects", "/gc/heap/tiny/allocs:objects",
	"/gc/heap/goal:bytes", "/gc/heap/objects:objects",
	"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/released:bytes",
	"/memory/classes/heap/free:bytes", "/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/mspan/free:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/metadata/mcache/free:bytes",
	"/memory/classes/profiling/buckets:bytes", "/memory/classes/metadata/other:bytes", "/memory/classes/other:bytes",
	"/memory/classes/total:bytes",
}

// memstat is one go_memstats_* gauge or counter: a sum of runtime/metrics.
type memstat struct {
	f   *family
	sum []string
}

var memstats = []memstat{
	{newGauge("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."),
		[]string{"/memory/classes/heap/objects:bytes"}},
	{newCounter("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes."),
		[]string{"/gc/heap/allocs:bytes"}},
	{newGauge("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes."),
		[]string{"/memory/classes/profiling/buckets:bytes"}},
	{newCounter("go_memstats_frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects."),
		[]string{"/gc/heap/frees:objects", "/gc/heap/tiny/allocs:objects"}},
	{newGauge("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes."),
		[]string{"/memory/classes/metadata/other:bytes"}},
	{newGauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes."),
		[]string{"/memory/classes/heap/objects:bytes"}},
	{newGauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."),
		[]string{"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	{newGauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes"),
		[]string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}},
	{newGauge("go_memstats_heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects."),
		[]string{"/gc/heap/objects:objects"}},
	{newGauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes."),
		[]string{"/memory/classes/heap/released:bytes"}},
	{newGauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."),
		[]string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	{newCounter("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects."),
		[]string{"/gc/heap/allocs:objects", "/gc/heap/tiny/allocs:objects"}},
	{newGauge("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes."),
		[]string{"/memory/classes/metadata/mcache/inuse:bytes"}},
	{newGauge("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes."),
		[]string{"/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/metadata/mcache/free:bytes"}},
	{newGauge("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes."),
		[]string{"/memory/classes/metadata/mspan/inuse:bytes"}},
	{newGauge("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes."),
		[]string{"/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/mspan/free:bytes"}},
	{newGauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes."),
		[]string{"/gc/heap/goal:bytes"}},
	{newGauge("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes."),
		[]string{"/memory/classes/other:bytes"}},
	{newGauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes."),
		[]string{"/memory/classes/heap/stacks:bytes"}},
	{newGauge("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes."),
		[]string{"/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes"}},
	{newGauge("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte."),
		[]string{"/memory/classes/total:bytes"}},
}

// runtimeGauges are the runtime/metrics client_golang exposes as they are.
var runtimeGauges = []memstat{
	{newGauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent."),
		[]string{"/gc/gogc:percent"}},
	{newGauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes."),
		[]string{"/gc/gomemlimit:bytes"}},
	{newGauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads."),
		[]string{"/sched/gomaxprocs:threads"}},
}

// collectGo adds the go_* families.
func collectGo(b *batch) {
	b.set(goGoroutines, float64(runtime.NumGoroutine()))
	n, _ := runtime.ThreadCreateProfile(nil)
	b.set(goThreads, float64(n))

	var st debug.GCStats
	st.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&st)
	q := make([][2]float64, len(st.PauseQuantiles))
	for i, p := range st.PauseQuantiles {
		q[i] = [2]float64{float64(i) / float64(len(st.PauseQuantiles)-1), p.Seconds()}
	}
	b.add(goGC, sample{sum: &summary{quantiles: q, sum: st.PauseTotal.Seconds(), count: uint64(st.NumGC)}}, nil)
	b.set(goLastGC, float64(st.LastGC.UnixNano())/1e9)
	b.set(goInfo, 1, runtime.Version())

	rm := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		rm[i].Name = name
	}
	metrics.Read(rm)
	val := map[string]uint64{}
	for _, s := range rm {
		if s.Value.Kind() == metrics.KindUint64 {
			val[s.Name] = s.Value.Uint64()
		}
	}
	for _, m := range runtimeGauges {
		b.set(m.f, float64(val[m.sum[0]]))
	}
	for _, m := range memstats {
		var v uint64
		for _, name := range m.sum {
			v += val[name]
		}
		b.set(m.f, float64(v))
	}
}

// userHZ is the kernel's clock tick for /proc's times (procfs assumes 100).
const userHZ = 100

// collectProcess adds the process_* families from /proc; a file that cannot
// be read leaves its families out, as client_golang did.
func collectProcess(b *batch) {
	dir := "/proc/" + strconv.Itoa(os.Getpid())
	if stat, err := os.ReadFile(dir + "/stat"); err == nil {
		// the fields after the command, which is in parentheses and may hold anything
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			f := strings.Fields(string(stat[i+1:]))
			// f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24
			if len(f) > 22 {
				ut, _ := strconv.ParseUint(f[11], 10, 64)
				st, _ := strconv.ParseUint(f[12], 10, 64)
				start, _ := strconv.ParseUint(f[19], 10, 64)
				vsize, _ := strconv.ParseUint(f[20], 10, 64)
				rss, _ := strconv.ParseInt(f[21], 10, 64)
				b.set(procCPU, float64(ut+st)/userHZ)
				b.set(procVSize, float64(vsize))
				b.set(procRSS, float64(rss*int64(os.Getpagesize())))
				if boot, ok := bootTime(); ok {
					b.set(procStart, float64(boot)+float64(start)/userHZ)
				}
			}
		}
	}
	if n, ok := openFDs(dir + "/fd"); ok {
		b.set(procOpenFDs, float64(n))
	}
	if files, space, ok := limits(dir + "/limits"); ok {
		b.set(procMaxFDs, files)
		b.set(procMaxVS, space)
	}
	if in, out, ok := netOctets(dir + "/net/netstat"); ok {
		b.set(procIn, in)
		b.set(procOut, out)
	}
}

// bootTime is /proc/stat's btime.
func bootTime() (uint64, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// openFDs counts the process's descriptors: the size of the fd directory
// where the kernel gives it (Linux 6.2), else its entries.
func openFDs(dir string) (int, bool) {
	if fi, err := os.Stat(dir); err == nil && fi.Size() > 0 {
		return int(fi.Size()), true
	}
	d, err := os.Open(dir)
	if err != nil {
		return 0, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	return len(names), err == nil
}

// limits reads the soft limits of open files and address space
// ("unlimited" is the largest uint64, as procfs gave it).
func limits(path string) (files, space float64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	soft := func(l, name string) (float64, bool) {
		rest, found := strings.CutPrefix(l, name)
		if !found {
			return 0, false
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			return 0, false
		}
		if fs[0] == "unlimited" {
			return float64(^uint64(0)), true
		}
		v, err := strconv.ParseUint(fs[0], 10, 64)
		return float64(v), err == nil
	}
	var haveFiles, haveSpace bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := soft(sc.Text(), "Max open files"); ok {
			files, haveFiles = v, true
		}
		if v, ok := soft(sc.Text(), "Max address space"); ok {
			space, haveSpace = v, true
		}
	}
	return files, space, sc.Err() == nil && haveFiles && haveSpace
}

// netOctets reads IpExt's InOctets and OutOctets (0 when absent).
func netOctets(path string) (in, out float64, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "IpExt:" || len(values) != len(names) {
			continue
		}
		for j := 1; j < len(names); j++ {
			v, err := strconv.ParseFloat(values[j], 64)
			if err != nil {
				continue
			}
			switch names[j] {
			case "InOctets":
				in = v
			case "OutOctets":
				out = v
			}
		}
	}
	return in, out, true
}
