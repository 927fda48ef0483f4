package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
)

// Set at link time by the Makefile and the Debian package build:
//
//	-X main.version=v0.1.0-3-gabcdef0 -X main.commit=<full hash> -X main.modified=false
//
// Empty when built otherwise; buildVersionOf then uses what the Go
// toolchain embedded (see there).
var (
	version  string
	commit   string
	modified string // "true" or "false"
)

func init() {
	register("version", command{summary: "print the version, the commit and whether its tree was modified", run: runVersion})
}

// buildVersion is what `lvsd version` reports.
type buildVersion struct {
	Version  string // a tag, git describe, a Go pseudo-version, or "dev"
	Commit   string // the full or 12-digit hash; "" when unknown
	Time     string // the commit's time (RFC 3339); "" when unknown
	Modified string // "yes", "no" or "unknown"
	Source   string // where the facts came from: ldflags, vcs, module, none
}

// pseudoVersion matches a Go pseudo-version (vX.Y.Z-[pre.]yyyymmddhhmmss-hash),
// as `go install …@COMMIT` or `@master` records it: the last 12 hex digits
// are the commit.
var pseudoVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-(?:.*[.-])?([0-9]{14})-([0-9a-f]{12})(?:\+incompatible)?$`)

// buildVersionOf combines the three sources of version information, most
// precise first:
//   - the link-time variables (make build, make deb: from git in the
//     checkout, which also works in a git worktree and with
//     GOFLAGS=-buildvcs=false, where the toolchain embeds nothing);
//   - the toolchain's vcs.* settings (a plain `go build` in a git clone);
//   - the module version (`go install github.com/lvsd/lvsd/cmd/lvsd@v0.1.0`
//     or @COMMIT): a module download is never modified, and a
//     pseudo-version names its commit.
func buildVersionOf(ldVersion, ldCommit, ldModified string, bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Modified: "unknown", Source: "none"}
	if ldVersion != "" || ldCommit != "" {
		v.Version, v.Commit, v.Source = ldVersion, ldCommit, "ldflags"
		switch ldModified {
		case "true":
			v.Modified = "yes"
		case "false":
			v.Modified = "no"
		}
	}
	if bi != nil && v.Source == "none" {
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			v.Commit, v.Time, v.Source = rev, settings["vcs.time"], "vcs"
			switch settings["vcs.modified"] {
			case "true":
				v.Modified = "yes"
			case "false":
				v.Modified = "no"
			}
		}
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			if v.Source == "none" {
				v.Source = "module"
				v.Modified = "no" // the go command verified the module's checksum
				if m := pseudoVersion.FindStringSubmatch(mv); m != nil {
					v.Commit = m[2]
					t := m[1]
					v.Time = t[0:4] + "-" + t[4:6] + "-" + t[6:8] + "T" + t[8:10] + ":" + t[10:12] + ":" + t[12:14] + "Z"
				}
			}
			if v.Version == "" {
				v.Version = mv
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
		if len(v.Commit) >= 12 {
			v.Version = "dev-" + v.Commit[:12]
		}
	}
	return v
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lvsd version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	writeVersion(stdout, buildVersionCurrent())
	return exitOK
}

func writeVersion(w io.Writer, v buildVersion) {
	c := v.Commit
	if c == "" {
		c = "unknown"
	}
	if v.Time != "" {
		c += " (" + v.Time + ")"
	}
	fmt.Fprintf(w, "lvsd %s\ncommit:   %s\nmodified: %s\ngo:       %s %s/%s\n",
		v.Version, c, v.Modified, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func readBuildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}
