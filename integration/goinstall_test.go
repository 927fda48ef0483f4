package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/integration/testenv"
)

// TestGoInstall proves README's `go install github.com/lvsd/lvsd/cmd/lvsd@VERSION`
// line: the committed tree (HEAD) is served as module version
// v0.0.0-TIME-HASH from a file:// proxy, exactly as the public proxy
// serves a commit, installed with go install into a temporary GOBIN, and
// the binary's `lvsd version` names that commit and an unmodified tree
// (the module download carries no vcs information; the version does).
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lvsd from a module download (-short)")
	}
	git := testenv.NeedBinary(t, "git")
	gitOut := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Env = append(os.Environ(), "TZ=UTC") // a pseudo-version's time is UTC
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("git %s: %v (not a git checkout)", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	top := gitOut("rev-parse", "--show-toplevel")
	hash := gitOut("rev-parse", "HEAD")
	stamp := gitOut("-c", "log.showSignature=false", "show", "-s", "--format=%cd", "--date=format-local:%Y%m%d%H%M%S", "HEAD")
	ver := fmt.Sprintf("v0.0.0-%s-%s", stamp, hash[:12])

	tmp := t.TempDir()
	dir := filepath.Join(tmp, "proxy", "github.com", "lvsd", "lvsd", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := exec.Command(git, "-C", top, "archive", "--format=zip", "--prefix=github.com/lvsd/lvsd@"+ver+"/", "-o", filepath.Join(dir, ver+".zip"), "HEAD")
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive: %v\n%s", err, out)
	}
	mod, err := exec.Command(git, "-C", top, "show", "HEAD:go.mod").Output()
	if err != nil {
		t.Fatal(err)
	}
	ts := stamp[0:4] + "-" + stamp[4:6] + "-" + stamp[6:8] + "T" + stamp[8:10] + ":" + stamp[10:12] + ":" + stamp[12:14] + "Z"
	for name, data := range map[string]string{
		ver + ".mod":  string(mod),
		ver + ".info": fmt.Sprintf(`{"Version":%q,"Time":%q}`, ver, ts),
		"list":        ver + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	upstream, _ := exec.Command("go", "env", "GOPROXY").Output()
	gobin := filepath.Join(tmp, "bin")
	install := exec.Command("go", "install", "github.com/lvsd/lvsd/cmd/lvsd@"+ver)
	install.Dir = tmp // outside the module: what a user types anywhere
	install.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.Join(tmp, "proxy")+","+strings.TrimSpace(string(upstream)),
		"GONOSUMDB=github.com/lvsd/lvsd", "GOBIN="+gobin, "CGO_ENABLED=0",
		"GOFLAGS=-modcacherw") // the module cache entry it adds stays removable
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	// The module cache now holds this pseudo-version; remove it so a later
	// run of another commit does not find a stale copy.
	t.Cleanup(func() {
		if mc, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			root := strings.TrimSpace(string(mc))
			os.RemoveAll(filepath.Join(root, "github.com", "lvsd", "lvsd@"+ver))
			os.RemoveAll(filepath.Join(root, "cache", "download", "github.com", "lvsd"))
		}
	})
	out, err := exec.Command(filepath.Join(gobin, "lvsd"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("lvsd version: %v\n%s", err, out)
	}
	for _, want := range []string{"lvsd " + ver + "\n", "commit:   " + hash[:12] + " (" + ts + ")\n", "modified: no\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("lvsd version lacks %q:\n%s", want, out)
		}
	}
}
