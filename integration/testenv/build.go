package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
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
		dir, err := os.MkdirTemp("", "lvsd-test-bin-")
		if err != nil {
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

// moduleRoot is the repository root, found from this source file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}
