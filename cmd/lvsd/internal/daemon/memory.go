package daemon

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The daemon's memory policy, in one place.
//
// A configuration load (the start, and a reload's parse and plan) allocates
// several times what stays live (1,000 x 10: about 60 MB allocated over an
// 18 MB live heap at the start, 35 MB per reload). Once it is applied,
// releaseMemory runs one collection and returns the free heap to the OS at
// once, and from then on the daemon runs at a steady GOGC below the
// default: steadyGOGCMin (50), so that the heap, and with it anonymous RSS,
// grows half over the live heap before the next cycle instead of doubling,
// but with at least steadyHeadroomMin of headroom, so a small daemon does
// not collect constantly (never above the default 100: the runtime's own
// floor is 4 MB at 100).
//
// During a load (BeginLoad .. releaseMemory) the default GOGC=100 applies
// again: the steady percentage would collect two to four times as often
// over the loader's garbage. The collector is not switched off for the
// load: measured on the host (BenchmarkDirectorStart, cpu-ms), GOGC off
// under a memory limit cost about 40 % more CPU than the default, because
// every page of the 60 MB the loader allocates is then fresh (a page fault,
// zeroed by the kernel) and returned again by releaseMemory, where the
// default reuses a heap of about twice the live one.
//
// GOGC set in the environment wins: the policy then never changes the
// percentage. GOMEMLIMIT is never changed.
const (
	steadyHeadroomMin = 4 << 20 // the runtime's own minimum heap goal at GOGC=100
	steadyGOGCMin     = 50
	loadGOGC          = 100
)

var memPolicy struct {
	mu      sync.Mutex
	loading bool
}

// userGOGC reports whether the environment sets GOGC (the runtime read it
// at start; the policy then keeps off).
func userGOGC() bool { _, ok := os.LookupEnv("GOGC"); return ok }

// BeginLoad sets the load's GOGC (see the policy above) until
// releaseMemory. `lvsd run` calls it before reading its file; a reload
// calls it first thing. Calling it twice is harmless.
func BeginLoad() {
	memPolicy.mu.Lock()
	defer memPolicy.mu.Unlock()
	if memPolicy.loading || userGOGC() {
		return
	}
	memPolicy.loading = true
	debug.SetGCPercent(loadGOGC)
}

// releaseMemory ends a load: it returns the heap left free after a
// configuration was loaded and applied to the OS at once rather than
// through the runtime's background scavenger over minutes (it costs one
// garbage collection), and sets the steady GOGC from the live heap that
// collection found.
func releaseMemory() {
	debug.FreeOSMemory()
	memPolicy.mu.Lock()
	defer memPolicy.mu.Unlock()
	memPolicy.loading = false
	if !userGOGC() {
		debug.SetGCPercent(steadyGOGC(liveHeapBytes()))
	}
}

// steadyGOGC is the GOGC for a daemon whose live heap is live bytes:
// steadyGOGCMin, raised so that the headroom is at least steadyHeadroomMin,
// at most 100.
func steadyGOGC(live uint64) int {
	if live == 0 {
		return 100
	}
	g := (steadyHeadroomMin*100 + live - 1) / live
	return int(min(100, max(steadyGOGCMin, g)))
}

// liveHeapBytes is the heap the last collection marked live.
func liveHeapBytes() uint64 { return readUint64("/gc/heap/live:bytes") }

func readUint64(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
