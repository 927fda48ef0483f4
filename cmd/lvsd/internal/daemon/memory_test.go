package daemon

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestSteadyGOGC(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{1 * mib, 100},      // 4 MiB of headroom is 400 %: capped at the default
		{4 * mib, 100},      // the runtime's own floor
		{5 * mib, 80},       // 4 MiB of headroom
		{8 * mib, 50},       // 4 MiB = 50 %
		{18 * mib, 50},      // 1,000 x 10 without checkers
		{1000 * mib, 50},    // never below 50
		{8*mib + 1, 50},     // rounding up never goes under the minimum
		{8*mib - 1<<10, 51}, // 4 MiB of headroom needs a little over 50 %
	} {
		if got := steadyGOGC(tc.live); got != tc.want {
			t.Errorf("steadyGOGC(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}

// gcPercent reads GOGC's current value.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// keepGCPercent restores GOGC after the test.
func keepGCPercent(t *testing.T) {
	p := gcPercent()
	t.Cleanup(func() { debug.SetGCPercent(p) })
}

// TestLoadPolicy: a load runs at the default GOGC; releaseMemory sets the
// steady GOGC from the live heap, and the next load the default again.
func TestLoadPolicy(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	keepGCPercent(t)
	debug.SetGCPercent(30)
	BeginLoad()
	BeginLoad() // twice: still one load
	if got := gcPercent(); got != loadGOGC {
		t.Errorf("GOGC during a load = %d, want %d", got, loadGOGC)
	}
	releaseMemory()
	want := steadyGOGC(liveHeapBytes())
	if got := gcPercent(); got != want || got < steadyGOGCMin || got > 100 {
		t.Errorf("GOGC after the load = %d, want steadyGOGC(live) = %d", got, want)
	}
	BeginLoad()
	if got := gcPercent(); got != loadGOGC {
		t.Errorf("GOGC during the next load = %d, want %d", got, loadGOGC)
	}
	releaseMemory()
	releaseMemory() // without a load: frees, sets the steady GOGC again
	if got := gcPercent(); got < steadyGOGCMin || got > 100 {
		t.Errorf("GOGC after a second release = %d, want the steady one", got)
	}
}

// TestLoadPolicyKeepsUserGOGC: GOGC from the environment is the user's:
// the policy never changes it.
func TestLoadPolicyKeepsUserGOGC(t *testing.T) {
	keepGCPercent(t)
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	BeginLoad()
	if got := gcPercent(); got != 150 {
		t.Errorf("GOGC during a load = %d, want the user's 150", got)
	}
	releaseMemory()
	if got := gcPercent(); got != 150 {
		t.Errorf("GOGC after the load = %d, want the user's 150", got)
	}
}
