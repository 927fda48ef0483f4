package script

import (
	"fmt"
	"os"

	"github.com/lvsd/lvsd/config"
)

// enable_script_security's file checks live in config (lvsd check runs
// them); these forward to them.

// ErrInsecure marks a script refused by CheckSecure.
var ErrInsecure = config.ErrInsecureScript

// FileInfo is what the enable_script_security check needs to know about a
// file (config.FileInfo).
type FileInfo = config.FileInfo

// InsecureError is CheckSecure's refusal (config.InsecureScriptError).
type InsecureError = config.InsecureScriptError

// Unsafe says why a non-root user could change a file (config.UnsafeFile).
func Unsafe(fi FileInfo) string { return config.UnsafeFile(fi) }

// CheckSecureStat is config.CheckScriptSecureStat.
func CheckSecureStat(prog string, stat func(path string) (FileInfo, error)) error {
	return config.CheckScriptSecureStat(prog, stat)
}

// CheckSecure is config.CheckScriptSecure.
func CheckSecure(path string) error { return config.CheckScriptSecure(path) }

// Stat is config.StatFile.
func Stat(path string) (FileInfo, error) { return config.StatFile(path) }

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
