package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// LvsdBinary builds cmd/lvsd once per test process and returns the path of
// the binary. LVSD_BIN overrides it with a prebuilt binary.
func LvsdBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LVSD_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		sweepBuilds()
		dir := filepath.Join(os.TempDir(), buildPrefix+strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "lvsd")
		cmd := exec.Command("go", "build", "-o", buildPath, "github.com/lvsd/lvsd/cmd/lvsd")
		cmd.Dir = moduleRoot()
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build lvsd: %v: %s", buildErr, buildOut)
	}
	return buildPath
}

// buildPrefix names the per-process build directories. A test process has
// no hook at exit, so each build removes those of processes that are gone.
const buildPrefix = "lvsd-test-bin-"

func sweepBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), buildPrefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), buildPrefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}

// moduleRoot is the repository root, found from this source file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}
