package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// defaultStateFile is where `lvsd run` records each VRRP instance's state
// for a restart without outage (--state-file).
const defaultStateFile = "/run/lvsd/state.json"

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
	// alive is when the writing process was last known alive: the file's
	// modification time, which the running lvsd touches every
	// touchInterval (set by readStateFile).
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

// touchInterval is how often a running lvsd touches its state file: the
// shortest advert interval of its instances, within 100 ms..1 s (a wake-up
// costs CPU: touching every 100 ms, 250 instances at 1 s adverts used 0.3%
// of a core more than without a state file; every 1 s, 0.05%). A record is
// then at most one interval older than the last sign of life, well inside
// the three intervals fresh allows.
func touchInterval(intervals []time.Duration) time.Duration {
	d := time.Second
	for _, i := range intervals {
		d = min(d, i)
	}
	return max(d, 100*time.Millisecond)
}

// fresh reports whether the previous run was alive recently enough that no
// backup can have taken over yet: less than three advert intervals ago (a
// backup's Master_Down_Interval is three intervals plus its skew time).
// Older, a backup may be master by now (with nopreempt it must stay so):
// the instance starts as usual.
func (s stateFile) fresh(now time.Time, interval time.Duration) bool {
	if s.handover {
		return true
	}
	age := now.Sub(s.alive)
	return !s.alive.IsZero() && age >= 0 && age < 3*interval
}

// touchStateFile marks the state file's writer as alive now.
func touchStateFile(path string, now time.Time) error {
	if err := os.Chtimes(path, now, now); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// wasMaster reports whether the record says the instance was MASTER on the
// same VRID and interface.
func (s stateFile) wasMaster(name string, vrid uint8, ifname string) bool {
	if s.NetNS != netnsID() {
		return false
	}
	st, ok := s.Instances[name]
	return ok && st.State == "MASTER" && st.VRID == vrid && st.Interface == ifname
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
