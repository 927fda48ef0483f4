package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lvsd/lvsd/vrrp"
	"golang.org/x/sys/unix"
)

// DefaultStateFile is where `lvsd run` records each VRRP instance's state
// for a restart without outage (--state-file).
const DefaultStateFile = "/run/lvsd/state.json"

// stateFile is what a running lvsd records about its VRRP instances. A
// restarted lvsd resumes as MASTER, at once, the instances recorded as
// MASTER with the same VRID and interface whose VIPs are all still in place
// (see vrrp.Options.Resume); every other instance starts as usual.
type stateFile struct {
	PID int `json:"pid"`
	// NetNS identifies the network namespace of the run (its cookie, never
	// reused): a record from another namespace (several lvsd on one host,
	// as in the namespace tests) is not ours.
	NetNS     string                   `json:"netns"`
	Written   time.Time                `json:"written"`
	Instances map[string]instanceState `json:"vrrp_instances"`
	// alive is when the writing process's MASTER instances last sent an
	// advert: the file's modification time, which the running lvsd sets to
	// its heartbeat (set by readStateFile).
	alive time.Time
	// handover: the record comes from a reload of this process, which
	// abandoned these instances a moment ago (their VIPs are in place; new
	// ones are added on resuming).
	handover bool
}

type instanceState struct {
	State     string `json:"state"`
	VRID      uint8  `json:"virtual_router_id"`
	Interface string `json:"interface"`
	// AHSeq is auth_type AH's sequence counter when the record was
	// written (stateFile.Written); a resumed master continues above it
	// (ahResumeSeq).
	AHSeq uint32 `json:"ah_sequence,omitempty"`
}

// ahResumeSeq is where a resumed AH master's sequence counter starts: the
// recorded one plus the adverts the predecessor can have sent since the
// record was written (the file is rewritten on transitions only), with a
// margin for timer drift. Overshooting costs nothing (backups accept any
// higher number); starting below the last number sent makes the backups
// deaf to the resumed master (ah_replay) until they take over.
func (s stateFile) ahResumeSeq(name string, now time.Time, interval time.Duration) uint32 {
	rec, ok := s.Instances[name]
	if !ok || rec.AHSeq == 0 || interval <= 0 {
		return 0
	}
	var n uint64
	if el := now.Sub(s.Written); !s.Written.IsZero() && el > 0 {
		n = uint64(el / interval)
	}
	est := uint64(rec.AHSeq) + n + n/8 + 64
	return uint32(min(est, 0xfffffffd))
}

// readStateFile reads path; a missing file is an empty record.
func readStateFile(path string) (stateFile, error) {
	var s stateFile
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("state file: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return stateFile{}, fmt.Errorf("state file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		s.alive = fi.ModTime()
	}
	return s, nil
}

// writeStateFile replaces path atomically (write to a temporary file in the
// same directory, then rename), so a crash never leaves half a file.
func writeStateFile(path string, s stateFile) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("state file: write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// touchInterval is how often a running lvsd records its heartbeat: the
// shortest advert interval of its instances, within 100 ms..1 s (a wake-up
// costs CPU: touching every 100 ms, 250 instances at 1 s adverts used 0.3%
// of a core more than without a state file; every 1 s, 0.05%).
func touchInterval(intervals []time.Duration) time.Duration {
	d := time.Second
	for _, i := range intervals {
		d = min(d, i)
	}
	return max(d, 100*time.Millisecond)
}

// heartbeat is the time the state file's modification time records: when
// the MASTER instances last sent an advert (the oldest of their last
// adverts), which is where a backup's Master_Down_Interval runs from. It is
// false when there is nothing to record: no master, or a master that has
// not sent one yet. The writer never records the time it runs at: a
// stopped (SIGSTOP) or muted master sends nothing, so its heartbeat ages
// as a backup sees it.
func heartbeat(stats []vrrp.Stats) (time.Time, bool) {
	var hb time.Time
	for _, st := range stats {
		if st.State != vrrp.StateMaster {
			continue
		}
		if st.LastAdvertSent.IsZero() {
			return time.Time{}, false
		}
		if hb.IsZero() || st.LastAdvertSent.Before(hb) {
			hb = st.LastAdvertSent
		}
	}
	return hb, !hb.IsZero()
}

// freshLimit is how long after its last advert a master may still resume:
// a backup takes over Master_Down_Interval (3 intervals plus a skew above
// 0) after the last advert it heard; half an interval is left for the
// restarted instance to send its first one.
func freshLimit(interval time.Duration) time.Duration {
	return 3*interval - interval/2
}

// fresh reports whether the previous run's last advert (alive) is recent
// enough that no backup can have taken over yet (freshLimit). Older, a
// backup may be master by now (with nopreempt it must stay so): the
// instance starts as usual.
func (s stateFile) fresh(now time.Time, interval time.Duration) bool {
	if s.handover {
		return true
	}
	age := now.Sub(s.alive)
	return !s.alive.IsZero() && age >= 0 && age < freshLimit(interval)
}

// touchStateFile records the heartbeat hb as the state file's
// modification time.
func touchStateFile(path string, hb time.Time) error {
	if err := os.Chtimes(path, hb, hb); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// wasMaster reports whether the record says the instance was MASTER on the
// same VRID and interface.
// The record is looked at first: netnsID opens a socket, and the daemon
// asks this for every instance at start and at reload.
func (s stateFile) wasMaster(name string, vrid uint8, ifname string) bool {
	st, ok := s.Instances[name]
	if !ok || st.State != "MASTER" || st.VRID != vrid || st.Interface != ifname {
		return false
	}
	return s.NetNS == netnsID()
}

// netnsID returns an identity of the current network namespace: its
// SO_NETNS_COOKIE (Linux 5.14+), else the device and inode of
// /proc/self/ns/net.
func netnsID() string {
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
		unix.Close(fd)
		if err == nil {
			return "cookie:" + strconv.FormatUint(c, 10)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		return ""
	}
	return fmt.Sprintf("inode:%d:%d", st.Dev, st.Ino)
}
