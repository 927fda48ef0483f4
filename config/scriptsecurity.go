package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInsecureScript marks a script refused by CheckScriptSecure.
var ErrInsecureScript = errors.New("script writable by a non-root user")

// FileInfo is what the enable_script_security check needs to know about a
// file: its mode (type and permission bits) and owner.
type FileInfo struct {
	Mode fs.FileMode
	UID  uint32
	GID  uint32
}

// UnsafeFile says why a non-root user could change a file, or "" when only root
// can: it is owned by a user other than root, writable by everyone (a
// directory with the sticky bit excepted), or writable by a group other than
// root's.
func UnsafeFile(fi FileInfo) string {
	perm := fi.Mode.Perm()
	switch {
	case fi.UID != 0:
		return fmt.Sprintf("is owned by uid %d", fi.UID)
	case perm&0o002 != 0 && !(fi.Mode.IsDir() && fi.Mode&fs.ModeSticky != 0):
		return "is writable by every user"
	case perm&0o020 != 0 && fi.GID != 0:
		return fmt.Sprintf("is writable by group %d", fi.GID)
	}
	return ""
}

// InsecureScriptError is CheckScriptSecure's refusal: Path (the program, or a directory
// above it) could be changed by a non-root user, for the reason Why. It
// matches ErrInsecureScript with errors.Is.
type InsecureScriptError struct {
	Program string // the program checked
	Path    string // the offending file or directory
	Why     string // as UnsafeFile says
}

func (e *InsecureScriptError) Error() string {
	if e.Path == e.Program {
		return fmt.Sprintf("script %s runs as root but %s", e.Program, e.Why)
	}
	return fmt.Sprintf("directory %s of script %s runs as root but %s", e.Path, e.Program, e.Why)
}

// Is makes errors.Is(err, ErrInsecureScript) true.
func (e *InsecureScriptError) Is(target error) bool { return target == ErrInsecureScript }

// CheckScriptSecureStat is enable_script_security's check over any file system:
// prog (an absolute path) and every directory above it must pass UnsafeFile.
// stat follows symbolic links. A refusal is an *InsecureScriptError; a failed stat
// is returned wrapped.
func CheckScriptSecureStat(prog string, stat func(path string) (FileInfo, error)) error {
	for p := prog; ; p = filepath.Dir(p) {
		fi, err := stat(p)
		if err != nil {
			return fmt.Errorf("script: security check %s: %w", prog, err)
		}
		if why := UnsafeFile(fi); why != "" {
			return &InsecureScriptError{Program: prog, Path: p, Why: why}
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

// CheckScriptSecure implements enable_script_security for a script run as root on
// this machine: the program (symbolic links resolved) and every directory
// above it must pass UnsafeFile. It returns an *InsecureScriptError naming the
// offending path.
func CheckScriptSecure(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("script: security check %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("script: security check %s: %w", path, err)
	}
	return CheckScriptSecureStat(real, StatFile)
}

// StatFile describes a file of this machine for CheckScriptSecureStat, following
// symbolic links.
func StatFile(path string) (FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return FileInfo{}, err
	}
	out := FileInfo{Mode: fi.Mode()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.UID, out.GID = st.Uid, st.Gid
	}
	return out, nil
}
