package daemon

import (
	"log/slog"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/nslock"
	"github.com/lvsd/lvsd/config"
)

// Exit codes Run returns; the same values as the lvsd command's.
const (
	exitOK      = 0
	exitFailure = 1
)

// Options are `lvsd run`'s operational options, set from its flags.
type Options struct {
	Socket    string // control socket ("" or "none": no socket)
	SocketSet bool   // --socket was given: failing to listen is fatal
	PIDFile   string // "": no pid file
	StateFile string // "" or "none": no state file, no resume
	// DontReleaseIPVS / DontReleaseVRRP keep the IPVS services / the VIPs
	// at stop (keepalived's -I / -V).
	DontReleaseIPVS, DontReleaseVRRP bool
	// Version is what status reports as the running version.
	Version string
	// Lock is the network namespace's lock the caller holds; an upgrade
	// hands it to the new process.
	Lock *nslock.Lock
	// Upgrade is what this process inherited when `lvsd upgrade` started
	// it (UpgradeFromEnv), else nil.
	Upgrade *Upgrade
}

// Run starts the daemon with cfg, loaded from file (reloads read file
// again), and serves until a stop; it returns the process exit code. The
// caller holds the network namespace's lock (nslock).
func Run(file string, opt Options, cfg *config.Config, log *slog.Logger) int {
	return newOps(file, opt.flags(), log).run(cfg)
}

func (opt Options) flags() opsFlags {
	return opsFlags{socket: opt.Socket, socketSet: opt.SocketSet, pidFile: opt.PIDFile, stateFile: opt.StateFile,
		dontReleaseIPVS: opt.DontReleaseIPVS, dontReleaseVRRP: opt.DontReleaseVRRP, version: opt.Version,
		lock: opt.Lock, upgrade: opt.Upgrade}
}
