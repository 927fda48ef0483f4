package ipvs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Client is lvsd's view of the kernel's IPVS. Implementations: New (netlink)
// and Fake (in memory). Errors wrap the kernel's errno (errors.Is(err,
// unix.EEXIST)).
type Client interface {
	Info() (Info, error)
	Services() ([]ServiceStats, error)
	AddService(Service) error
	UpdateService(Service) error
	DeleteService(ServiceKey) error
	Destinations(ServiceKey) ([]DestinationStats, error)
	AddDestination(ServiceKey, Destination) error
	UpdateDestination(ServiceKey, Destination) error
	DeleteDestination(ServiceKey, DestKey) error
	// Flush deletes every service, foreign ones included.
	Flush() error
	Timeouts() (Timeouts, error)
	SetTimeouts(Timeouts) error
	SyncDaemons() ([]SyncDaemon, error)
	StartSyncDaemon(SyncDaemon) error
	StopSyncDaemon(SyncState) error
	Close() error
}

// ErrNoIPVS is returned by New when the kernel has no IPVS.
var ErrNoIPVS = errors.New("ipvs: the kernel has no IPVS (modprobe ip_vs?)")

// schedulerError explains an ENOENT from adding a service: the kernel lacks
// the scheduler (or persistence engine) module.
func schedulerError(s Service, err error) error {
	if s.PE != "" {
		return fmt.Errorf("ipvs: add service %s: scheduler %q or persistence engine %q not in this kernel (modprobe ip_vs_%s ip_vs_pe_%s?): %w",
			s.ServiceKey, s.Scheduler, s.PE, s.Scheduler, s.PE, err)
	}
	return fmt.Errorf("ipvs: add service %s: scheduler %q not in this kernel (modprobe ip_vs_%s?): %w",
		s.ServiceKey, s.Scheduler, s.Scheduler, err)
}

// isConverged reports whether err from an operation means the kernel already
// is in the state the operation aimed at.
func isNotExist(err error) bool { return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) }
func isExist(err error) bool    { return errors.Is(err, unix.EEXIST) }
