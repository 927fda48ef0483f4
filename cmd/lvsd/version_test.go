package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildVersionOf(t *testing.T) {
	vcs := func(rev, mod string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-07T00:38:00Z"}, {Key: "vcs.modified", Value: mod}}
	}
	const rev = "a0c2d9b3e647616acbdcb19d0eaa358a8c3475a6"
	tests := []struct {
		name                     string
		ldVersion, ldCommit, ldM string
		bi                       *debug.BuildInfo
		want                     buildVersion
	}{
		{"make build, dirty worktree", "a0c2d9b-dirty", rev, "true", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			buildVersion{Version: "a0c2d9b-dirty", Commit: rev, Modified: "yes", Source: "ldflags"}},
		{"make build, clean tag", "v0.1.0", rev, "false", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("other", "true")},
			buildVersion{Version: "v0.1.0", Commit: rev, Modified: "no", Source: "ldflags"}},
		{"go build in a clone", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")},
			buildVersion{Version: "dev-a0c2d9b3e647", Commit: rev, Time: "2026-12-07T00:38:00Z", Modified: "no", Source: "vcs"}},
		{"go build, modified clone", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")},
			buildVersion{Version: "dev-a0c2d9b3e647", Commit: rev, Time: "2026-12-07T00:38:00Z", Modified: "yes", Source: "vcs"}},
		{"go install @v0.2.0", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}},
			buildVersion{Version: "v0.2.0", Modified: "no", Source: "module"}},
		{"go install @commit", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207003800-a0c2d9b3e647"}},
			buildVersion{Version: "v0.0.0-20261207003800-a0c2d9b3e647", Commit: "a0c2d9b3e647", Time: "2026-12-07T00:38:00Z", Modified: "no", Source: "module"}},
		{"go install @commit after a tag", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.1-0.20261207003800-a0c2d9b3e647"}},
			buildVersion{Version: "v0.2.1-0.20261207003800-a0c2d9b3e647", Commit: "a0c2d9b3e647", Time: "2026-12-07T00:38:00Z", Modified: "no", Source: "module"}},
		{"go build -buildvcs=false in a worktree", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			buildVersion{Version: "dev", Modified: "unknown", Source: "none"}},
		{"no build info", "", "", "", nil, buildVersion{Version: "dev", Modified: "unknown", Source: "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildVersionOf(tt.ldVersion, tt.ldCommit, tt.ldM, tt.bi)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"lvsd", "version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"lvsd ", "\ncommit:   ", "\nmodified: ", "\ngo:       go"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := dispatch([]string{"lvsd", "version", "x"}, &out, &errb); code != exitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, exitUsage)
	}
}
