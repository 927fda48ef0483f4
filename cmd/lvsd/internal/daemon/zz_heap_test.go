package daemon

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/lvsd/lvsd/ipvs"
)

func TestZZHeap(t *testing.T) {
	out := os.Getenv("HEAPOUT")
	if out == "" {
		t.Skip()
	}
	runtime.MemProfileRate = 4096
	file := filepath.Join(t.TempDir(), "lvsd.toml")
	os.WriteFile(file, []byte(directorConf(1000, 10, os.Getenv("HEAPCHECK"), false)), 0o644)
	f := ipvs.NewFake()
	d := directorStart(t, file, f, map[string]time.Duration{})
	time.Sleep(500 * time.Millisecond)
	releaseMemory()
	f.ResetCalls()
	runtime.GC()
	w, _ := os.Create(out)
	pprof.Lookup("heap").WriteTo(w, 0)
	w.Close()
	t.Logf("live %.1f MB goroutines %d", float64(liveHeap())/1e6, runtime.NumGoroutine())
	d.stop(context.Background())
}
