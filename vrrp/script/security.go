package script

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInsecure marks a script refused by CheckSecure.
var ErrInsecure = errors.New("script writable by a non-root user")

// FileInfo is what the enable_script_security check needs to know about a
// file: its mode (type and permission bits) and owner.
type FileInfo struct {
	Mode fs.FileMode
	UID  uint32
	GID  uint32
}

// Unsafe says why a non-root user could change a file, or "" when only root
// can: it is owned by a user other than root, writable by everyone (a
// directory with the sticky bit excepted), or writable by a group other than
// root's.
func Unsafe(fi FileInfo) string {
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

// InsecureError is CheckSecure's refusal: Path (the program, or a directory
// above it) could be changed by a non-root user, for the reason Why. It
// matches ErrInsecure with errors.Is.
type InsecureError struct {
	Program string // the program checked
	Path    string // the offending file or directory
	Why     string // as Unsafe says
}

func (e *InsecureError) Error() string {
	if e.Path == e.Program {
		return fmt.Sprintf("script %s runs as root but %s", e.Program, e.Why)
	}
	return fmt.Sprintf("directory %s of script %s runs as root but %s", e.Path, e.Program, e.Why)
}

// Is makes errors.Is(err, ErrInsecure) true.
func (e *InsecureError) Is(target error) bool { return target == ErrInsecure }

// CheckSecureStat is enable_script_security's check over any file system:
// prog (an absolute path) and every directory above it must pass Unsafe.
// stat follows symbolic links. A refusal is an *InsecureError; a failed stat
// is returned wrapped.
func CheckSecureStat(prog string, stat func(path string) (FileInfo, error)) error {
	for p := prog; ; p = filepath.Dir(p) {
		fi, err := stat(p)
		if err != nil {
			return fmt.Errorf("script: security check %s: %w", prog, err)
		}
		if why := Unsafe(fi); why != "" {
			return &InsecureError{Program: prog, Path: p, Why: why}
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

// CheckSecure implements enable_script_security for a script run as root on
// this machine: the program (symbolic links resolved) and every directory
// above it must pass Unsafe. It returns an *InsecureError naming the
// offending path.
func CheckSecure(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("script: security check %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("script: security check %s: %w", path, err)
	}
	return CheckSecureStat(real, Stat)
}

// Stat describes a file of this machine for CheckSecureStat, following
// symbolic links.
func Stat(path string) (FileInfo, error) {
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

// CheckCommand applies enable_script_security to a command about to be
// configured: when it runs as root (cred nil and lvsd is root, or cred is
// uid 0), the program must pass CheckSecure. Redirection checks
// ("</dev/tcp/...") run no program and pass.
func CheckCommand(args []string, cred *Credential) error {
	if len(args) == 0 {
		return fmt.Errorf("script: %w", ErrEmpty)
	}
	if (cred != nil && cred.UID != 0) || (cred == nil && os.Geteuid() != 0) || useShell(args[0]) {
		return nil
	}
	p, err := Resolve(args[0])
	if err != nil {
		return err
	}
	return CheckSecure(p)
}
